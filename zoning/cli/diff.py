"""``zoning diff``: what changed between two runs, or between two vintages of a layer."""

from __future__ import annotations

from pathlib import Path

import click

from zoning.cli.params import FiniteFloat

__all__ = ["diff"]


@click.command("diff")
@click.argument("a", type=click.Path(exists=True, path_type=Path))
@click.argument("b", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the differences (CSV; GPKG/GeoJSON for vintages).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@click.option("--all", "keep_all", is_flag=True, help="Keep unchanged rows too (runs).")
@click.option(
    "--tolerance-km2",
    type=FiniteFloat(0, unit="km²"),
    default=1e-6,
    show_default=True,
    help="Area changes at or below this are unchanged (runs).",
)
@click.option(
    "--id-field",
    default="feature_id",
    show_default=True,
    help="Feature id column (vintages: two vector files).",
)
def diff(
    a: Path,
    b: Path,
    out: Path | None,
    overwrite: bool,
    keep_all: bool,
    tolerance_km2: float,
    id_field: str,
) -> None:
    """Compare A and B: two run folders (or stats.csv files) — which units changed and by how
    much — or two vintages of a layer (vector files) — which features were added, removed or
    reshaped. A summary goes to stdout.
    """
    from zoning.diff import diff_runs, diff_vintages

    if out is not None:  # checked and locked before any work
        from zoning.workspace import claim_output

        claim_output(out, overwrite=overwrite, inputs=[("first input", a), ("second input", b)])
    runs = all(p.is_dir() or p.suffix.lower() == ".csv" for p in (a, b))
    if runs:
        table = diff_runs(a, b, tolerance_km2=tolerance_km2, keep_unchanged=keep_all)
        counts = table.status.value_counts().to_dict()
        click.echo(
            f"{table.unit_id.nunique()} unit(s) differ: "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
        for r in table.head(20).itertuples(index=False):
            click.echo(
                f"  {r.unit_id} {r.layer_kind}/{r.zone}: {r.status} "
                f"{r.delta_km2:+.4f} km² ({r.delta_share_pct:+.4f} points)"
            )
        if out is not None:
            from zoning.io import atomic_write_text

            atomic_write_text(
                out, table.to_csv(index=False, lineterminator="\n"), overwrite=overwrite
            )
        return
    from zoning.io import read_vector, write_vector

    changes = diff_vintages(read_vector(a), read_vector(b), id_field=id_field)
    counts = changes.status.value_counts().to_dict()
    click.echo(
        f"{len(changes)} feature(s) differ: "
        + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none")
    )
    for r in changes.head(20).itertuples(index=False):
        click.echo(
            f"  {r.feature_id or r.feature_id_old}: {r.status} "
            f"+{r.gained_m2 / 1e6:.4f} / -{r.lost_m2 / 1e6:.4f} km²"
        )
    if out is not None:
        write_vector(changes, out, overwrite=overwrite)
