"""``zoning restore``: restoration priorities and a budgeted portfolio from a scenario TOML."""

from __future__ import annotations

import click


@click.command("restore")
@click.option(
    "--scenario",
    "scenario_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=str),
    help="Restoration scenario TOML (e.g. scenarios/demo_restoration.toml).",
)
@click.option(
    "--out",
    "out_dir",
    default=None,
    type=click.Path(file_okay=False, path_type=str),
    help="Output folder (default: restoration-<scenario name>).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option("--no-map", is_flag=True, help="Skip the HTML map.")
def restore(scenario_path: str, out_dir: str | None, overwrite: bool, no_map: bool) -> None:
    """Rank units for restoration, explain the scores and pick a portfolio under a budget.

    Writes priority.tif, criteria.tif, units.gpkg, ranking.csv, ranking_curve.png/.csv,
    map.html and report.json into one folder, atomically (nothing is left on failure).
    """
    import time
    from pathlib import Path

    from zoning.io import atomic_directory
    from zoning.restoration.outputs import write_outputs
    from zoning.restoration.scenario import load_restoration_scenario, run_restoration

    t0 = time.perf_counter()
    scenario = load_restoration_scenario(scenario_path)
    target = Path(out_dir) if out_dir else Path(f"restoration-{scenario.name}")
    from zoning.restoration.scenario import resolve_path
    from zoning.workspace import catalog_inputs, claim_output

    base = scenario.base_dir
    catalog = None
    if scenario.catalog and scenario.catalog != "demo":
        catalog = resolve_path(scenario.catalog, base)
    rasters = [
        (f"raster {name!r}", resolve_path(spec["path"], base))
        for name, spec in scenario.rasters.items()
        if isinstance(spec, dict) and isinstance(spec.get("path"), str)
    ]
    claim_output(  # checked and locked before any work
        target,
        overwrite=overwrite,
        inputs=[("scenario", scenario_path), *catalog_inputs(catalog), *rasters],
    )
    with atomic_directory(target, overwrite=overwrite) as tmp:
        result = run_restoration(scenario)
        report = write_outputs(result, tmp, map_html=not no_map)
    click.echo(f"{report['n_units']} units scored; classes {report['classes']}")
    if report["portfolio"]:
        p = report["portfolio"]
        click.echo(
            f"portfolio: {p['n_selected']} units, cost {p['cost']:.6g} of {p['budget']:.6g}, "
            f"benefit {p['objective']:.6g} (gap {p['gap']:.2e}, {p['status']}, "
            f"{p['n_variables']} variables, {p['time_s']:.1f} s)"
        )
    click.echo(f"wrote {target} in {time.perf_counter() - t0:.1f} s")
