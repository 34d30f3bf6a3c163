"""What a command imports: ``zoning stats`` loads none of the map, office or server libraries.

Each check runs the command in a fresh interpreter (``sys.modules`` of the test process holds
whatever earlier tests imported) and lists the modules it ended with.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fresh_python import last_line

#: libraries (and zoning packages) that only maps, reports, workbooks, PostGIS, Dask or the
#: server need; the statistics need none of them
NOT_FOR_STATS = [
    "folium",
    "branca",
    "jinja2",
    "matplotlib",
    "docx",
    "openpyxl",
    "rasterio",
    "sqlalchemy",
    "psycopg",
    "psycopg2",
    "dask",
    "distributed",
    "zoning.maps",
    "zoning.screening",
    "zoning.serve",
    "zoning.restoration",
    "zoning.ledger",
    "zoning.io.postgis",  # a catalogue's paths are told from database URLs without it
]

#: what reads a layer's source and writes the layer cache: a run on cached layers needs none
#: what OpenBLAS reads for its number of threads
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")

CACHE_MISS_ONLY = ["zoning.io.read", "zoning.io.vector", "zoning.io.gpkg", "zoning.io.encodings"]


def _modules_after(argv: list[str]) -> set[str]:
    """Run ``zoning ARGV`` in a new interpreter; return the modules it had loaded at the end."""
    code = (
        "import json, sys\n"
        "from zoning.cli.main import cli\n"
        "try:\n"
        f"    cli({argv!r})\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    return set(json.loads(last_line(code)))


def _loaded(modules: set[str], names: list[str]) -> list[str]:
    return [n for n in names if n in modules or any(m.startswith(n + ".") for m in modules)]


def test_stats_help_loads_no_data_library():
    modules = _modules_after(["stats", "--help"])
    assert "zoning.cli.stats" in modules  # the command itself was loaded
    assert _loaded(modules, ["numpy", "pandas", "geopandas", "numba", *NOT_FOR_STATS]) == []


@pytest.mark.usefixtures("demo_catalog_path")
def test_stats_run_loads_no_map_office_or_server_library(tmp_path):
    modules = _modules_after(["stats", "--layers", "spring_area", "--out", str(tmp_path / "s")])
    assert (tmp_path / "s" / "stats.csv").is_file()
    assert {"geopandas", "zoning.stats.summary", "zoning.polyarea"} <= modules  # it did run
    assert _loaded(modules, NOT_FOR_STATS) == []
    # of zoning run it needs only the list of a catalogue's input files, and not the scenario
    # module that list's module names in a type hint
    assert "zoning.run.inputs" in modules
    assert "zoning.catalog.report" not in modules  # a catalogue's health report: not needed
    # cached layers are read file by file (zoning.io.geoparquet), not as Arrow datasets
    assert _loaded(modules, ["pyarrow.dataset", "pyarrow._dataset", "pyarrow._acero"]) == []
    # the project types (and difflib, for their suggestions) check a scenario's sites only
    assert _loaded(modules, ["zoning.projects", "difflib"]) == []
    assert (
        _loaded(
            modules,
            ["zoning.run.execute", "zoning.run.steps", "zoning.run.outputs", "zoning.scenario"],
        )
        == []
    )


@pytest.mark.usefixtures("demo_catalog_path")
def test_stats_on_cached_layers_loads_no_layer_validation(tmp_path):
    # the cached frames were validated when cached: choosing their columns needs only the
    # list of normalised columns (zoning.kinds), not the validation module
    argv = ["stats", "--layers", "spring_area", "--out", str(tmp_path / "s")]
    _modules_after(argv)  # fills the layer cache, if not done yet
    modules = _modules_after([*argv, "--overwrite"])
    assert "zoning.catalog.model" in modules and (tmp_path / "s" / "stats.csv").is_file()
    assert "zoning.validation" not in modules


@pytest.mark.usefixtures("demo_catalog_path")
def test_stats_on_every_demo_layer_loads_no_scipy(tmp_path):
    # every polygon layer: overlapping features are grouped (connected components) and
    # checked for near copies, neither of which needs scipy.sparse on clean layers; the
    # cached kernels load without numba's compile set-up, whose check for a BLAS would
    # import scipy.linalg (zoning.jit: the light loader), and its two BLAS modules are loaded
    # only for a compile; numba's import checks SciPy's version without importing it
    # (zoning.jit._import_numba): nothing of SciPy at all
    modules = _modules_after(["stats", "--out", str(tmp_path / "s")])
    assert (tmp_path / "s" / "stats.csv").is_file()
    assert "zoning.stats.dissolve" in modules  # it did group the features
    assert "zoning.polyarea" in modules  # and measured them with the kernel
    # (the kernel comes from numba's cache, as after make setup; a compile needs arraymath)
    assert _loaded(modules, ["scipy", "numba.np.arraymath"]) == []


@pytest.mark.usefixtures("demo_catalog_path")
def test_stats_on_cached_layers_loads_no_vector_reader_or_writer(tmp_path):
    argv = ["stats", "--layers", "spring_area", "--out", str(tmp_path / "s")]
    _modules_after(argv)  # reads the sources and fills the layer cache, if not done yet
    modules = _modules_after([*argv, "--overwrite"])
    assert "zoning.catalog.model" in modules and (tmp_path / "s" / "stats.csv").is_file()
    assert _loaded(modules, CACHE_MISS_ONLY) == []


@pytest.mark.skipif(
    not Path("/proc/self/task").is_dir() or (os.cpu_count() or 1) < 2,
    reason="counts the threads of a process in /proc; OpenBLAS starts one per CPU",
)
def test_stats_imports_numpy_with_openblas_on_one_thread_unless_told_otherwise():
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREADS}
    count = "import os; print(len(os.listdir('/proc/self/task')), {})"
    plain = last_line(f"import numpy\n{count.format('0')}", env)
    assert int(plain.split()[0]) > 1  # what NumPy's OpenBLAS does by itself: a thread per CPU
    spared = last_line(
        "from zoning.cli.stats import _import_numpy_without_blas_threads as imp\n"
        "imp()\n"
        "import sys\n"
        + count.format("'numpy' in sys.modules, os.environ.get('OPENBLAS_NUM_THREADS')"),
        env,
    )
    assert spared == "1 True None"  # one thread, and the environment as it was
    told = last_line(
        "from zoning.cli.stats import _import_numpy_without_blas_threads as imp\n"
        "imp()\nimport numpy\n" + count.format("os.environ['OPENBLAS_NUM_THREADS']"),
        {**env, "OPENBLAS_NUM_THREADS": "2"},
    )
    assert told == "2 2"  # the user's setting stands


#: asks NumPy's OpenBLAS how many threads it runs (the library as mapped in this process)
BLAS_COUNT = """
import ctypes
def blas_threads():
    libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "openblas" in l.lower()})
    for path in libs:
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
                     "openblas_get_num_threads64_", "openblas_get_num_threads"):
            if hasattr(lib, name):
                return getattr(lib, name)()
    return None
"""


@pytest.mark.usefixtures("demo_catalog_path")
@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="reads /proc/self/maps")
def test_stats_as_the_program_runs_numpy_blas_on_one_thread_and_in_process_as_numpy_does(
    tmp_path,
):
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREADS}
    argv = ["stats", "--layers", "spring_area", "--out", str(tmp_path / "s")]
    plain = last_line(f"{BLAS_COUNT}\nimport numpy\nprint(blas_threads())", env)
    if plain in ("None", "1"):
        pytest.skip(f"no OpenBLAS found, or one CPU ({plain})")
    # the program ends without the interpreter's teardown, after the atexit handlers
    program = last_line(
        f"{BLAS_COUNT}\nimport atexit, os, sys\n"
        "atexit.register(lambda: print(blas_threads(), os.environ.get('OPENBLAS_NUM_THREADS')))\n"
        f"sys.argv = ['zoning', *{[*argv, '--overwrite']!r}]\n"
        "from zoning.cli.main import cli\ncli()\n",
        env,
    )
    assert program == "1 None"
    in_process = last_line(
        f"{BLAS_COUNT}\nfrom zoning.cli.main import cli\n"
        f"try:\n    cli({[*argv, '--overwrite']!r})\nexcept SystemExit as exc:\n"
        "    assert not exc.code\nprint(blas_threads())\n",
        env,
    )
    assert in_process == plain
