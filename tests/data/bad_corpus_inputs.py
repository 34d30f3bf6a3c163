"""Bad inputs, second round (issue 12, the input half): numbers, TOML values, the network,
double counting, special files.

Imported by ``make_bad_corpus.py``, whose helpers (passed in as ``c``) build the small synthetic
catalogue; :func:`cases` returns the cases appended to its table. Every case is driven through
the command users hit by ``tests/test_bad_inputs.py``; the checks that need more than a message
(no request reached a loopback server, the statistics equal those of one copy) are in
``tests/test_bad_inputs_v2.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

#: A URL on the loopback interface where nothing listens (port 9, discard): were zoning to
#: fetch it, the fetch would fail, but the answer asserted is the refusal before any fetch.
DEAD_URL = "http://127.0.0.1:9"

# a chemical plant inside the level-1 water-source zone of the synthetic catalogue: prohibited
LEVEL1_SITE = (112.605, 37.705, 112.615, 37.715)

CATALOG_FILE = "zoning layers check (catalogue file)"


def _catalog_text(
    c: ModuleType, folder: Path, *extra_lines: str, layer: dict | None = None
) -> Path:
    """The base synthetic catalogue, with lines added to its text (top level or last layer)."""
    cat = c._catalog(folder, [layer] if layer else None)
    text = cat.read_text(encoding="utf-8")
    head, sep, rest = text.partition("[[layers]]")
    top = [ln for ln in extra_lines if ln.startswith("^")]
    tail = [ln for ln in extra_lines if not ln.startswith("^")]
    text = head + "".join(ln[1:] + "\n" for ln in top) + sep + rest + "\n".join(tail) + "\n"
    cat.write_text(text, encoding="utf-8")
    return cat


def _check_catalog(c: ModuleType, folder: Path, *extra_lines: str, layer: dict | None = None):
    cat = _catalog_text(c, folder, *extra_lines, layer=layer)
    return c.Built(["layers", "check", "--catalog", str(cat), "--no-cache"], {"catalog": cat})


def _screen_level1(c: ModuleType, folder: Path, *options: str):
    site = c._site_geojson(folder / "plant.geojson", [c._poly(LEVEL1_SITE)])
    b = c._screen(folder, site, "chemical", "--out", str(folder / "out"), *options)
    b.paths["out"] = folder / "out"
    return b


def _scenario(c: ModuleType, folder: Path, extra: str):
    path = c.write_scenario(folder)
    key = extra.split("=")[0].strip()
    lines = path.read_text(encoding="utf-8").split("\n")
    text = "\n".join(ln for ln in lines if not ln.startswith(f"{key} = "))
    path.write_text(text.replace("[stats]\n", "[stats]\n" + extra, 1), encoding="utf-8")
    return c.Built(["run", str(path), "--out", str(folder / "out")], {"out": folder / "out"})


def _scenario_screening(c: ModuleType, folder: Path, extra: str):
    site = c._site_geojson(folder / "plant.geojson", [c._poly(LEVEL1_SITE)])
    path = c.write_scenario(folder)
    text = path.read_text(encoding="utf-8")
    text += f'\n[screening]\nsites = "{site.name}"\nproject_type = "chemical"\n{extra}\n'
    path.write_text(text, encoding="utf-8")
    return c.Built(["run", str(path), "--out", str(folder / "out")], {"out": folder / "out"})


def _restoration(c: ModuleType, folder: Path, criteria_extra: str, tail: str = ""):
    cat = c._catalog(folder / "catalog")
    scn = folder / "restoration.toml"
    scn.write_text(
        'name = "bad-values"\n'
        f"catalog = {json.dumps(str(cat), ensure_ascii=False)}\n\n"
        '[study_area]\nkind = "admin_unit"\nlevel = "county"\n\n'
        "[units]\ngrid_m = 2000\n\n"
        '[[criteria]]\nname = "red"\ntype = "coverage"\nlayer = {kind = "eco_redline"}\n'
        f"{criteria_extra}\n{tail}",
        encoding="utf-8",
    )
    out = folder / "out"
    return c.Built(["restore", "--scenario", str(scn), "--out", str(out)], {"out": out})


def _diff_nan(c: ModuleType, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("a.csv", "b.csv"):
        (folder / name).write_text(
            "unit_id,layer_kind,zone,area_km2,unit_area_km2,share_pct\n"
            "140100,eco_redline,all,1.0,10.0,10.0\n",
            encoding="utf-8",
        )
    return c.Built(
        ["diff", str(folder / "a.csv"), str(folder / "b.csv"), "--tolerance-km2", "nan"], {}
    )


def _map_nan(c: ModuleType, folder: Path):
    cat = c._catalog(folder / "catalog")
    out = folder / "map.html"
    return c.Built(
        ["map", "--catalog", str(cat), "--out", str(out), "--max-mb", "nan"], {"map": out}
    )


# --- the network ------------------------------------------------------------------------------


def _geojson_link_crs(c: ModuleType, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    site = folder / "plant.geojson"
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "link", "properties": {"href": f"{DEAD_URL}/crs.txt", "type": "proj4"}},
        "features": [c._feature({"site_id": "S1"}, c._poly(LEVEL1_SITE))],
    }
    site.write_text(json.dumps(doc), encoding="utf-8")
    b = c._screen(folder, site, "chemical", "--out", str(folder / "out"))
    b.paths["out"] = folder / "out"
    return b


def _geojson_url_crs_name(c: ModuleType, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    site = folder / "plant.geojson"
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": f"{DEAD_URL}/shifted.prj"}},
        "features": [c._feature({"site_id": "S1"}, c._poly(LEVEL1_SITE))],
    }
    site.write_text(json.dumps(doc), encoding="utf-8")
    return c._screen(folder, site, "chemical")


def _vrt_vsicurl(c: ModuleType, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "redline.vrt").write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="rl">'
        f"<SrcDataSource>/vsicurl/{DEAD_URL}/redline.geojson</SrcDataSource>"
        "</OGRVRTLayer></OGRVRTDataSource>\n",
        encoding="utf-8",
    )
    return _check_catalog(
        c, folder, layer={"kind": "eco_redline", "name": "remote", "path": "redline.vrt"}
    )


def _vsi_layer_path(c: ModuleType, folder: Path):
    return _check_catalog(
        c,
        folder,
        layer={"kind": "eco_redline", "name": "bucket", "path": "/vsis3/bucket/redline.gpkg"},
    )


def _crs_url_declared(c: ModuleType, folder: Path):
    from shapely import box

    shp = c._write(c._gdf([{"code": "A"}], [box(*c.REDLINE)], crs=None), folder / "rl.shp")
    return _check_catalog(
        c,
        folder,
        layer={"kind": "eco_redline", "name": "url_crs", "path": shp.name, "crs": DEAD_URL},
    )


# --- double counting --------------------------------------------------------------------------


def _demo_water_twice(folder: Path) -> tuple[Path, Path]:
    """The demo's water sources written twice (EPSG:4490 and Gauss–Krüger EPSG:4547), with the
    demo's admin units: the copies differ by < 1e-8 m.
    """
    import tomllib

    from zoning.catalog import load_catalog
    from zoning.datasets import demo_catalog_path

    demo = demo_catalog_path()
    ws = load_catalog(demo).frame("water_source")[["feature_id", "zone", "geometry"]]
    folder.mkdir(parents=True, exist_ok=True)
    ws.to_file(folder / "ws_4490.gpkg", engine="pyogrio")
    ws.to_crs("EPSG:4547").to_file(folder / "ws_gk.gpkg", engine="pyogrio")
    raw = tomllib.loads(demo.read_text(encoding="utf-8"))
    admin = dict(next(spec for spec in raw["layers"] if spec["kind"] == "admin_unit"))
    admin["path"] = str((demo.parent / admin["path"]).resolve())
    layers = [
        admin,
        {"kind": "water_source", "name": "ws_4490", "path": "ws_4490.gpkg", "zone_field": "zone"},
        {"kind": "water_source", "name": "ws_gk", "path": "ws_gk.gpkg", "zone_field": "zone"},
    ]
    lines = ['name = "water twice"', ""]
    for spec in layers:
        lines.append("[[layers]]")
        lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in spec.items()]
        lines.append("")
    cat = folder / "catalog.toml"
    cat.write_text("\n".join(lines), encoding="utf-8")
    return cat, folder / "ws_4490.gpkg"


def _stats_water_twice(c: ModuleType, folder: Path):
    cat, single = _demo_water_twice(folder)
    out = folder / "out"
    return c.Built(
        [
            "stats",
            "--catalog",
            str(cat),
            "--level",
            "province",
            "--layers",
            "water_source",
            "--out",
            str(out),
        ],
        {"catalog": cat, "single": single, "out": out},
    )


def _check_water_twice(c: ModuleType, folder: Path):
    cat, _ = _demo_water_twice(folder)
    return c.Built(["layers", "check", "--catalog", str(cat)], {"catalog": cat})


# --- special files ----------------------------------------------------------------------------


def _fifo_layer(c: ModuleType, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(folder / "fifo.gpkg")
    return _check_catalog(
        c, folder, layer={"kind": "eco_redline", "name": "fifo", "path": "fifo.gpkg"}
    )


def _dev_zero_csv(c: ModuleType, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    site = folder / "sites.csv"
    site.symlink_to("/dev/zero")
    b = c._screen(folder, site, "chemical", "--out", str(folder / "out"))
    b.paths["out"] = folder / "out"
    return b


def _root_layer(c: ModuleType, folder: Path):
    return _check_catalog(c, folder, layer={"kind": "eco_redline", "name": "root", "path": "/"})


def _symlinked_folder(c: ModuleType, folder: Path):
    big = folder / "big_folder"
    big.mkdir(parents=True)
    for i in range(3):
        (big / f"part{i}.bin").write_bytes(b"\0" * 1024)
    (folder / "linked.gpkg").symlink_to(big, target_is_directory=True)
    return _check_catalog(
        c, folder, layer={"kind": "eco_redline", "name": "linked", "path": "linked.gpkg"}
    )


def _stats_line_kind(c: ModuleType, folder: Path):
    from shapely import LineString

    rivers = c._write(
        c._gdf([{"code": "R1"}], [LineString([(112.3, 37.65), (112.7, 37.95)])]),
        folder / "river.gpkg",
    )
    cat = c._catalog(folder, [{"kind": "river", "path": rivers.name}])
    return c.Built(
        ["stats", "--catalog", str(cat), "--layers", "river", "--out", str(folder / "out")],
        {"catalog": cat, "out": folder / "out"},
    )


def _scenario_line_kind(c: ModuleType, folder: Path):
    from shapely import LineString

    c._write(
        c._gdf([{"code": "R1"}], [LineString([(112.3, 37.65), (112.7, 37.95)])]),
        folder / "catalog" / "river.gpkg",
    )
    path = c.write_scenario(folder)
    cat = folder / "catalog" / "catalog.toml"
    cat.write_text(
        cat.read_text(encoding="utf-8") + '\n[[layers]]\nkind = "river"\npath = "river.gpkg"\n',
        encoding="utf-8",
    )
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            'layers = ["eco_redline", "water_source"]', 'layers = ["eco_redline", "river"]'
        ),
        encoding="utf-8",
    )
    return c.Built(["run", str(path), "--out", str(folder / "out")], {"out": folder / "out"})


def _stats_blank_layers(c: ModuleType, folder: Path):
    cat = c._catalog(folder)
    return c.Built(
        ["stats", "--catalog", str(cat), "--layers", " , ", "--out", str(folder / "out")],
        {"catalog": cat, "out": folder / "out"},
    )


def _admin_without_level(c: ModuleType, folder: Path):
    from shapely import box

    c._catalog(folder)
    c._write(
        c._gdf([{"adcode": "140100", "name": "示例县"}], [box(*c.COUNTY)]), folder / "admin2.gpkg"
    )
    cat = folder / "catalog.toml"
    text = cat.read_text(encoding="utf-8").replace('"admin.gpkg"', '"admin2.gpkg"')
    text = text.replace('zone_field = "level"\n', "")
    cat.write_text(text, encoding="utf-8")
    return c.Built(
        ["stats", "--catalog", str(cat), "--out", str(folder / "out")],
        {"catalog": cat, "out": folder / "out"},
    )


def _gbk_file_name(c: ModuleType, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    name = os.fsdecode("化工厂址".encode("gbk") + b".geojson")
    site = folder / name
    site.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [c._feature({"site_id": "S1"}, c._poly(LEVEL1_SITE))],
            }
        ),
        encoding="utf-8",
    )
    return c._screen(folder, site, "chemical")


def _bom_catalog(c: ModuleType, folder: Path):
    cat = c._catalog(folder)
    cat.write_bytes(b"\xef\xbb\xbf" + cat.read_bytes())
    return c.Built(["layers", "check", "--catalog", str(cat), "--no-cache"], {"catalog": cat})


def _gbk_catalog(c: ModuleType, folder: Path):
    cat = c._catalog(folder, name="山西 水源地")
    cat.write_bytes(cat.read_text(encoding="utf-8").encode("gbk"))
    return c.Built(["layers", "check", "--catalog", str(cat)], {"catalog": cat})


def _gbk_scenario(c: ModuleType, folder: Path):
    path = c.write_scenario(folder)
    path.write_bytes(('title = "山西 统计"\n' + path.read_text(encoding="utf-8")).encode("gbk"))
    return c.Built(["run", str(path), "--out", str(folder / "out")], {"out": folder / "out"})


# --- the table --------------------------------------------------------------------------------


def _bad_value(line: str, *, layer: bool = True) -> Any:
    """A builder for a catalogue with one wrong value (in the last layer, or at the top)."""

    def build(c: ModuleType, folder: Path):
        if layer:
            spec = {"kind": "eco_redline", "name": "extra", "path": "redline.gpkg"}
            cat = c._catalog(folder, [spec])
            key = line.split("=")[0].strip()
            text = _replace_last(cat.read_text(encoding="utf-8"), key, line)
            cat.write_text(text, encoding="utf-8")
            return c.Built(
                ["layers", "check", "--catalog", str(cat), "--no-cache"], {"catalog": cat}
            )
        return _check_catalog(c, folder, "^" + line)

    return build


def _replace_last(text: str, key: str, line: str) -> str:
    """Set ``key`` in the last ``[[layers]]`` table of ``text`` to ``line``."""
    head, sep, last = text.rpartition("[[layers]]")
    kept = [ln for ln in last.split("\n") if not ln.startswith(f"{key} = ")]
    return head + sep + "\n".join(kept).rstrip("\n") + "\n" + line + "\n"


def cases(c: ModuleType) -> list[Any]:
    """The cases of this round, as ``make_bad_corpus.Case`` objects."""
    Case = c.Case

    def b(fn, *args, **kwargs):
        return lambda folder: fn(c, folder, *args, **kwargs)

    def bad(line: str, *, layer: bool = True):
        return b(_bad_value(line, layer=layer))

    screen, check = c.SCREEN, CATALOG_FILE
    return [
        # 1. NaN and infinity
        Case(
            "nan_tolerance",
            "`--tolerance nan` for a chemical plant inside a level-1 water-source zone",
            screen,
            "error",
            2,
            ("--tolerance", "not a finite number", "expected"),
            "exit 2 before anything is read; no `--out` folder (NaN passed `x < 0` and answered ALLOWED)",
            b(_screen_level1, "--tolerance", "nan"),
        ),
        Case(
            "nan_search_radius",
            "`--search-radius nan`",
            screen,
            "error",
            2,
            ("--search-radius", "not a finite number"),
            "exit 2; no `--out` folder",
            b(_screen_level1, "--search-radius", "nan"),
        ),
        Case(
            "inf_tolerance",
            "`--tolerance inf`",
            screen,
            "error",
            2,
            ("--tolerance", "not a finite number"),
            "exit 2; no `--out` folder",
            b(_screen_level1, "--tolerance", "inf"),
        ),
        Case(
            "huge_search_radius",
            "`--search-radius 1e12`",
            screen,
            "error",
            2,
            ("--search-radius", "out of range", "100000"),
            "exit 2 naming the range (0–100 km)",
            b(_screen_level1, "--search-radius", "1e12"),
        ),
        Case(
            "negative_tolerance",
            "`--tolerance -5`",
            screen,
            "error",
            2,
            ("--tolerance", "out of range"),
            "exit 2 naming the range (0–1000 m)",
            b(_screen_level1, "--tolerance", "-5"),
        ),
        Case(
            "diff_nan_tolerance",
            "`zoning diff --tolerance-km2 nan`",
            "zoning diff",
            "error",
            2,
            ("--tolerance-km2", "not a finite number"),
            "exit 2",
            b(_diff_nan),
        ),
        Case(
            "map_nan_size",
            "`zoning map --max-mb nan`",
            "zoning map",
            "error",
            2,
            ("--max-mb", "not a finite number"),
            "exit 2; no HTML written",
            b(_map_nan),
        ),
        Case(
            "catalog_nan_value",
            "catalogue with `seed = nan`",
            check,
            "error",
            1,
            ("seed = nan", "not a finite number"),
            "exit 1 naming the key",
            bad("seed = nan", layer=False),
        ),
        Case(
            "scenario_nan_value",
            "batch scenario with `n_jobs = nan` in [stats]",
            "zoning run",
            "error",
            1,
            ("stats.n_jobs", "nan"),
            "exit 1 naming the key path; no output folder",
            b(_scenario, "n_jobs = nan\n"),
        ),
        Case(
            "restoration_nan_weight",
            "restoration scenario with a criterion `weight = nan`",
            "zoning restore",
            "error",
            1,
            ("criteria[1].weight = nan", "not a finite number"),
            "exit 1 naming the key path; no output folder",
            b(_restoration, "weight = nan"),
        ),
        Case(
            "restoration_inf_budget",
            "restoration scenario with `budget = inf`",
            "zoning restore",
            "error",
            1,
            ("portfolio.budget = inf",),
            "exit 1 naming the key path",
            b(
                _restoration,
                "weight = 1.0",
                '[[interventions]]\nname = "plant"\ncost_per_ha = 1000\n\n[portfolio]\nbudget = inf\n',
            ),
        ),
        Case(
            "attr_nan",
            "`--attr capacity_mw=nan` (a number attribute)",
            screen,
            "error",
            2,
            ("capacity_mw", "expected a number"),
            "exit 2 (NaN fails every comparison: a rule on the capacity would never apply)",
            b(_screen_level1, "--attr", "capacity_mw=nan"),
        ),
        # 3. double counting
        Case(
            "water_source_twice_stats",
            "the demo's water sources delivered twice: EPSG:4490 and Gauss–Krüger EPSG:4547 (copies < 1e-8 m apart), province statistics",
            "zoning stats",
            "result",
            0,
            (),
            "counted once: `all` equals the sum of the zones and the figure of one copy (it was +1.7 %, one source +18.5 %)",
            b(_stats_water_twice),
        ),
        Case(
            "water_source_twice_check",
            "the same catalogue through `layers check`",
            c.CHECK,
            "result",
            0,
            ("same polygon", "remove the copies"),
            "exit 0 with a warning listing the near-duplicate pairs across the two layers",
            b(_check_water_twice),
        ),
        # 4. the network
        Case(
            "geojson_link_crs",
            'site GeoJSON with `"crs": {"type": "link", "href": "http://…"}`',
            screen,
            "error",
            1,
            ("link or URL", "offline"),
            "exit 1 before any request (it was fetched, twice); no `--out` folder",
            b(_geojson_link_crs),
        ),
        Case(
            "geojson_url_crs_name",
            "site GeoJSON whose named CRS is an `http://` URL",
            screen,
            "error",
            1,
            ("link or URL",),
            "exit 1 before any request",
            b(_geojson_url_crs_name),
        ),
        Case(
            "vrt_vsicurl",
            "OGR `.vrt` layer whose source is `/vsicurl/http://…`",
            check,
            "error",
            1,
            ("VRT", "remote", "/vsicurl/"),
            "exit 1 before any request",
            b(_vrt_vsicurl),
        ),
        Case(
            "vsi_layer_path",
            "layer path typed as `/vsis3/bucket/…`",
            check,
            "error",
            1,
            ("virtual file system",),
            "exit 1; nothing opened",
            b(_vsi_layer_path),
        ),
        Case(
            "crs_url_declared",
            'catalogue `crs = "http://…"` for a shapefile without `.prj`',
            c.CHECK,
            "error",
            1,
            ("is a URL", "EPSG"),
            "exit 1; the CRS is never downloaded",
            b(_crs_url_declared),
        ),
        # 11. wrong value types
        Case(
            "catalog_path_int",
            "catalogue `path = 5`",
            check,
            "error",
            1,
            ("layers[4].path is an integer",),
            "exit 1 naming the key path",
            bad("path = 5"),
        ),
        Case(
            "catalog_zone_map_str",
            'catalogue `zone_map = "x"`',
            check,
            "error",
            1,
            ("layers[4].zone_map is a string", "expected a table"),
            "exit 1",
            bad('zone_map = "x"'),
        ),
        Case(
            "catalog_zone_map_list",
            "catalogue `zone_map` value that is a list",
            check,
            "error",
            1,
            ("layers[4].zone_map.一级 is a list",),
            "exit 1",
            bad('zone_map = {"一级" = ["level1"]}'),
        ),
        Case(
            "catalog_coverage_int",
            "catalogue `coverage = 5`",
            check,
            "error",
            1,
            ("coverage is an integer",),
            "exit 1",
            bad("coverage = 5", layer=False),
        ),
        Case(
            "catalog_coverage_path_int",
            "catalogue `coverage = {path = 5}`",
            check,
            "error",
            1,
            ("coverage.path is an integer",),
            "exit 1",
            bad("coverage = {path = 5}", layer=False),
        ),
        Case(
            "catalog_name_list",
            'catalogue layer `name = ["a"]`',
            check,
            "error",
            1,
            ("layers[4].name is a list",),
            "exit 1",
            bad('name = ["a"]'),
        ),
        Case(
            "catalog_encoding_bogus",
            'catalogue `encoding = "bogus"`',
            check,
            "error",
            1,
            ("not a known text encoding", "gbk"),
            "exit 1",
            bad('encoding = "bogus"'),
        ),
        Case(
            "catalog_encoding_int",
            "catalogue `encoding = 5`",
            check,
            "error",
            1,
            ("layers[4].encoding is an integer",),
            "exit 1",
            bad("encoding = 5"),
        ),
        Case(
            "catalog_encoding_ansi",
            'catalogue `encoding = "ANSI"` (the Windows name)',
            check,
            "error",
            1,
            ("'ANSI'", "encoding = 'gbk'"),
            "exit 1 suggesting `gbk`",
            bad('encoding = "ANSI"'),
        ),
        Case(
            "catalog_illustrative_string",
            'catalogue `illustrative = "false"`',
            check,
            "error",
            1,
            ("illustrative is a string", "without quotes"),
            "exit 1 (a non-empty string was true)",
            bad('illustrative = "false"'),
        ),
        Case(
            "scenario_overlaps_string",
            'batch scenario `overlaps = "no"`',
            "zoning run",
            "error",
            1,
            ("stats.overlaps is a string", "true or false"),
            "exit 1 (it still computed overlaps)",
            b(_scenario, 'overlaps = "no"\n'),
        ),
        Case(
            "scenario_indicators_int",
            "batch scenario `indicators = 5`",
            "zoning run",
            "error",
            1,
            ("stats.indicators is an integer",),
            "exit 1",
            b(_scenario, "indicators = 5\n"),
        ),
        Case(
            "scenario_attrs_int",
            "batch scenario `[screening] attrs = 5`",
            "zoning run",
            "error",
            1,
            ("screening.attrs is an integer",),
            "exit 1",
            b(_scenario_screening, "attrs = 5"),
        ),
        # 12. smaller ones
        Case(
            "fifo_layer",
            "a FIFO (named pipe) as a layer path",
            check,
            "error",
            1,
            ("FIFO", "regular file"),
            "exit 1 at once (it hung forever)",
            b(_fifo_layer),
        ),
        Case(
            "dev_zero_csv",
            "`/dev/zero` as a site CSV (a symlink)",
            screen,
            "error",
            1,
            ("a device", "regular file"),
            "exit 1 at once (it read until memory ran out)",
            b(_dev_zero_csv),
        ),
        Case(
            "root_layer_path",
            'layer `path = "/"`',
            check,
            "error",
            1,
            ("is a folder",),
            "exit 1 before hashing anything",
            b(_root_layer),
        ),
        Case(
            "symlinked_folder_layer",
            "layer path that is a symlink to a folder",
            check,
            "error",
            1,
            ("is a folder",),
            "exit 1 before hashing the folder",
            b(_symlinked_folder),
        ),
        Case(
            "stats_line_kind",
            "`zoning stats --layers river` (a line layer)",
            "zoning stats",
            "error",
            2,
            ("river", "0 km²"),
            "exit 2 (it wrote 0 km² everywhere)",
            b(_stats_line_kind),
        ),
        Case(
            "scenario_line_kind",
            "batch scenario whose `layers` name `river` (a line layer)",
            "zoning run",
            "error",
            1,
            ("'river'", "0 km²"),
            "exit 1 (it wrote 0 km² everywhere); no output folder",
            b(_scenario_line_kind),
        ),
        Case(
            "stats_blank_layers",
            '`zoning stats --layers " , "`',
            "zoning stats",
            "error",
            2,
            ("names no layer kind",),
            "exit 2 (it wrote a header-only CSV)",
            b(_stats_blank_layers),
        ),
        Case(
            "admin_without_level",
            "an `admin_unit` layer without a `level` column",
            "zoning stats",
            "error",
            1,
            ("no county units", "level"),
            "exit 1 (it wrote a header-only CSV)",
            b(_admin_without_level),
        ),
        Case(
            "gbk_file_name",
            "site file whose name is GBK bytes (copied from Chinese Windows)",
            screen,
            "result",
            0,
            ('"verdict": "prohibited"',),
            'read through an ASCII-named alias and screened: prohibited (it was refused as "truncated")',
            b(_gbk_file_name),
        ),
        Case(
            "bom_catalog",
            "catalogue TOML saved with a UTF-8 byte order mark (Notepad)",
            c.CHECK,
            "result",
            0,
            (),
            "read as it is",
            b(_bom_catalog),
        ),
        Case(
            "gbk_catalog",
            "catalogue TOML saved in GBK",
            check,
            "error",
            1,
            ("GBK", "UTF-8"),
            "exit 1: encoded as GBK; fix: save as UTF-8 (no reference to a missing document)",
            b(_gbk_catalog),
        ),
        Case(
            "gbk_scenario",
            "batch scenario TOML saved in GBK",
            "zoning run",
            "error",
            1,
            ("GBK", "UTF-8"),
            "exit 1: encoded as GBK; fix: save as UTF-8",
            b(_gbk_scenario),
        ),
    ]
