"""``zoning run``: run a scenario (statistics, overlaps, indicators, screening) into one folder."""

from __future__ import annotations

from pathlib import Path

import click

from zoning.cli.options import (
    csv_encoding_option,
    db_option,
    json_option,
    out_option,
    overwrite_option,
    scheduler_options,
)

__all__ = ["run"]


@click.command("run")
@click.argument("scenario")
@out_option("Output folder (default: runs/<scenario id>).")
@overwrite_option()
@click.option(
    "--resume", is_flag=True, help="Reuse the checkpoints of an interrupted run of this scenario."
)
@scheduler_options("Run the statistics on a Dask cluster (tcp://host:8786, or 'local').")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bars on stderr (default: on a TTY)."
)
@db_option(
    "Also write stats.csv as table zoning_stats to this PostGIS database (run id: the "
    "output folder's name; its rows replaced). Written before the folder is published: if "
    "the database refuses, no folder is written either."
)
@click.option("--docx", is_flag=True, help="Also write the reports as Word documents (.docx).")
@csv_encoding_option
@json_option
def run(
    scenario: str,
    out: Path | None,
    overwrite: bool,
    resume: bool,
    scheduler: str | None,
    dask: bool,
    progress: bool | None,
    db: str | None,
    docx: bool,
    as_json: bool = False,
) -> None:
    """Run SCENARIO (a TOML file, or 'demo' for the bundled one) and write one folder: stats.csv, overlaps.csv,
    indicators.csv, stats.xlsx, units.gpkg, map.html, run.log and manifest.json.

    A failed run leaves no folder behind; an interrupted one can be resumed with --resume.
    """  # noqa: D205 (the docstring is click's --help text: a blank line would split its first paragraph)
    from zoning.cli.options import quiet
    from zoning.datasets import resolve_scenario
    from zoning.progress import redirect_logging
    from zoning.run import RunResult, run_scenario

    if quiet():
        progress = False  # zoning --quiet: no bars either
    click.get_current_context().with_resource(redirect_logging(progress))
    write_db = None
    if db is not None:
        from zoning.io.postgis import check_connection

        check_connection(db)  # before the run: an unreachable database fails in seconds

        def write_db(staged: RunResult, target: Path) -> None:
            """Write stats.csv as table zoning_stats (run id: the folder's name), or fail the run."""
            if "stats.csv" not in staged.files:
                return
            import pandas as pd

            from zoning.io.postgis import write_tables

            table = pd.read_csv(staged.files["stats.csv"], dtype={"unit_id": str})
            write_tables(db, {"zoning_stats": table}, key_column="run_id", key=target.name)

    result = run_scenario(
        resolve_scenario(scenario, "run"),
        out=out,
        overwrite=overwrite,
        resume=resume,
        scheduler=scheduler or ("local" if dask else None),
        progress=progress,
        docx=docx,
        before_publish=write_db,
    )
    if as_json:
        from zoning.cli.options import echo_json

        echo_json(
            {
                "out": str(result.folder),
                "files": {name: str(path) for name, path in sorted(result.files.items())},
            }
        )
        return
    click.echo(str(result.folder))
    if db is not None and "stats.csv" in result.files:
        from zoning.io.postgis import redact_url

        click.echo(f"{redact_url(db)} zoning_stats (run {result.folder.name})")
