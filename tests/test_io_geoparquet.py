"""zoning.io.geoparquet: the cache's GeoParquet files read in two halves, the frame geopandas reads."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fresh_python import last_line
from shapely.geometry import MultiPolygon, Point, box

from zoning.crs import ALBERS_CHINA
from zoning.io.geoparquet import read_parts, to_frame


def _frame(crs=ALBERS_CHINA, attrs=None):
    frame = gpd.GeoDataFrame(
        {
            "feature_id": ["a", "b", None, "d"],
            "zone": ["一级", "level2", "level2", ""],
            "count": [1, 2, 3, 4],
            "ratio": [0.5, np.nan, 1e-300, -2.0],
        },
        geometry=[
            box(0, 0, 1, 1),
            None,
            MultiPolygon([box(2, 2, 3, 3), box(4, 4, 5, 5)]),
            box(0, 0, 2, 2).difference(box(0.5, 0.5, 1, 1)),
        ],
        crs=crs,
    )
    frame.attrs.update(attrs or {})
    return frame


def _same(got, want):
    """Equal as geopandas' frame is: values, dtypes, index, CRS, attrs, geometries' bytes."""
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes)
    assert type(got.index) is type(want.index) and got.index.equals(want.index)
    assert got.crs == want.crs and got.geometry.name == want.geometry.name
    assert got.attrs == want.attrs
    assert (
        shapely.to_wkb(got.geometry.values).tolist()
        == shapely.to_wkb(want.geometry.values).tolist()
    )


@pytest.mark.parametrize(
    "columns",
    [None, ["zone", "geometry"], ["geometry"], ["geometry", "count", "feature_id"]],
)
@pytest.mark.parametrize("attrs", [None, {"zoning:valid_in": "somewhere", "n": [1, 2]}])
def test_parts_make_the_frame_geopandas_reads(tmp_path, columns, attrs):
    path = tmp_path / "layer.parquet"
    _frame(attrs=attrs).to_parquet(path)
    parts = read_parts(path, columns)
    assert parts is not None
    _same(to_frame(parts), gpd.read_parquet(path, columns=columns))


def test_an_empty_frame_and_a_geographic_crs(tmp_path):
    path = tmp_path / "empty.parquet"
    _frame(crs="EPSG:4490").iloc[:0].to_parquet(path)
    _same(to_frame(read_parts(path)), gpd.read_parquet(path))
    path = tmp_path / "cgcs.parquet"
    _frame(crs="EPSG:4490").to_parquet(path)
    _same(
        to_frame(read_parts(path, ["zone", "geometry"])),
        gpd.read_parquet(path, ["zone", "geometry"]),
    )


def test_files_it_cannot_read_exactly_are_left_to_geopandas(tmp_path):
    # WGS 84's datum is an ensemble, whose members' ids geopandas removes
    ensemble = tmp_path / "wgs84.parquet"
    _frame(crs="EPSG:4326").to_parquet(ensemble)
    assert read_parts(ensemble) is None
    # an index stored as a column
    indexed = tmp_path / "indexed.parquet"
    _frame().set_index("feature_id").to_parquet(indexed)
    assert read_parts(indexed) is None
    # two geometry columns
    two = tmp_path / "two.parquet"
    frame = _frame()
    frame["centre"] = gpd.GeoSeries([Point(0, 0)] * 4, crs=ALBERS_CHINA)
    frame.to_parquet(two)
    assert read_parts(two) is None
    # no geometry asked for
    plain = tmp_path / "plain.parquet"
    _frame().to_parquet(plain)
    assert read_parts(plain, ["zone"]) is None
    # a bbox covering column
    covered = tmp_path / "covered.parquet"
    _frame().to_parquet(covered, write_covering_bbox=True)
    assert read_parts(covered) is None
    # geopandas reads each of them as before
    for path in (ensemble, indexed, two, covered):
        assert len(gpd.read_parquet(path)) == 4


def test_a_damaged_file_raises_as_geopandas_does(tmp_path):
    path = tmp_path / "cut.parquet"
    _frame().to_parquet(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError):  # pyarrow's ArrowInvalid is a ValueError
        gpd.read_parquet(path)
    with pytest.raises(ValueError):
        read_parts(path)
    with pytest.raises(OSError):
        read_parts(tmp_path / "absent.parquet")


def test_reading_the_parts_imports_no_pandas(tmp_path):
    path = tmp_path / "layer.parquet"
    _frame().to_parquet(path)
    code = (
        "import sys\n"
        "from zoning.io.geoparquet import read_parts\n"
        f"parts = read_parts({str(path)!r}, ['zone', 'geometry'])\n"
        "print(len(parts.geometries), parts.table.column_names, "
        "[m for m in ('pandas', 'geopandas') if m in sys.modules])\n"
    )
    assert last_line(code).split() == ["4", "['zone']", "[]"]
    assert json.loads(read_parts(path).table.schema.metadata[b"pandas"])["index_columns"]


def _text_frame(crs=ALBERS_CHINA):
    """A frame as the layer cache holds it: text columns (one with a missing value)."""
    frame = _frame(crs=crs)[["feature_id", "zone", "geometry"]].copy()
    frame["名称"] = ["太原", "晋中", "", "大同"]
    return frame


@pytest.mark.parametrize("columns", [None, ["zone", "geometry"], ["geometry", "名称", "zone"]])
def test_text_columns_are_made_one_by_one_into_the_frame_geopandas_reads(tmp_path, columns):
    path = tmp_path / "text.parquet"
    _text_frame().to_parquet(path)
    parts = read_parts(path, columns)
    assert parts.text_only  # the quick way, not pyarrow's to_pandas
    _same(to_frame(parts), gpd.read_parquet(path, columns=columns))
    # with the frame's attrs (geopandas keeps them beside pandas' metadata)
    noted = _text_frame()
    noted.attrs["note"] = "kept"
    noted.to_parquet(path)
    parts = read_parts(path, columns)
    assert parts.text_only and to_frame(parts).attrs == {"note": "kept"}
    _same(to_frame(parts), gpd.read_parquet(path, columns=columns))
    # an empty layer too
    empty = tmp_path / "empty.parquet"
    _text_frame().iloc[:0].to_parquet(empty)
    parts = read_parts(empty, columns)
    assert parts.text_only
    _same(to_frame(parts), gpd.read_parquet(empty, columns=columns))


def test_other_columns_and_indexes_are_made_by_pyarrow(tmp_path):
    cases = {
        "numbers": _frame(),  # an int and a float column beside the text
        "shifted": _text_frame().iloc[1:],  # a range index from 1
        "named index": _text_frame().rename_axis("row"),
        "named labels": _text_frame().rename_axis("field", axis="columns"),
        "categorical": _text_frame().astype({"zone": "category"}),
    }
    for name, frame in cases.items():
        path = tmp_path / f"{name}.parquet"
        frame.to_parquet(path)
        parts = read_parts(path)
        assert parts is not None and not parts.text_only, name
        _same(to_frame(parts), gpd.read_parquet(path))
    # no column besides the geometry
    path = tmp_path / "bare.parquet"
    _text_frame().to_parquet(path)
    parts = read_parts(path, ["geometry"])
    assert not parts.text_only
    _same(to_frame(parts), gpd.read_parquet(path, columns=["geometry"]))


def test_frames_in_one_crs_share_one_parsed_crs(tmp_path):
    a, b, c = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"
    _text_frame().to_parquet(a)
    _frame().to_parquet(b)
    _text_frame(crs="EPSG:4490").to_parquet(c)
    fa, fb, fc = (to_frame(read_parts(p)) for p in (a, b, c))
    assert fa.crs is fb.crs  # parsed once
    assert fa.crs == gpd.read_parquet(b).crs == ALBERS_CHINA
    assert fc.crs is not fa.crs and fc.crs == gpd.read_parquet(c).crs
