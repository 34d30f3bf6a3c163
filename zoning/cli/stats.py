"""``zoning stats``: area and share of every layer and zone per unit, written to stats.csv."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from zoning.cli.options import (
    catalog_option,
    csv_encoding_option,
    db_option,
    json_option,
    out_option,
    overwrite_option,
    scheduler_options,
)

if TYPE_CHECKING:
    from zoning.threads import Background

__all__ = ["stats"]


@click.command("stats")
@catalog_option()
@click.option(
    "--units",
    "units_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Unit layer (default: the counties of the catalogue's admin_unit layer).",
)
@click.option("--unit-field", default="adcode", show_default=True, help="Id column of the units.")
@click.option("--unit-layer", default=None, help="Layer of a multi-layer unit file.")
@click.option(
    "--level",
    type=click.Choice(["county", "city", "province"]),
    default="county",
    show_default=True,
    help="Admin level of the catalogue units (without --units).",
)
@click.option(
    "--layers", default=None, help="Layer kinds, comma-separated (default: all polygon kinds)."
)
@out_option("Output folder (stats.csv is written in it; default: stats-<catalogue name>).")
@overwrite_option()
@scheduler_options("Compute on Dask: 'local' (a cluster on this machine) or tcp://host:8786.")
@csv_encoding_option
@json_option
@db_option("Also write table zoning_stats to this PostGIS database (rows of --run-id replaced).")
@click.option(
    "--run-id", default=None, help="Run id of the database rows (default: catalogue name)."
)
def stats(
    catalog_path: Path | None,
    units_path: Path | None,
    unit_field: str,
    unit_layer: str | None,
    level: str,
    layers: str | None,
    out: Path | None,
    overwrite: bool,
    scheduler: str | None,
    dask: bool,
    as_json: bool = False,
    db: str | None = None,
    run_id: str | None = None,
) -> None:
    """Zoning statistics: for every unit, layer kind and zone, the area (km², equal-area
    Albers) and share of the unit, with overlapping features counted once.

    Writes OUT/stats.csv (unit_id, layer_kind, zone, area_km2, unit_area_km2, share_pct,
    level, unit_name; zone "all" is the whole layer), as zoning run does.
    """  # noqa: D205 (the docstring is click's --help text: a blank line would split its first paragraph)
    from zoning.cli.options import running_as_program
    from zoning.threads import Background

    collector_paused = False
    if running_as_program():  # the settings last as long as the process
        # no cycle collection while the libraries are imported and the catalogue is read
        collector_paused = _pause_collector()
        _import_numpy_without_blas_threads()
    # numba and the kernel module are imported on a thread of their own from the start: while
    # the output is checked (with --catalog that reads the catalogue, importing pandas and
    # geopandas); importing compiles nothing and writes nothing
    imports = Background(_import_kernels, "zoning-kernel-imports")
    context = click.get_current_context()
    context.call_on_close(lambda: imports.wait(raise_error=False))
    from zoning.cli.options import allow_quick_exit, catalog_label, progress_steps
    from zoning.io.workspace import claim_output
    from zoning.run.inputs import catalog_inputs

    if out is None:
        from zoning.cli.options import default_out

        out = default_out("stats", catalog_label(catalog_path))
    claim_output(  # checked and locked before any work
        out,
        overwrite=overwrite,
        inputs=[*catalog_inputs(catalog_path), ("units file", units_path)],
    )
    # numba loads the area kernel's compiled code (and would compile it, were it not cached)
    # while pandas, geopandas and pyproj are imported and the catalogue is read; the
    # statistics wait for it
    kernels = Background(lambda: _load_kernels(imports), "zoning-kernels")
    context.call_on_close(lambda: kernels.wait(raise_error=False))
    from zoning.catalog import load_catalog
    from zoning.crs import ALBERS_CHINA
    from zoning.errors import CatalogError, Problem
    from zoning.io import atomic_directory
    from zoning.stats import choose_kinds

    steps = progress_steps(
        "zoning stats", ["load catalogue", "read layers", "statistics", "write stats.csv"]
    )
    steps.start("load catalogue")
    if catalog_path is None:
        from zoning.datasets import demo_catalog_path

        catalog_path = demo_catalog_path()
    catalog = load_catalog(catalog_path)  # imports neither pandas nor geopandas
    kinds = choose_kinds(catalog, layers)
    # the cached frames (and their source's checksum) are read on a thread of their own while
    # pandas and geopandas are imported here
    reading = catalog.read_ahead(
        kinds, ALBERS_CHINA, ["zone"], loaded=["admin_unit"] if units_path is None else []
    )
    if reading is not None:  # joined before the process may end at once
        context.call_on_close(reading.join)
    if units_path is not None:
        from zoning.io import read_vector

        units = read_vector(units_path, layer=unit_layer)
    else:
        if "admin_unit" not in catalog.kinds:
            raise CatalogError(
                f"catalogue {catalog.path}",
                [
                    Problem(
                        "units_missing",
                        "the catalogue has no admin_unit layer; pass --units FILE "
                        "--unit-field FIELD",
                    )
                ],
            )
        from zoning.catalog import units_of_level

        units = units_of_level(catalog, level)
    steps.start("read layers")
    # statistics read the zone and the geometry only: the other attributes stay on disk
    frames = {k: catalog.frame(k, crs=ALBERS_CHINA, columns=["zone"]) for k in kinds}
    steps.start("statistics")
    kernels.wait()
    if collector_paused:  # on again for the statistics, the start-up's objects set aside
        _resume_collector()
    if scheduler or dask:
        from zoning.stats import area_by_unit_dask

        table = area_by_unit_dask(
            units, frames, unit_id=unit_field, crs=ALBERS_CHINA, scheduler=scheduler or "local"
        )
    else:
        from zoning.stats import area_by_unit

        table = area_by_unit(units, frames, unit_id=unit_field, crs=ALBERS_CHINA)
    table["level"] = level if units_path is None else "unit"  # as zoning run writes it
    table["unit_name"] = table.unit_id.astype(str).map(_unit_names(units, unit_field))
    steps.start("write stats.csv")
    with atomic_directory(out, overwrite=overwrite) as tmp:
        from zoning.io.tables import write_csv

        write_csv(table, tmp / "stats.csv", index=False, float_format="%.10g")
        if db is not None:  # inside: a failed database write leaves no folder either
            from zoning.io.postgis import write_tables

            key = run_id or catalog.name
            write_tables(db, {"zoning_stats": table}, key_column="run_id", key=key)
    steps.finish()
    if not (scheduler or dask or db):  # no cluster, no connection pool left to close
        allow_quick_exit()
    if as_json:
        from zoning.cli.options import echo_json

        echo_json(
            {
                "out": str(out),
                "files": {"stats.csv": str(out / "stats.csv")},
                "units": int(table.unit_id.nunique()),
                "layers": kinds,
                "rows": table.to_dict(orient="records"),
            }
        )
        return
    click.echo(str(out / "stats.csv"))
    if db is not None:
        from zoning.io.postgis import redact_url

        click.echo(f"{redact_url(db)} zoning_stats (run {key})")


#: what OpenBLAS reads for its number of threads, in its order
_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


def _import_numpy_without_blas_threads() -> None:
    """Import NumPy with its OpenBLAS on one thread, unless the environment says otherwise.

    OpenBLAS starts a thread per CPU when NumPy loads it, and those threads cost about 0.03 s
    of CPU in a ``zoning stats`` process; the statistics use no linear algebra (GEOS, numba
    kernels and NumPy's element-wise functions, none of which calls a BLAS). The setting is
    made only for the import: the variable is removed again, so that processes started later
    (Dask's local workers) see the environment as it was. A thread count the user set
    (``OPENBLAS_NUM_THREADS``, ``GOTO_NUM_THREADS``, ``OMP_NUM_THREADS``), or NumPy already
    imported, is left as it is. ``zoning stats`` calls this only when it runs as the program
    (:func:`zoning.cli.options.running_as_program`): run inside a Python process, it leaves
    that process's NumPy to set itself up.
    """
    import os
    import sys

    if "numpy" in sys.modules or any(name in os.environ for name in _BLAS_THREADS):
        return
    os.environ[_BLAS_THREADS[0]] = "1"
    try:
        import numpy  # noqa: F401
    finally:
        del os.environ[_BLAS_THREADS[0]]


def _pause_collector() -> bool:
    """Switch Python's cycle collector off for the start-up; tell whether it was switched off.

    Importing pandas, geopandas, pyproj, pyarrow and numba and reading the catalogue makes
    some 170,000 objects that live as long as the process, and the collector ran about 300
    times meanwhile (twice over all of them): about 0.12 s of CPU holding the GIL that the
    other start-up threads wait for, to free some 900 objects. :func:`_resume_collector`
    switches it on again before the statistics. Reference counting frees objects as usual
    meanwhile; only reference cycles wait. A collector already off (the user's choice) is
    left off, and False returned.
    """
    import gc

    if not gc.isenabled():
        return False
    gc.disable()
    return True


def _resume_collector() -> None:
    """Switch the cycle collector on again, the start-up's objects set aside (``gc.freeze``).

    Frozen objects are never traversed again, so the statistics' collections cost what the
    statistics allocate, not what the imports did; they are still freed by reference counting
    (a reference cycle among them stays until the process ends).
    """
    import gc

    gc.freeze()
    gc.enable()


def _import_kernels() -> None:
    """Import numba and the statistics' kernel modules (decorating compiles nothing).

    The area kernel, the dissolve's proof of pairs apart (and its envelope join's cell pairs),
    and the measure's shoelace areas.
    """
    import zoning.polyarea
    import zoning.stats.interiors_apart
    import zoning.stats.ring_area  # noqa: F401


def _load_kernels(imports: Background) -> None:
    """Load the statistics' kernels (numba's cached machine code) by running each once.

    ``imports`` is the thread importing the kernel's module: its error, if any, is raised here.

    Cached code loads without numba's compile set-up (:func:`zoning.jit.njit`); should the
    kernel have to be compiled after all, numba's check for a BLAS in that set-up goes without
    importing all of scipy.linalg (:func:`zoning.jit.without_scipy_linalg`): the statistics use
    no linear algebra.
    """
    imports.wait()
    from zoning.jit import without_scipy_linalg
    from zoning.polyarea import warm_up
    from zoning.stats import interiors_apart, ring_area

    without_scipy_linalg(warm_up)
    without_scipy_linalg(interiors_apart.warm_up)
    without_scipy_linalg(ring_area.warm_up)


def _unit_names(units: Any, unit_field: str) -> dict[str, str]:
    """Map unit id → name, from the units' ``name`` column (empty when they have none)."""
    if "name" not in units.columns or unit_field not in units.columns:
        return {}
    return dict(zip(units[unit_field].astype(str), units["name"].astype(str), strict=False))
