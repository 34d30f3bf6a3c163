"""Settings of one ``zoning serve`` process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ServeConfig"]


@dataclass(frozen=True)
class ServeConfig:
    """What ``zoning serve`` was started with.

    Parameters
    ----------
    catalog_path : Path, optional
        Catalogue TOML (default: the Shanxi demo).
    token : str, optional
        Access token; when set, every request needs it (bearer header, cookie, or once
        ``?token=`` which sets the cookie).
    max_upload_mb : float
        Largest request body; larger ones are refused with 413 while streaming.
    runs_dir : Path, optional
        Folder of ``zoning run`` outputs listed read-only at ``/runs``.
    workers : int
        Screenings running at once.
    worker_processes : bool
        Screen in worker processes forked after the warm-up (every core works; POSIX only,
        else threads) rather than on threads of the server's process.
    queue : int
        Screenings waiting for a worker; beyond that the server answers 503.
    tmp_root : Path, optional
        Where each request's private temporary folder is made (default: the system's).
    result_ttl_s : float
        How long a screening's downloads stay available.
    max_results : int
        Most screenings kept for download at once (the oldest go first).
    warm_up : bool
        Build the spatial index and screen one site at start, so the first user waits less.
    allowed_hosts : tuple of str, optional
        ``Host`` names the server answers (``zoning serve`` on loopback: the loopback names,
        against DNS rebinding); None answers any.
    """

    catalog_path: Path | None = None
    token: str | None = None
    max_upload_mb: float = 50.0
    runs_dir: Path | None = None
    workers: int = 2
    worker_processes: bool = False
    queue: int = 16
    tmp_root: Path | None = None
    result_ttl_s: float = 3600.0
    max_results: int = 200
    warm_up: bool = True
    allowed_hosts: tuple[str, ...] | None = None

    @property
    def max_body_bytes(self) -> int:
        """The body cap in bytes."""
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_unpacked_bytes(self) -> int:
        """Largest total uncompressed size of an uploaded archive (4 × the body cap)."""
        return 4 * self.max_body_bytes
