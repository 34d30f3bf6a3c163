"""``zoning restore``: restoration priorities and a budgeted portfolio from a scenario TOML."""

from __future__ import annotations

import click

from zoning.cli.options import csv_encoding_option, json_option, out_option, overwrite_option


@click.command("restore")
@click.argument("scenario", required=False)
@click.option(
    "--scenario",
    "scenario_option",
    default=None,
    metavar="SCENARIO",
    help="The same as the SCENARIO argument (kept for scripts written for older versions).",
)
@out_option("Output folder (default: restoration-<scenario name>).", name="out_dir", path_type=str)
@overwrite_option()
@click.option("--no-map", is_flag=True, help="Skip the HTML map.")
@click.option("--docx", is_flag=True, help="Also write report.docx (Word).")
@csv_encoding_option
@json_option
def restore(
    scenario: str | None,
    scenario_option: str | None,
    out_dir: str | None,
    overwrite: bool,
    no_map: bool,
    docx: bool,
    as_json: bool = False,
) -> None:
    """Rank units for restoration, explain the scores and pick a portfolio under a budget.

    SCENARIO is a restoration scenario TOML, or 'demo' for the bundled one (northern Shanxi).

    Writes priority.tif, criteria.tif, units.gpkg, ranking.csv, ranking_curve.png/.csv,
    map.html and report.json into one folder, atomically (nothing is left on failure).
    """
    import time
    from pathlib import Path

    from zoning.datasets import resolve_scenario
    from zoning.io import atomic_directory
    from zoning.restoration.outputs import format_yuan, write_outputs
    from zoning.restoration.run import run_restoration
    from zoning.restoration.scenario import load_restoration_scenario

    if scenario and scenario_option and scenario != scenario_option:
        raise click.UsageError(
            f"two scenarios given ({scenario!r} and --scenario {scenario_option!r}); give one"
        )
    name = scenario or scenario_option
    if not name:
        raise click.UsageError("missing SCENARIO: a restoration scenario TOML, or `demo`")
    t0 = time.perf_counter()
    from zoning.cli.options import progress_steps

    steps = progress_steps(
        "zoning restore", ["read scenario", "score units and portfolio", "write outputs"]
    )
    steps.start("read scenario")
    scenario_path = resolve_scenario(name, "restore")
    spec = load_restoration_scenario(scenario_path)
    target = Path(out_dir) if out_dir else Path(f"restoration-{spec.name}")
    from zoning.cli.options import claim_out
    from zoning.spec import resolve_path

    base = spec.base_dir
    catalog = None
    if spec.catalog and spec.catalog != "demo":
        catalog = resolve_path(spec.catalog, base)
    rasters = [
        (f"raster {raster!r}", resolve_path(raster_spec["path"], base))
        for raster, raster_spec in spec.rasters.items()
        if isinstance(raster_spec, dict) and isinstance(raster_spec.get("path"), str)
    ]
    claim_out(  # checked and locked before any work
        target, overwrite, before=[("scenario", scenario_path)], catalog=catalog, after=rasters
    )
    with atomic_directory(target, overwrite=overwrite) as tmp:
        steps.start("score units and portfolio")
        result = run_restoration(spec)
        steps.start("write outputs")
        report = write_outputs(result, tmp, map_html=not no_map, docx=docx)
    steps.finish()
    if as_json:
        from zoning.cli.options import echo_json

        echo_json({"out": str(target), **report})
        return
    click.echo(f"{report['n_units']} units scored; classes {report['classes']}")
    if report["portfolio"]:
        p = report["portfolio"]
        click.echo(
            f"portfolio: {p['n_selected']} units, cost {format_yuan(p['cost'])} of "
            f"{format_yuan(p['budget'])}, benefit {p['objective']:.6g} (gap {p['gap']:.2e}, "
            f"{p['status']}, {p['n_variables']} variables, {p['time_s']:.1f} s)"
        )
    click.echo(f"wrote {target} in {time.perf_counter() - t0:.1f} s")
