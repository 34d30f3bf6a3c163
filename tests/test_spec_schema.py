"""The schema module: declared fields, every problem with its key path, JSON Schema, paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoning.errors import InputFileError
from zoning.spec.schema import (
    Const,
    Either,
    Flag,
    Integer,
    ListOf,
    Number,
    Table,
    TableList,
    Text,
    TextMap,
    check,
    json_schema,
    located_problems,
    resolve_path,
)

DECL = Table(
    {
        "name": Text("A name.", blank="a name"),
        "on": Flag(),
        "n": Integer(),
        "size": Number(positive=True),
        "crs": Either(Text(), Integer()),
        "map": TextMap(),
        "tags": ListOf(Text()),
        "rows": ListOf(ListOf(Number(), whole=True), expected="rows of numbers", whole=True),
        "mode": Either(Text(), Const(False), expected='"x" or false'),
        "layers": TableList(Table({"crs": Text(), "path": Text()}, required=("path",))),
        "loose": Table({"a": Text()}, extra=Table({"path": Text()}, expected="a file table")),
        "lazy": Text(loader=True),
    },
    closed=True,
)


def _messages(raw):
    return [p.message.split(";")[0] for p in check(DECL, raw)]


def test_every_wrong_type_is_reported_with_its_key_path():
    raw = {
        "name": 5,
        "on": "false",
        "n": True,
        "size": 0,
        "crs": 4.5,
        "map": {"一级": 1},
        "tags": ["a", 2],
        "rows": [[1, "x"]],
        "mode": True,
        "layers": [{"crs": 4490, "path": "a"}, 7, {"crs": "EPSG:4490"}],
        "loose": {"a": 1, "dem": 3, "ok": {"path": 2}},
        "lazy": 5,  # the loader's to report
    }
    assert _messages(raw) == [
        "name is an integer (5)",
        "on is a string ('false')",
        "n is a boolean (True)",
        "size is an integer (0)",
        "crs is a number (4.5)",
        "map.一级 is an integer (1)",
        "tags[2] is an integer (2)",
        "rows is a list ([[1, 'x']])",
        "mode is a boolean (True)",
        "layers[1].crs is an integer (4490)",
        "layers[2] is an integer (7)",
        "layers[3] is a table ({'crs': 'EPSG:4490'})",
        "loose.a is an integer (1)",
        "loose.dem is an integer (3)",
        "loose.ok.path is an integer (2)",
    ]


def test_messages_say_what_was_expected_and_the_fix():
    by_path = {w: p.message for w, p in located_problems(DECL, {"on": "no", "size": -1})}
    assert by_path["on"].endswith(
        "expected true or false; fix: write on = true or on = false, without quotes"
    )
    assert by_path["size"].endswith("expected a number > 0")
    assert check(DECL, {"name": "  "})[0].message == "name is a string ('  '); expected a name"


def test_right_values_pass_and_nan_is_refused_with_its_path():
    raw = {
        "name": "x",
        "on": True,
        "n": 3,
        "size": 2.5,
        "crs": "EPSG:4490",
        "map": {"一级": "level1"},
        "tags": ["a"],
        "rows": [[1, 2.0]],
        "mode": False,
        "layers": [{"path": "a"}],
        "loose": {"a": "b", "dem": {"path": "d.tif"}},
    }
    assert check(DECL, raw) == []
    (nan,) = check(DECL, {"rows": [[1.0, float("nan")]]})
    assert nan.code == "not_finite" and nan.message.startswith("rows[1][2] = nan")


def test_a_rule_runs_once_the_type_fits():
    decl = Table({"enc": Text(rule=lambda v: None if v == "gbk" else ("bad_enc", f"{v!r}?"))})
    assert check(decl, {"enc": "gbk"}) == []
    (p,) = check(decl, {"enc": "ANSI"})
    assert (p.code, p.message) == ("bad_enc", "enc: 'ANSI'?")
    assert [q.code for q in check(decl, {"enc": 5})] == ["wrong_type"]


def test_json_schema_of_a_declaration():
    doc = json_schema(DECL, "t")
    assert doc["$schema"].endswith("2020-12/schema") and doc["title"] == "t"
    props = doc["properties"]
    assert doc["additionalProperties"] is False
    assert props["name"] == {"type": "string", "pattern": r"\S", "description": "A name."}
    assert props["size"] == {"type": "number", "exclusiveMinimum": 0}
    assert props["crs"] == {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    assert props["mode"]["anyOf"][1] == {"const": False}
    assert props["layers"]["items"]["required"] == ["path"]
    assert props["loose"]["additionalProperties"]["properties"] == {"path": {"type": "string"}}


def test_paths_resolve_relative_to_the_file(tmp_path):
    assert resolve_path("a/b.gpkg", tmp_path) == tmp_path / "a" / "b.gpkg"
    assert resolve_path(str(tmp_path / "x"), Path("/elsewhere")) == tmp_path / "x"
    assert resolve_path("~/x.tif", tmp_path) == Path.home() / "x.tif"
    data = resolve_path("dataset:gem-coal-mines-shanxi/x.geojson", tmp_path)
    assert data.parent.parent.name == "data" and data.parent.parent.parent.name == "datasets"
    assert resolve_path("package:zoning/specs/kinds.toml", tmp_path).is_file()
    with pytest.raises(InputFileError, match="not installed"):
        resolve_path("package:no_such_package_zz/x", tmp_path)
