"""``zoning diff``: what changed between two runs, or between two vintages of a layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from zoning.cli.options import (
    csv_encoding_option,
    echo_json,
    json_option,
    out_option,
    overwrite_option,
    tolerance_km2_option,
)

__all__ = ["diff"]


@click.command("diff")
@click.argument("a", type=click.Path(exists=True, path_type=Path))
@click.argument("b", type=click.Path(exists=True, path_type=Path))
@out_option("Write the differences (CSV; GPKG/GeoJSON for vintages).", file=True)
@overwrite_option("Replace an existing --out file.")
@click.option("--all", "keep_all", is_flag=True, help="Keep unchanged rows too (runs).")
@tolerance_km2_option("Area changes at or below this are unchanged (runs).")
@click.option(
    "--id-field",
    default="feature_id",
    show_default=True,
    help="Feature id column (vintages: two vector files).",
)
@click.option(
    "--layer",
    "layer",
    default=None,
    help="Layer to compare in multi-layer files (vintages; the same name in both).",
)
@csv_encoding_option
@json_option
def diff(
    a: Path,
    b: Path,
    out: Path | None,
    overwrite: bool,
    keep_all: bool,
    tolerance_km2: float,
    id_field: str,
    layer: str | None = None,
    as_json: bool = False,
) -> None:
    """Compare A and B: two run folders (or stats.csv files) — which units changed and by how
    much — or two vintages of a layer (vector files) — which features were added, removed or
    reshaped. A summary goes to stdout.
    """  # noqa: D205 (the docstring is click's --help text: a blank line would split its first paragraph)
    from zoning.stats.diff import diff_runs, diff_vintages

    if out is not None:  # checked and locked before any work
        from zoning.cli.options import claim_out

        claim_out(out, overwrite, before=[("first input", a), ("second input", b)])
    runs = all(p.is_dir() or p.suffix.lower() == ".csv" for p in (a, b))
    if runs:
        table = diff_runs(a, b, tolerance_km2=tolerance_km2, keep_unchanged=keep_all)
        counts = table.status.value_counts().to_dict()
        changed = table[table.status != "unchanged"]
        if as_json:
            _write_runs_csv(table, out, overwrite)
            echo_json(
                {
                    "kind": "runs",
                    "units_differing": int(changed.unit_id.nunique()),
                    "counts": {str(k): int(v) for k, v in sorted(counts.items())},
                    "rows": table.to_dict(orient="records"),
                    "out": str(out) if out is not None else None,
                }
            )
            return
        click.echo(_count_line(changed.unit_id.nunique(), "unit", counts))
        for r in table.head(20).itertuples(index=False):
            click.echo(
                f"  {r.unit_id} {r.layer_kind}/{r.zone}: {r.status} "
                f"{r.delta_km2:+.4f} km² ({r.delta_share_pct:+.4f} points)"
            )
        _write_runs_csv(table, out, overwrite)
        return
    from zoning.io import write_vector

    changes = diff_vintages(_read_vintage(a, layer), _read_vintage(b, layer), id_field=id_field)
    counts = changes.status.value_counts().to_dict()
    if out is not None:
        write_vector(changes, out, overwrite=overwrite)
    if as_json:
        echo_json(
            {
                "kind": "vintages",
                "features_differing": len(changes),
                "counts": {str(k): int(v) for k, v in sorted(counts.items())},
                "rows": [
                    {**r, "feature_id": _feature_label(r)}
                    for r in changes.drop(columns="geometry").to_dict(orient="records")
                ],
                "out": str(out) if out is not None else None,
            }
        )
        return
    click.echo(_count_line(len(changes), "feature", counts))
    for r in changes.head(20).to_dict(orient="records"):
        click.echo(
            f"  {_feature_label(r)}: {r['status']} "
            f"+{r['gained_m2'] / 1e6:.4f} / -{r['lost_m2'] / 1e6:.4f} km²"
        )


def _count_line(n: int, what: str, counts: dict[Any, int]) -> str:
    """``2 unit(s) differ: added 1, changed 1`` — or ``no unit differs``."""
    if not n:
        return f"no {what} differs"
    return f"{n} {what}(s) differ: " + ", ".join(
        f"{k} {v}" for k, v in sorted(counts.items()) if k != "unchanged"
    )


def _feature_label(row: dict[str, Any]) -> str:
    """Return the feature's id: ``old → new`` for a renamed one, the old id for a removed one."""
    import pandas as pd

    new, old = row.get("feature_id"), row.get("feature_id_old")
    new = None if new is None or pd.isna(new) else str(new)
    old = None if old is None or pd.isna(old) else str(old)
    if new and old and new != old:
        return f"{old} → {new}"
    return new or old or "?"


def _write_runs_csv(table: object, out: Path | None, overwrite: bool) -> None:
    if out is None:
        return
    from zoning.io import atomic_write_bytes
    from zoning.io.tables import csv_bytes

    atomic_write_bytes(out, csv_bytes(table, index=False), overwrite=overwrite)  # type: ignore[arg-type]


def _read_vintage(path: Path, layer: str | None) -> object:
    """Read one vintage; a multi-layer file without --layer asks for --layer."""
    from zoning.errors import InputFileError
    from zoning.io import read_vector

    try:
        return read_vector(path, layer=layer)
    except InputFileError as exc:
        if layer is None and "no layer was given" in str(exc):
            found = str(exc).split("; fix:")[0]
            raise InputFileError(
                f"{found}; fix: pass --layer NAME (the same layer is read from both files)"
            ) from None
        raise
