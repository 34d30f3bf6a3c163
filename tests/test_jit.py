"""``zoning.jit.njit``: a numba cache that cannot be used falls back to an uncached compile
(issue 12 item 7) — no ``RuntimeError: cannot cache function``, no ``UnpicklingError``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

KERNEL = textwrap.dedent(
    """
    from zoning.jit import njit

    @njit(cache=True, nogil=True)
    def weighted(a, b):
        return a + 2 * b
    """
)


def test_no_writable_cache_location_compiles_uncached_with_a_warning(monkeypatch) -> None:
    from numba.core import caching

    from zoning.jit import JitCacheWarning, njit

    # what numba finds with a read-only __pycache__ and an unwritable $HOME: no locator
    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])

    def weighted(a, b):
        return a + 3 * b

    with pytest.warns(JitCacheWarning, match="cannot cache"):
        fast = njit(cache=True, nogil=True)(weighted)
    assert fast(1, 2) == 7


def _run(folder: Path) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(folder / "numba-cache"),
        "PYTHONPATH": os.pathsep.join([str(folder), str(root)]),
    }
    return subprocess.run(
        [sys.executable, "-c", "import kern; print(kern.weighted(1, 2))"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize("damaged", [".nbc", ".nbi"])
def test_truncated_cache_files_are_compiled_again_with_a_warning(
    tmp_path: Path, damaged: str
) -> None:
    (tmp_path / "kern.py").write_text(KERNEL, encoding="utf-8")
    first = _run(tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "5"
    files = list((tmp_path / "numba-cache").rglob(f"*{damaged}"))
    assert files, "numba wrote no cache"
    for p in files:  # a full disk or a killed compile leaves them cut short
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])
    second = _run(tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "5"
    assert "JitCacheWarning" in second.stderr and "cannot be read" in second.stderr
    assert "Traceback" not in second.stderr


def _fresh(code: str) -> str:
    """Run ``code`` in a new interpreter (numba's set-up happens once per process)."""
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def test_numba_blas_check_passes_without_importing_scipy_linalg() -> None:
    out = _fresh(
        """
        import sys
        from zoning.jit import without_scipy_linalg

        def task():
            import numba.np.arraymath  # numba's check for a BLAS runs at this import
            return numba.np.arraymath._HAVE_BLAS

        have_blas = without_scipy_linalg(task)
        during = "scipy.linalg" in sys.modules
        left = [m for m in sys.modules if m.startswith("scipy.linalg")]
        import scipy.linalg.cython_blas as blas  # afterwards: the usual import, package and all
        import scipy.linalg
        print(have_blas, during, left, scipy.linalg.cython_blas is blas, "dgemm" in str(
            blas.__pyx_capi__))
        """
    )
    assert out == "True False [] True True"


def test_scipy_linalg_already_loaded_is_left_as_it_is() -> None:
    out = _fresh(
        """
        import sys
        import scipy.linalg.cython_blas as blas
        from zoning.jit import without_scipy_linalg

        print(without_scipy_linalg(lambda: 7), sys.modules["scipy.linalg.cython_blas"] is blas)
        """
    )
    assert out == "7 True"
