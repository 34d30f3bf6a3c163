"""zoning.io.postgis against a real PostgreSQL + PostGIS server (``make postgis``; the fixture
``postgis_url`` starts it when installed and skips, saying why, when it is not).

Each test works in its own schema (``pg_schema``), dropped afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from zoning.errors import DatabaseError
from zoning.io import postgis


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))


def _count(url: str, schema: str, table: str) -> int | None:
    """Rows in schema.table, or None when the table does not exist."""
    engine = _engine(url)
    try:  # disposed on every return: a pooled connection left to the GC is a ResourceWarning
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(table, schema=schema):
                return None
            t = sa.Table(table, sa.MetaData(), schema=schema, autoload_with=conn)
            n = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
    finally:
        engine.dispose()
    return int(n)


def _squares(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"s{i}" for i in range(n)], "value": np.arange(n, dtype=float)},
        geometry=[shapely.box(112 + i * 0.1, 37, 112.05 + i * 0.1, 37.05) for i in range(n)],
        crs="EPSG:4490",
    )


# ---------------------------------------------------------------- same results as a GeoPackage
def _catalog_text(rows: list[tuple[str, str, str]]) -> str:
    parts = ['name = "pg test"\n']
    for kind, path, layer in rows:
        zone, name, ident = {
            "admin_unit": ("level", "name", "adcode"),
            "eco_redline": ("类型", "名称", "编码"),
            "water_source": ("级别", "名称", "编码"),
        }[kind]
        key = "sql" if layer.lstrip().upper().startswith("SELECT") else "layer"
        parts.append(
            f'[[layers]]\nkind = "{kind}"\npath = "{path}"\n{key} = "{layer}"\n'
            f'zone_field = "{zone}"\nname_field = "{name}"\nid_field = "{ident}"\n'
        )
    return "\n".join(parts)


def test_postgis_layer_gives_the_statistics_and_verdicts_of_the_geopackage(
    postgis_url, pg_schema, demo_catalog_path, tmp_path
):
    from zoning.catalog import load_catalog
    from zoning.crs import ALBERS_CHINA
    from zoning.screening import screen_sites
    from zoning.stats import area_by_unit

    gpkg = demo_catalog_path.parent / "demo.gpkg"
    engine = _engine(postgis_url)
    for layer in ("eco_redline", "water_source"):
        gpd.read_file(gpkg, layer=layer).to_postgis(layer, engine, schema=pg_schema)
    engine.dispose()
    file_cat = tmp_path / "file.toml"
    file_cat.write_text(
        _catalog_text(
            [
                ("admin_unit", str(gpkg), "admin_unit"),
                ("eco_redline", str(gpkg), "eco_redline"),
                ("water_source", str(gpkg), "water_source"),
            ]
        ),
        encoding="utf-8",
    )
    db_cat = tmp_path / "db.toml"
    db_cat.write_text(
        _catalog_text(
            [
                ("admin_unit", str(gpkg), "admin_unit"),
                ("eco_redline", postgis_url, f"{pg_schema}.eco_redline"),
                ("water_source", postgis_url, f"SELECT * FROM {pg_schema}.water_source"),
            ]
        ),
        encoding="utf-8",
    )
    a = load_catalog(file_cat, use_cache=False)
    b = load_catalog(db_cat, use_cache=False)
    assert b.entries[1].url == postgis_url and b.entries[2].sql is not None

    units = a.admin_units("county")
    kinds = ["eco_redline", "water_source"]
    sa_ = area_by_unit(units, {k: a.frame(k, crs=ALBERS_CHINA) for k in kinds}, crs=ALBERS_CHINA)
    sb = area_by_unit(units, {k: b.frame(k, crs=ALBERS_CHINA) for k in kinds}, crs=ALBERS_CHINA)
    assert len(sa_) == len(sb) > 100
    np.testing.assert_allclose(
        sb["area_km2"].to_numpy(), sa_["area_km2"].to_numpy(), rtol=1e-9, atol=1e-9
    )
    assert sb["zone"].tolist() == sa_["zone"].tolist()

    red = a.frame("eco_redline")
    ws = a.frame("water_source")
    points = list(red.geometry.iloc[:8].representative_point()) + list(
        ws.geometry.iloc[:8].representative_point()
    )
    sites = gpd.GeoDataFrame(
        {"site_id": [f"p{i}" for i in range(len(points))]}, geometry=points, crs="EPSG:4490"
    )
    va = screen_sites(sites, a, "coal_mine").sites
    vb = screen_sites(sites, b, "coal_mine").sites
    assert vb["verdict"].tolist() == va["verdict"].tolist()
    assert "prohibited" in set(va["verdict"])
    assert b.provenance()["layers"][1]["path"] == postgis_url  # no password in it


def test_the_catalogue_caches_a_postgis_layer_by_its_content(postgis_url, pg_schema, tmp_path):
    from zoning.catalog import load_catalog

    frame = _squares(3).rename(columns={"name": "名称"})
    frame["类型"] = ["核心区", "一般区", "一般区"]
    postgis.write_tables(postgis_url, {f"{pg_schema}.red": frame}, key_column="vintage", key="v1")
    cat = tmp_path / "c.toml"
    cat.write_text(
        f'[[layers]]\nkind = "eco_redline"\npath = "{postgis_url}"\n'
        f'layer = "{pg_schema}.red"\nzone_field = "类型"\nname_field = "名称"\n',
        encoding="utf-8",
    )
    first = load_catalog(cat).load("eco_redline")
    again = load_catalog(cat).load("eco_redline")
    assert not first.from_cache and again.from_cache
    assert sorted(again.frame["zone"]) == ["core", "general", "general"]
    frame.loc[0, "类型"] = "一般区"  # the content changes: the cache must not answer
    postgis.write_tables(postgis_url, {f"{pg_schema}.red": frame}, key_column="vintage", key="v1")
    changed = load_catalog(cat).load("eco_redline")
    assert not changed.from_cache
    assert changed.source_sha256 != first.source_sha256
    assert sorted(changed.frame["zone"]) == ["general"] * 3


# ---------------------------------------------------------------- the sink: one transaction
def test_a_rerun_of_a_vintage_leaves_one_copy(postgis_url, pg_schema):
    name = f"{pg_schema}.zoning_redline_ledger"
    postgis.write_tables(postgis_url, {name: _squares(3)}, key_column="vintage", key="2024")
    postgis.write_tables(postgis_url, {name: _squares(2)}, key_column="vintage", key="2023")
    postgis.write_tables(postgis_url, {name: _squares(3)}, key_column="vintage", key="2024")
    back = postgis.read_table(postgis_url, name)
    assert len(back) == 5
    assert back.groupby("vintage").size().to_dict() == {"2023": 2, "2024": 3}
    assert back.crs.to_epsg() == 4490
    # SRID 4490, a spatial index and an index on the run column
    engine = _engine(postgis_url)
    with engine.connect() as conn:
        indexes = sa.inspect(conn).get_indexes("zoning_redline_ledger", schema=pg_schema)
        srid = conn.execute(
            sa.select(sa.func.Find_SRID(pg_schema, "zoning_redline_ledger", "geometry"))
        ).scalar_one()
    engine.dispose()
    assert srid == 4490
    columns = sorted(tuple(i["column_names"]) for i in indexes)
    assert columns == [("geometry",), ("vintage",)]


def test_a_write_failing_midway_leaves_the_database_as_it_was(postgis_url, pg_schema):
    ledger, stats = f"{pg_schema}.zoning_redline_ledger", f"{pg_schema}.zoning_stats"
    postgis.write_tables(postgis_url, {ledger: _squares(3)}, key_column="vintage", key="2024")
    broken = _squares(2).set_crs(None, allow_override=True)  # no CRS: refused mid-write
    with pytest.raises(DatabaseError, match="no CRS"):
        postgis.write_tables(
            postgis_url,
            {ledger: _squares(1), stats: pd.DataFrame({"a": [1.0]}), f"{pg_schema}.x": broken},
            key_column="vintage",
            key="2024",
        )
    assert _count(postgis_url, pg_schema, "zoning_redline_ledger") == 3  # old copy intact
    assert _count(postgis_url, pg_schema, "zoning_stats") is None  # creation rolled back
    assert _count(postgis_url, pg_schema, "x") is None


def test_a_killed_write_leaves_no_rows(postgis_url, pg_schema, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys, time
            import geopandas as gpd, shapely
            from zoning.io import postgis
            frame = gpd.GeoDataFrame({{"a": [1, 2]}},
                geometry=[shapely.box(112, 37, 113, 38)] * 2, crs="EPSG:4490")
            def pause(name):
                print("written", name, flush=True)
                time.sleep(60)
            postgis.write_tables({postgis_url!r},
                {{"{pg_schema}.zoning_suspect_patches": frame, "{pg_schema}.other": frame}},
                key_column="run_id", key="r1", after_table=pause)
            """
        ),
        encoding="utf-8",
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("written"), line
        proc.kill()  # SIGKILL in the middle of the transaction
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    # the server notices the closed connection and rolls back; wait for it briefly
    engine = _engine(postgis_url)
    with engine.connect() as conn:
        for _ in range(50):
            busy = conn.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'zoning'")
            ).scalar_one()
            if busy == 0:
                break
            conn.execute(sa.text("SELECT pg_sleep(0.1)"))
    engine.dispose()
    assert _count(postgis_url, pg_schema, "zoning_suspect_patches") is None
    assert _count(postgis_url, pg_schema, "other") is None


# ---------------------------------------------------------------- clear errors, no password
def _port(url: str) -> int:
    return sa.engine.make_url(url).port


def test_a_wrong_password_is_refused_without_showing_it(postgis_url, monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    url = postgis_url.replace("postgresql://zoning@", "postgresql://zoning:Wr0ngPassw0rd@")
    with pytest.raises(DatabaseError) as err:
        postgis.read_layer(url, layer="public.anything")
    message = str(err.value)
    assert "password authentication failed" in message
    assert "Wr0ngPassw0rd" not in message and "zoning:***@" in message


def test_a_wrong_password_from_pgpassword_is_not_shown(postgis_url, monkeypatch, tmp_path):
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    monkeypatch.setenv("PGPASSWORD", "An0therSecret")
    with pytest.raises(DatabaseError) as err:
        postgis.read_layer(postgis_url, layer="public.anything")
    assert "password authentication failed" in str(err.value)
    assert "An0therSecret" not in str(err.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://u:Secr3t@127.0.0.1/db", "not a PostgreSQL URL"),
        ("postgresql://u:Secr3t@127.0.0.1:notaport/db", "numeric port"),
        ("postgresql://u:Secr3t@127.0.0.1:5432", "names no database"),
    ],
)
def test_a_bad_url_is_refused_before_connecting(url, expected):
    with pytest.raises(DatabaseError, match=expected) as err:
        postgis.read_layer(url, layer="t")
    assert "Secr3t" not in str(err.value)


def test_an_unreachable_server_says_where_it_looked(postgis_url):
    url = postgis_url.replace(f":{_port(postgis_url)}/", ":1/")
    with pytest.raises(DatabaseError, match=r"127\.0\.0\.1.*port 1.*refused"):
        postgis.read_layer(url, layer="t")


def test_a_missing_table_lists_the_tables_there(postgis_url, pg_schema):
    postgis.write_tables(postgis_url, {f"{pg_schema}.here": _squares(1)}, key_column="v", key=1)
    with pytest.raises(DatabaseError, match=rf"{pg_schema}\.absent not found.*: here;"):
        postgis.read_layer(postgis_url, layer=f"{pg_schema}.absent")


def test_a_table_without_srid_needs_a_declared_crs(postgis_url, pg_schema):
    from geoalchemy2 import Geometry

    engine = _engine(postgis_url)
    meta = sa.MetaData()
    table = sa.Table(
        "nosrid",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("geom", Geometry("POLYGON", srid=-1, spatial_index=False)),
        schema=pg_schema,
    )
    with engine.begin() as conn:
        meta.create_all(conn)
        conn.execute(
            table.insert(),
            [{"id": 1, "geom": "POLYGON((112 37, 113 37, 113 38, 112 37))"}],
        )
    engine.dispose()
    with pytest.raises(DatabaseError, match=r"without SRID \(SRID 0\).*crs = "):
        postgis.read_layer(postgis_url, layer=f"{pg_schema}.nosrid")
    frame, _ = postgis.read_layer(postgis_url, layer=f"{pg_schema}.nosrid", crs="EPSG:4490")
    assert frame.crs.to_epsg() == 4490
    assert frame.geometry.iloc[0].equals(shapely.Polygon([(112, 37), (113, 37), (113, 38)]))


def test_sql_must_read_and_runs_read_only(postgis_url, pg_schema):
    postgis.write_tables(postgis_url, {f"{pg_schema}.t": _squares(2)}, key_column="v", key=1)
    with pytest.raises(DatabaseError, match="does not start with SELECT"):
        postgis.read_layer(postgis_url, sql=f"DELETE FROM {pg_schema}.t")
    # a SELECT that tries to write is stopped by the read-only transaction
    with pytest.raises(DatabaseError, match="read-only"):
        postgis.read_layer(
            postgis_url,
            sql=f"WITH d AS (DELETE FROM {pg_schema}.t RETURNING *) SELECT * FROM d",
        )
    assert _count(postgis_url, pg_schema, "t") == 2


def test_catalogue_entries_for_postgis_are_checked(tmp_path):
    from zoning.catalog import load_catalog
    from zoning.errors import CatalogError

    cat = tmp_path / "c.toml"
    cat.write_text(
        '[[layers]]\nkind = "eco_redline"\npath = "postgresql://u:Secr3t@127.0.0.1:1/db"\n'
        '[[layers]]\nkind = "water_source"\npath = "ws.gpkg"\nsql = "SELECT 1"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as err:
        load_catalog(cat)
    text = str(err.value)
    assert "exactly one of 'layer'" in text and "only for a PostGIS layer" in text
    assert "Secr3t" not in text


def test_redact_url_hides_any_password():
    assert postgis.redact_url("postgresql://a:p%40ss@h:1/d") == "postgresql://a:***@h:1/d"
    assert postgis.redact_url("postgresql://h/d") == "postgresql://h/d"


def test_ledgers_in_the_database_are_checked_by_vintage(postgis_url, pg_schema, tmp_path):
    """Two vintages built into the database, checked there; the check lands in the database."""
    from test_ledger import _red, rect, write_catalog

    from zoning.catalog import load_catalog
    from zoning.errors import InputFileError
    from zoning.ledger import build_ledger, check_ledgers
    from zoning.ledger.outputs import read_ledger, write_check, write_ledger

    url, on = postgis_url, {"schema": pg_schema}
    for vintage, red in (
        ("2023", [("A1", "一般区", rect(1, 1, 2, 5)), ("B1", "核心区", rect(12, 1, 13, 2))]),
        ("2024", [("A1", "一般区", rect(1, 1, 2, 2)), ("B1", "一般区", rect(12, 1, 13, 2))]),
    ):
        path = write_catalog(tmp_path / vintage, {"eco_redline": _red(red)}, vintage)
        ledger = build_ledger(load_catalog(path, use_cache=False))
        write_ledger(ledger, db=url, **on)
        write_ledger(ledger, db=url, **on)  # a rerun replaces the vintage
    old, new = read_ledger("2023", db=url, **on), read_ledger("2024", db=url, **on)
    assert (len(old), len(new)) == (2, 2)
    check = check_ledgers(old, new)
    assert check.verdict("area", "county", "140105") == "not held"
    assert check.verdict("nature", "county", "140106") == "not held"  # B1 core → general
    write_check(check, db=url, **on)
    back = postgis.read_table(
        url, f"{pg_schema}.zoning_ledger_check", key_column="run_id", key="2023→2024"
    )
    assert len(back) == len(check.verdicts)
    assert _count(postgis_url, pg_schema, "zoning_redline_ledger") == 4
    with pytest.raises(InputFileError, match="no ledger of vintage '1999'"):
        read_ledger("1999", db=url, **on)


def test_zoning_stats_writes_its_table_to_the_database(postgis_url, pg_schema, tmp_path):
    from click.testing import CliRunner
    from test_ledger import _red, rect, write_catalog

    from zoning.cli.main import cli

    red = _red([("A1", "一般区", rect(1, 1, 2, 4)), ("B1", "核心区", rect(12, 1, 14, 2))])
    cat = write_catalog(tmp_path / "c", {"eco_redline": red}, "2024")
    url = f"{postgis_url}?options=-csearch_path%3D{pg_schema},public"
    args = ["stats", "--catalog", str(cat), "--db", url, "--run-id", "r1"]
    for n in (1, 2):  # the rerun replaces run r1
        res = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / f"out{n}")])
        assert res.exit_code == 0, res.output
    assert "zoning_stats (run r1)" in res.output
    back = postgis.read_table(postgis_url, f"{pg_schema}.zoning_stats")
    csv = pd.read_csv(tmp_path / "out2" / "stats.csv", dtype={"unit_id": str})
    assert len(back) == len(csv) > 0 and set(back["run_id"]) == {"r1"}
    a = back[(back["unit_id"] == "140105") & (back["zone"] == "all")]
    assert a["area_km2"].iloc[0] == pytest.approx(3.0, abs=1e-9)  # 1 km × 3 km in county A


def test_zoning_run_writes_its_statistics_to_the_database(postgis_url, pg_schema, tmp_path):
    from click.testing import CliRunner
    from test_ledger import _red, rect, write_catalog

    from zoning.cli.main import cli

    red = _red([("A1", "一般区", rect(1, 1, 3, 3)), ("B1", "核心区", rect(12, 1, 14, 2))])
    write_catalog(tmp_path / "c", {"eco_redline": red}, "2024")
    scenario = tmp_path / "c" / "tiny.toml"
    scenario.write_text(
        'schema_version = 1\nid = "tiny"\ntitle = "tiny"\ncatalog = "catalog.toml"\n'
        'layers = ["eco_redline"]\n[stats]\nrollup = ["city", "province"]\nindicators = false\n',
        encoding="utf-8",
    )
    url = f"{postgis_url}?options=-csearch_path%3D{pg_schema},public"
    out = tmp_path / "run-2024"
    res = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(out), "--db", url])
    assert res.exit_code == 0, res.output
    back = postgis.read_table(postgis_url, f"{pg_schema}.zoning_stats")
    assert set(back["run_id"]) == {"run-2024"}
    assert len(back) == len(pd.read_csv(out / "stats.csv"))
    county_a = back[(back["unit_id"] == "140105") & (back["zone"] == "all")]
    assert county_a["area_km2"].iloc[0] == pytest.approx(4.0, abs=1e-9)  # 2 km × 2 km


def test_layers_check_reports_an_unreachable_database_layer(postgis_url, tmp_path):
    from click.testing import CliRunner

    from zoning.cli.main import cli

    url = postgis_url.replace("postgresql://zoning@", "postgresql://zoning:S3cretPw@")
    url = url.replace(f":{_port(postgis_url)}/", ":1/")
    cat = tmp_path / "c.toml"
    cat.write_text(
        f'[[layers]]\nkind = "eco_redline"\npath = "{url}"\nlayer = "public.red"\n',
        encoding="utf-8",
    )
    res = CliRunner().invoke(cli, ["layers", "check", "--catalog", str(cat)])
    assert res.exit_code == 1
    assert "refused" in res.output and "S3cretPw" not in res.output


def test_a_password_in_the_url_works_and_is_never_echoed(postgis_url, pg_schema, tmp_path):
    from click.testing import CliRunner
    from test_ledger import _red, rect, write_catalog

    from zoning.cli.main import cli

    secret = Path(__file__).resolve().parent.parent / ".postgis" / "password"
    if not secret.is_file() or os.environ.get("ZONING_TEST_POSTGIS_URL"):
        pytest.skip("the password of the local server (make postgis) is needed")
    password = secret.read_text().strip()
    url = postgis_url.replace("postgresql://zoning@", f"postgresql://zoning:{password}@")
    url += f"?options=-csearch_path%3D{pg_schema},public"
    env = {"PGPASSFILE": str(tmp_path / "none")}  # only the URL carries the password
    cat = write_catalog(
        tmp_path / "c", {"eco_redline": _red([("A1", "一般区", rect(1, 1, 2, 2))])}, "2024"
    )
    res = CliRunner(env=env).invoke(
        cli, ["-v", "ledger", "build", "--catalog", str(cat), "--db", url]
    )
    assert res.exit_code == 0, res.output
    assert "zoning:***@" in res.output and password not in res.output
    assert _count(postgis_url, pg_schema, "zoning_redline_ledger") == 1


def _tiny_run(tmp_path):
    from test_ledger import _red, rect, write_catalog

    red = _red([("A1", "一般区", rect(1, 1, 3, 3))])
    write_catalog(tmp_path / "c", {"eco_redline": red}, "2024")
    scenario = tmp_path / "c" / "tiny.toml"
    scenario.write_text(
        'schema_version = 1\nid = "tiny"\ntitle = "tiny"\ncatalog = "catalog.toml"\n'
        'layers = ["eco_redline"]\n[stats]\nindicators = false\n',
        encoding="utf-8",
    )
    return scenario


def test_zoning_run_publishes_nothing_when_the_database_refuses_the_write(
    postgis_url, pg_schema, tmp_path
):
    """The database is written before the folder is published: a refusal leaves the old folder."""
    from click.testing import CliRunner

    from zoning.cli.main import cli

    engine = sa.create_engine(postgis_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:  # a table zoning did not create: lacks the statistics' columns
        conn.execute(sa.text(f"CREATE TABLE {pg_schema}.zoning_stats (run_id text)"))
    engine.dispose()
    scenario = _tiny_run(tmp_path)
    out = tmp_path / "run-2024"
    out.mkdir()
    (out / "stats.csv").write_text("the previous run\n", encoding="utf-8")
    url = f"{postgis_url}?options=-csearch_path%3D{pg_schema},public"
    args = ["run", str(scenario), "--out", str(out), "--db", url, "--overwrite", "--json"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1, res.output
    assert "lacks the columns" in res.output and "nothing was written" in res.output
    assert (out / "stats.csv").read_text(encoding="utf-8") == "the previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "run-2024"]  # no staging left
    assert _count(postgis_url, pg_schema, "zoning_stats") == 0


def test_zoning_run_json_writes_the_database_too(postgis_url, pg_schema, tmp_path):
    from click.testing import CliRunner

    from zoning.cli.main import cli

    url = f"{postgis_url}?options=-csearch_path%3D{pg_schema},public"
    out = tmp_path / "r1"
    res = CliRunner().invoke(
        cli, ["run", str(_tiny_run(tmp_path)), "--out", str(out), "--db", url, "--json"]
    )
    assert res.exit_code == 0, res.output
    back = postgis.read_table(postgis_url, f"{pg_schema}.zoning_stats")
    county_a = back[(back["unit_id"] == "140105") & (back["zone"] == "all")]
    assert set(back["run_id"]) == {"r1"}
    assert county_a["area_km2"].iloc[0] == pytest.approx(4.0, abs=1e-9)  # 2 km × 2 km


def test_zoning_run_checks_the_database_before_running(tmp_path):
    """An unreachable database fails at once (no statistics computed, no folder)."""
    import time

    from click.testing import CliRunner

    from zoning.cli.main import cli

    scenario = _tiny_run(tmp_path)
    url = "postgresql://zoning:S3cretPw@127.0.0.1:1/zoning"  # nothing listens on port 1
    t0 = time.perf_counter()
    res = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(tmp_path / "o"), "--db", url])
    assert res.exit_code == 1
    assert "refused while connecting" in res.output and "S3cretPw" not in res.output
    assert not (tmp_path / "o").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["c"]
    assert time.perf_counter() - t0 < 30
