"""Writing (and reading back) ledgers, checks and supervision lists: a folder or a database.

A folder is built atomically (:func:`zoning.io.atomic_directory`: nothing appears until every
file is written; an existing folder is replaced only with ``overwrite``). A database gets its
tables in one transaction (:func:`zoning.io.postgis.write_tables`): rerunning a vintage replaces
its rows, a failed run leaves the database as it was.

=========================== =================== =====================================
table                       key column          content
=========================== =================== =====================================
``zoning_redline_ledger``   ``vintage``         one row per red-line feature
``zoning_ledger_check``     ``run_id``          verdicts per unit and principle
``zoning_ledger_changes``   ``run_id``          feature changes between the vintages
``zoning_suspect_patches``  ``run_id``          suspected problem patches, ranked
``zoning_allowed_patches``  ``run_id``          allowed limited activities
=========================== =================== =====================================
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from zoning.errors import InputFileError

__all__ = [
    "TABLES",
    "read_ledger",
    "write_check",
    "write_ledger",
    "write_supervision",
]

TABLES = {
    "ledger": "zoning_redline_ledger",
    "check": "zoning_ledger_check",
    "changes": "zoning_ledger_changes",
    "suspects": "zoning_suspect_patches",
    "allowed": "zoning_allowed_patches",
}


def _name(table: str, schema: str | None) -> str:
    """Return the table's name, in ``schema`` when given (else the default schema)."""
    return f"{schema}.{TABLES[table]}" if schema else TABLES[table]


def _csv(df: pd.DataFrame, path: Path) -> None:
    from zoning.io.tables import write_table

    write_table(df.drop(columns="geometry", errors="ignore"), path)


def _summary(text: str, path: Path) -> None:
    from zoning.io import atomic_write_text

    atomic_write_text(path, text + "\n", overwrite=True)


def _to_database(
    db: str,
    frames: dict[str, pd.DataFrame],
    *,
    schema: str | None,
    key_column: str,
    key: str,
    what: str,
) -> str:
    """Replace the rows of ``key`` in each table (one transaction); say what was written."""
    from zoning.io.postgis import redact_url, write_tables

    write_tables(
        db,
        {_name(table, schema): frame for table, frame in frames.items()},
        key_column=key_column,
        key=key,
    )
    return f"{redact_url(db)} {TABLES[next(iter(frames))]} ({what})"


def _write(
    out: Path | None,
    db: str | None,
    *,
    overwrite: bool,
    schema: str | None,
    files: Callable[[Path], None],
    shown: str,
    tables: dict[str, pd.DataFrame],
    key_column: str,
    key: Callable[[], str],
    what: str,
) -> list[str]:
    """Write one product: ``files(folder)`` staged into ``out`` and/or ``tables`` into ``db``.

    Returns ``out / shown`` and the database line (:func:`_to_database`) for what was written;
    the rows' key is only asked for when there is a database.
    """
    from zoning.io import atomic_directory

    written = []
    if out is not None:
        with atomic_directory(out, overwrite=overwrite) as tmp:
            files(tmp)
        written.append(str(out / shown))
    if db is not None:
        k = key()
        written.append(
            _to_database(
                db, tables, schema=schema, key_column=key_column, key=k, what=f"{what} {k}"
            )
        )
    return written


def _excel(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    from zoning import __version__
    from zoning.io.workbook import write_workbook

    write_workbook(
        {k: v.drop(columns="geometry", errors="ignore") for k, v in sheets.items()},
        path,
        about=[("软件 / Software", f"zoning {__version__}")],
    )


def _gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    from zoning.io.gpkg import write_gpkg

    write_gpkg({k: v for k, v in layers.items() if len(v)}, path)


def _map(
    layers: dict[str, tuple[str, gpd.GeoDataFrame, list[str]]], title: str, path: Path
) -> None:
    """Write an offline map (``zoning.maps``) of ``layers``: {label: (kind, frame, popup)}."""
    from zoning.maps import new_map, save_map
    from zoning.maps.layers import add_layer

    frames = [f for _, f, _ in layers.values() if len(f)]
    if not frames:
        return
    bounds = tuple(
        pd.concat([f.to_crs(4490).bounds for f in frames]).agg(
            {"minx": "min", "miny": "min", "maxx": "max", "maxy": "max"}
        )
    )
    m = new_map(bounds=bounds, title=title)
    for label, (kind, frame, popup) in layers.items():
        if len(frame):
            fields = [c for c in popup if c in frame.columns]
            add_layer(
                m, frame, kind=kind, name=label, popup_fields=fields, tooltip_fields=fields[:2]
            )
    save_map(m, path)


_LEDGER_POPUP = [
    "feature_id",
    "name",
    "zone_label",
    "county_name",
    "city_name",
    "area_km2",
    "natural_pct",
    "landcover",
    "protected_areas",
    "mines_n",
    "vintage",
]
_PATCH_POPUP = [
    "patch_id",
    "name",
    "activity_type",
    "verdict",
    "rank",
    "severity_label",
    "rules",
    "evidence_required",
    "area_km2",
    "in_redline",
]


def write_ledger(
    ledger: gpd.GeoDataFrame,
    *,
    out: Path | None = None,
    db: str | None = None,
    overwrite: bool = False,
    schema: str | None = None,
) -> list[str]:
    """Write a ledger to a folder and/or a database; return what was written.

    ``ledger.gpkg`` + ``ledger.xlsx`` + ``ledger.csv`` in ``out``, and/or table
    ``zoning_redline_ledger`` (key ``vintage``) in ``db``.
    """

    def files(tmp: Path) -> None:
        _gpkg({"redline_ledger": ledger}, tmp / "ledger.gpkg")
        _excel({"红线台账 ledger": ledger}, tmp / "ledger.xlsx")
        _csv(ledger, tmp / "ledger.csv")
        _map(
            {"生态保护红线台账 / Red-line ledger": ("eco_redline", ledger, _LEDGER_POPUP)},
            "生态保护红线信息台账 / Red-line ledger",
            tmp / "map.html",
        )

    return _write(
        out,
        db,
        overwrite=overwrite,
        schema=schema,
        files=files,
        shown="ledger.gpkg",
        tables={"ledger": ledger},
        key_column="vintage",
        key=lambda: str(ledger["vintage"].iloc[0]) if len(ledger) else "",
        what="vintage",
    )


def write_check(
    check: Any,
    *,
    out: Path | None = None,
    db: str | None = None,
    overwrite: bool = False,
    schema: str | None = None,
) -> list[str]:
    """Write a :class:`~zoning.ledger.check.LedgerCheck`; return what was written.

    ``check.csv``, ``changes.csv``, ``check.xlsx`` and ``summary.txt`` in ``out``; tables
    ``zoning_ledger_check`` and ``zoning_ledger_changes`` (key ``run_id`` = ``OLD→NEW``) in
    ``db``.
    """

    def files(tmp: Path) -> None:
        _csv(check.verdicts, tmp / "check.csv")
        _csv(check.changes, tmp / "changes.csv")
        _excel({"三个不 verdicts": check.verdicts, "changes": check.changes}, tmp / "check.xlsx")
        _summary(check.summary(), tmp / "summary.txt")

    return _write(
        out,
        db,
        overwrite=overwrite,
        schema=schema,
        files=files,
        shown="check.csv",
        tables={"check": check.verdicts, "changes": check.changes},
        key_column="run_id",
        key=lambda: f"{check.old_vintage}→{check.new_vintage}",
        what="run",
    )


def write_supervision(
    result: Any,
    *,
    run_id: str,
    out: Path | None = None,
    db: str | None = None,
    overwrite: bool = False,
    schema: str | None = None,
) -> list[str]:
    """Write a :class:`~zoning.ledger.supervise.SupervisionResult`; return what was written.

    ``suspects.gpkg`` (layers suspects, allowed, unscreened), ``suspects.xlsx``,
    ``suspects.csv`` and ``allowed.csv`` in ``out``; tables ``zoning_suspect_patches`` and
    ``zoning_allowed_patches`` in ``db``.
    """

    def files(tmp: Path) -> None:
        layers = {
            "suspects": result.suspects,
            "allowed": result.allowed,
            "unscreened": result.unscreened,
        }
        _gpkg(layers, tmp / "suspects.gpkg")
        _excel(
            {
                "疑似问题图斑 suspects": result.suspects,
                "有限人类活动 allowed": result.allowed,
                "未筛查 unscreened": result.unscreened,
            },
            tmp / "suspects.xlsx",
        )
        _csv(result.suspects, tmp / "suspects.csv")
        _csv(result.allowed, tmp / "allowed.csv")
        _summary(result.summary(), tmp / "summary.txt")
        _map(
            {
                "疑似问题图斑 / Suspected problem patches": (
                    "human_activity",
                    result.suspects,
                    _PATCH_POPUP,
                ),
                "有限人类活动 / Allowed limited activities": (
                    "human_activity",
                    result.allowed,
                    _PATCH_POPUP,
                ),
            },
            "人类活动监管 / Supervision of human activities",
            tmp / "map.html",
        )

    return _write(
        out,
        db,
        overwrite=overwrite,
        schema=schema,
        files=files,
        shown="suspects.csv",
        tables={"suspects": result.suspects, "allowed": result.allowed},
        key_column="run_id",
        key=lambda: run_id,
        what="run",
    )


def read_ledger(
    source: str | Path, *, db: str | None = None, schema: str | None = None
) -> gpd.GeoDataFrame:
    """Read a ledger written before.

    ``source`` is a ``ledger.gpkg`` file or its folder, or, with ``db``, the vintage whose rows
    are read from table ``zoning_redline_ledger``.

    Raises
    ------
    InputFileError
        Nothing found at ``source`` (or no rows of that vintage).
    """
    if db is not None:
        from zoning.io.postgis import read_table, redact_url

        frame = read_table(db, _name("ledger", schema), key_column="vintage", key=str(source))
        if not len(frame):
            raise InputFileError(
                f"no ledger of vintage {source!r} in {redact_url(db)} table {TABLES['ledger']}; "
                "expected a vintage written by `zoning ledger build --db`; fix: build it first"
            )
        return frame
    path = Path(source)
    if path.is_dir():
        path = path / "ledger.gpkg"
    if not path.is_file():
        raise InputFileError(
            f"no ledger at {source}; expected a catalogue TOML, a ledger folder or ledger.gpkg "
            "written by `zoning ledger build --out`; fix: check the path"
        )
    from zoning.io import read_vector

    frame = read_vector(path, layer="redline_ledger")
    for col in ("feature_id", "county_adcode", "city_adcode", "vintage"):
        if col in frame.columns:
            frame[col] = frame[col].astype(str)
    return frame
