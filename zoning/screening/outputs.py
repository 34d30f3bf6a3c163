"""The output folder of a screening: ``result.json``, ``report.html``, ``summary.csv`` and more."""

from __future__ import annotations

from pathlib import Path

from zoning.screening.docx import screening_docx
from zoning.screening.html import render_html, static_map
from zoning.screening.report import screening_json, to_csv
from zoning.screening.result import ScreeningResult

__all__ = ["write_screening"]


def write_screening(
    result: ScreeningResult,
    folder: str | Path,
    *,
    compare: bool = False,
    include_map: bool = True,
    docx: bool = False,
) -> dict[str, Path]:
    """Write ``result.json``, ``report.html``, ``summary.csv`` (and ``ranking.csv``) into ``folder``.

    With ``docx=True`` also ``report.docx``, the same report as a Word document
    (:func:`zoning.screening.docx.screening_docx`).

    ``folder`` must exist and is expected to be a staging folder that is renamed into place
    afterwards (``zoning.io.atomic_directory``, the batch runner), so no file here is ever seen
    half-written.

    Parameters
    ----------
    result : ScreeningResult
        The screening.
    folder : path-like
        An existing (staging) folder.
    compare : bool, default False
        Rank the sites: ``ranking`` in ``result.json`` and ``ranking.csv``.
    include_map : bool, default True
        Embed the map in ``report.html`` (and ``report.docx``).
    docx : bool, default False
        Also write ``report.docx``.

    Returns
    -------
    dict of str to Path
        File name → path.
    """
    folder = Path(folder)
    files = {
        "result.json": folder / "result.json",
        "report.html": folder / "report.html",
        "summary.csv": folder / "summary.csv",
    }
    files["result.json"].write_text(screening_json(result, compare=compare) + "\n", "utf-8")
    files["report.html"].write_text(render_html(result, include_map=include_map), encoding="utf-8")
    from zoning.io.tables import csv_encoding, write_csv

    files["summary.csv"].write_bytes(to_csv(result).encode(csv_encoding()))
    if compare:
        files["ranking.csv"] = folder / "ranking.csv"
        write_csv(result.compare(), files["ranking.csv"], index=False)
    if docx:
        files["report.docx"] = screening_docx(
            result, folder / "report.docx", map_png=static_map(result) if include_map else b""
        )
    return files
