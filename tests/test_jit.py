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


#: what numba's full target set-up imports and a cached kernel does not need: its typing and
#: lowering registries for compiling (unicode strings are loaded by numba's own import)
COMPILE_ONLY = [
    "numba.np.arraymath",
    "numba.np.linalg",
    "numba.np.polynomial",
    "numba.np.random.generator_methods",
    "numba.experimental.function_type",
    "numba.typed.dictimpl",
]


def test_cached_kernel_loads_without_numbas_compile_set_up() -> None:
    # the area kernel is compiled and cached (make setup); loading it needs the NRT and the
    # C helpers, not the registries a compile needs, nor a scan of every installed
    # distribution's entry points for numba extensions
    out = _fresh(
        f"""
        import sys
        import numba.core.entrypoints as entrypoints
        from zoning import polyarea

        area = polyarea.warm_up()
        loaded = [m for m in {COMPILE_ONLY!r} if m in sys.modules]
        compiled = sum(polyarea._tasks.stats.cache_misses.values())
        print(compiled, area, loaded, entrypoints._already_initialized)
        """
    )
    compiled, _, rest = out.partition(" ")
    assert compiled == "0", "the kernel was compiled, not loaded: run make setup first"
    assert rest == "7.0 [] False"


HASHING_KERNEL = textwrap.dedent(
    """
    import numpy as np
    from zoning.jit import njit

    @njit(cache=True, nogil=True)
    def distinct(a):
        seen = set()
        for x in a:
            seen.add(x)
        return len(seen)

    @njit(cache=True, nogil=True)
    def sorted_copy(a):
        return np.sort(a)
    """
)


def _run_code(folder: Path, code: str) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(folder / "numba-cache"),
        "PYTHONPATH": os.pathsep.join([str(folder), str(root)]),
    }
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_cached_kernels_that_hash_and_sort_run_after_a_light_load(tmp_path: Path) -> None:
    # the first process compiles and caches; the second loads the machine code without
    # numba's compile set-up: a set of integers needs the hash secret's symbols, np.sort
    # the NRT; then it compiles a new function, which gets the full set-up after all
    (tmp_path / "hk.py").write_text(HASHING_KERNEL, encoding="utf-8")
    code = """
        import sys
        import numpy as np
        import hk

        a = np.array([5, 3, 5, 1, 3, 8])
        print(hk.distinct(a), hk.sorted_copy(a).tolist(), "numba.np.arraymath" in sys.modules)
        """
    first = _run_code(tmp_path, code)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "4 [1, 3, 3, 5, 5, 8] True"  # compiled: full set-up
    second = _run_code(
        tmp_path,
        code
        + """
        hits = {k: v for k, v in hk.distinct.stats.cache_hits.items()}
        from zoning.jit import njit

        @njit
        def twice(x):
            return hk.distinct(x) * 2

        print(len(hits), twice(a), "numba.np.arraymath" in sys.modules)
        """,
    )
    assert second.returncode == 0, second.stderr
    lines = second.stdout.strip().splitlines()
    assert lines == ["4 [1, 3, 3, 5, 5, 8] False", "1 8 True"]


def test_numba_is_imported_without_pyyaml_until_its_config_file_needs_it() -> None:
    out = _fresh(
        """
        import sys
        from zoning.polyarea import warm_up

        area = warm_up()
        during = "yaml" in sys.modules
        import numba.core.config as config

        print(area, during, config._HAVE_YAML, config.yaml.safe_load("opt: 2"), "yaml" in sys.modules)
        """
    )
    assert out == "7.0 False True {'opt': 2} True"


def test_a_numba_config_file_in_the_working_folder_is_still_read(tmp_path: Path) -> None:
    (tmp_path / ".numba_config.yaml").write_text("debug_cache: 1\n", encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from zoning.jit import njit\n"
            "f = njit(lambda x: x + 1)\n"
            "import numba.core.config as c\n"
            "print(f(1), c.DEBUG_CACHE, c._HAVE_YAML)",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-3:] == ["2", "1", "True"]  # numba's default is 0


def test_cached_area_kernel_loads_without_numbas_array_and_hashing_modules() -> None:
    # the area kernel allocates no NumPy array (its buffers come from Python) and hashes
    # nothing: loading its cached code needs neither numba's array module (with what it
    # drags in: strings, sorting) nor the hash secret (numba's random module)
    out = _fresh(
        """
        import sys
        from zoning import polyarea

        area = polyarea.warm_up()
        modules = ["numba.np.arrayobj", "numba.cpython.unicode", "numba.cpython.hashing",
                   "numba.cpython.randomimpl"]
        compiled = sum(polyarea._tasks.stats.cache_misses.values())
        print(compiled, area, [m for m in modules if m in sys.modules])
        """
    )
    compiled, _, rest = out.partition(" ")
    assert compiled == "0", "the kernel was compiled, not loaded: run make setup first"
    assert rest == "7.0 []"
