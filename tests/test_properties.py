"""Property tests over random shapes (issue 7, hypothesis).

* screening never calls a site ``allowed`` when it substantively intersects a zone that
  prohibits its project type (random points, lines, polygons — valid or bow-ties — against
  random zones; several sites per call, so per-site bookkeeping is exercised too);
* zoning statistics do not depend on the row order, on splitting a feature in two, or on which
  CGCS2000 Gauss–Krüger zone the data arrives in (within tolerance);
* the area of a unit inside a layer plus the area outside it equals the unit's area;
* fuzzing: mutated and truncated files of every format given to ``read_vector``, and random
  (also degenerate) sites given to ``screen_sites``, either work or raise a ``ZoningError`` —
  never anything else. ``benchmarks/fuzz_readers.py`` runs the same fuzzers for a time budget.

Example counts and deadlines are bounded so that the file runs in well under a minute.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, Phase, assume, event, given, settings
from hypothesis import strategies as st
from shapely import box

from zoning.errors import ZoningError

GK = "EPSG:4547"  # CGCS2000 3-degree GK, CM 114E
GK_WEST = "EPSG:4546"  # CM 111E, the neighbouring zone
X0, Y0 = 500_000.0, 4_200_000.0  # 114E, ~37.9N
SPAN = 10_000.0
# no shrinking: a failure is reported as found (shrinking overlays can take minutes)
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
FAST = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
    derandomize=True,
    phases=NO_SHRINK,
)

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "fuzz_readers", ROOT / "benchmarks" / "fuzz_readers.py"
)
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

# ---------------------------------------------------------------------------------------------
# Strategies: shapes in metres (EPSG:4547) on a 1 m grid around (X0, Y0)
# ---------------------------------------------------------------------------------------------

coord = st.integers(0, int(SPAN)).map(float)
xy = st.tuples(coord, coord)


def _at(geom):
    return shapely.affinity.translate(geom, X0, Y0)


@st.composite
def polygons(draw, *, allow_invalid: bool = False):
    style = draw(st.sampled_from(["box", "hull", "disc"] + (["bowtie"] if allow_invalid else [])))
    if style == "box":
        (x, y), w, h = draw(xy), draw(st.integers(5, 3000)), draw(st.integers(5, 3000))
        return _at(box(x, y, x + w, y + h))
    if style == "disc":
        (x, y), r = draw(xy), draw(st.integers(5, 2000))
        return _at(shapely.Point(x, y).buffer(r, quad_segs=4))
    pts = draw(st.lists(xy, min_size=4, max_size=8, unique=True))
    if style == "bowtie":
        return _at(shapely.Polygon(pts))  # any ring order: often self-intersecting
    hull = shapely.MultiPoint(pts).convex_hull
    assume(hull.geom_type == "Polygon" and hull.area > 10)
    return _at(hull)


@st.composite
def sites_geoms(draw):
    kind = draw(st.sampled_from(["point", "line", "polygon", "bowtie"]))
    if kind == "point":
        return _at(shapely.Point(draw(xy)))
    if kind == "line":
        pts = draw(st.lists(xy, min_size=2, max_size=5, unique=True))
        return _at(shapely.LineString(pts))
    return draw(polygons(allow_invalid=kind == "bowtie"))


def _frame(kind: str, zone: str, geoms: list) -> gpd.GeoDataFrame:
    """A normalised frame (DESIGN.md), drawn in GK and stored in EPSG:4490."""
    return gpd.GeoDataFrame(
        {
            "feature_id": [f"{kind}-{i}" for i in range(len(geoms))],
            "kind": kind,
            "zone": zone,
            "name": None,
            "layer": "prop",
        },
        geometry=geoms,
        crs=GK,
    ).to_crs("EPSG:4490")


_TO_LL = pyproj.Transformer.from_crs(GK, "EPSG:4490", always_xy=True)
COVERAGE = shapely.transform(
    _at(box(-5000, -5000, SPAN + 5000, SPAN + 5000)),
    lambda c: np.column_stack(_TO_LL.transform(c[:, 0], c[:, 1])),
)
# zones that prohibit all three project types below in the bundled national + Shanxi packs
PROHIBITING = [("eco_redline", "general"), ("water_source", "level1"), ("protected_area", "core")]


def _substantive(site, zone) -> bool:
    """True when the site reaches at least 1 m inside the zone (no touching-only cases)."""
    site = shapely.make_valid(site)
    return bool(zone.buffer(-1.0).intersects(site))


@FAST
@given(
    zones=st.lists(polygons(), min_size=1, max_size=4),
    which=st.lists(st.integers(0, len(PROHIBITING) - 1), min_size=4, max_size=4),
    sites=st.lists(sites_geoms(), min_size=1, max_size=5),
    project_type=st.sampled_from(["chemical", "coal_mine", "housing"]),
)
def test_screening_never_allows_a_site_inside_a_prohibiting_zone(zones, which, sites, project_type):
    from zoning.screening import screen_sites

    by_kind: dict[str, list] = {}
    for z, w in zip(zones, which, strict=False):
        by_kind.setdefault(PROHIBITING[w], []).append(z)
    frames = {kind: _frame(kind, zone, geoms) for (kind, zone), geoms in by_kind.items()}
    site_frame = gpd.GeoDataFrame(
        {"site_id": [f"s{i}" for i in range(len(sites))]}, geometry=sites, crs=GK
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = screen_sites(site_frame, frames, project_type, coverage=COVERAGE, n_jobs=1)
    verdicts = result.sites.set_index("site_id")["verdict"]
    for i, site in enumerate(sites):
        hit = any(_substantive(site, z) for geoms in by_kind.values() for z in geoms)
        event(f"site inside a prohibiting zone: {hit}")
        if hit:
            assert verdicts[f"s{i}"] == "prohibited", (site.wkt, verdicts[f"s{i}"])


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------


# Statistics are measured in ALBERS_CHINA; shapes drawn there are measured as drawn (no
# reprojection bends their edges), so sums can be compared to 1e-9. Only the zone-invariance
# test starts from Gauss–Krüger data.
def _albers_at(geom):
    from zoning.crs import ALBERS_CHINA

    ox, oy = pyproj.Transformer.from_crs(GK, ALBERS_CHINA, always_xy=True).transform(X0, Y0)
    return shapely.affinity.translate(geom, ox - X0, oy - Y0)


def _units():
    from zoning.crs import ALBERS_CHINA

    return gpd.GeoDataFrame(
        {"adcode": ["A", "B", "C"]},
        geometry=[
            _albers_at(_at(box(0, 0, 6000, 10_000))),
            _albers_at(_at(box(6000, 0, SPAN, 10_000))),
            _albers_at(_at(box(0, 10_000, SPAN, 14_000))),
        ],
        crs=ALBERS_CHINA,
    )


UNITS = _units()


def _stats(layers: dict[str, gpd.GeoDataFrame]):
    from zoning.crs import ALBERS_CHINA
    from zoning.stats import area_by_unit

    out = area_by_unit(UNITS, layers, crs=ALBERS_CHINA, n_jobs=1)
    return out.set_index(["unit_id", "layer_kind", "zone"])["area_km2"]


def _layer(geoms, zones, crs=None) -> gpd.GeoDataFrame:
    """A layer from shapes drawn around (X0, Y0): in ALBERS_CHINA unless ``crs`` is given."""
    from zoning.crs import ALBERS_CHINA

    if crs is None:
        return gpd.GeoDataFrame(
            {"zone": zones}, geometry=[_albers_at(g) for g in geoms], crs=ALBERS_CHINA
        )
    return gpd.GeoDataFrame({"zone": zones}, geometry=geoms, crs=crs)


layer_rows = st.lists(
    st.tuples(polygons(), st.sampled_from(["core", "general"])), min_size=1, max_size=6
)


@FAST
@given(rows=layer_rows, seed=st.randoms(use_true_random=False))
def test_statistics_do_not_depend_on_row_order(rows, seed):
    geoms, zones = [g for g, _ in rows], [z for _, z in rows]
    order = list(range(len(rows)))
    seed.shuffle(order)
    a = _stats({"eco_redline": _layer(geoms, zones)})
    b = _stats({"eco_redline": _layer([geoms[i] for i in order], [zones[i] for i in order])})
    assert a.index.equals(b.index)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=1e-12)


@FAST
@given(rows=layer_rows, pick=st.integers(0, 5), cut=st.floats(0.05, 0.95))
def test_statistics_do_not_change_when_a_feature_is_split_in_two(rows, pick, cut):
    geoms, zones = [g for g, _ in rows], [z for _, z in rows]
    i = pick % len(geoms)
    minx, miny, maxx, maxy = geoms[i].bounds
    xcut = minx + cut * (maxx - minx)
    left = geoms[i].intersection(box(minx - 1, miny - 1, xcut, maxy + 1))
    right = geoms[i].intersection(box(xcut, miny - 1, maxx + 1, maxy + 1))
    assume(not left.is_empty and not right.is_empty)
    a = _stats({"eco_redline": _layer(geoms, zones)})
    b = _stats(
        {
            "eco_redline": _layer(
                [*geoms[:i], left, right, *geoms[i + 1 :]],
                [*zones[:i], zones[i], zones[i], *zones[i + 1 :]],
            )
        }
    )
    assert a.index.equals(b.index)
    # the cut adds vertices on straight edges: equal to well under a square metre
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, atol=1e-6)


@FAST
@given(rows=layer_rows)
def test_statistics_do_not_depend_on_the_gauss_kruger_zone_of_the_input(rows):
    geoms, zones = [g for g, _ in rows], [z for _, z in rows]
    east = _layer(geoms, zones, crs=GK)
    # the same shapes delivered in the western neighbouring zone (CM 111E), densified first so
    # that both describe the same curve on the ground
    dense = east.set_geometry(east.geometry.segmentize(50.0))
    west = dense.to_crs(GK_WEST)
    a = _stats({"eco_redline": dense})
    b = _stats({"eco_redline": west})
    assert a.index.equals(b.index)
    # 3° away from its central meridian a straight 50 m chord bends by well under a millimetre
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-6, atol=1e-6)


@FAST
@given(rows=layer_rows)
def test_inside_plus_outside_a_layer_is_the_unit_area(rows):
    geoms = [g for g, _ in rows]
    union = _albers_at(shapely.union_all(geoms))
    outside = [shapely.difference(u, union) for u in UNITS.geometry]
    outside = [g for g in outside if not g.is_empty]
    out = _stats(
        {
            "eco_redline": _layer(geoms, ["general"] * len(geoms)),
            "basic_farmland": gpd.GeoDataFrame(
                {"zone": ["all"] * len(outside)}, geometry=outside, crs=UNITS.crs
            ),
        }
    )
    unit_km2 = dict(
        zip(UNITS["adcode"], shapely.area(UNITS.geometry.to_numpy()) / 1e6, strict=True)
    )
    for uid, total in unit_km2.items():
        inside = out.get((uid, "eco_redline", "all"), 0.0)
        rest = out.get((uid, "basic_farmland", "all"), 0.0)
        assert inside + rest == pytest.approx(total, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Fuzzing (bounded; benchmarks/fuzz_readers.py runs the same for a time budget)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    return fuzz.seed_files(tmp_path_factory.mktemp("seeds"))


def test_fuzz_seed_files_are_all_readable(seeds, tmp_path):
    """The fuzzer starts from valid files of every format (else it only tests refusals)."""
    for name, blob in seeds.items():
        assert fuzz.try_read(tmp_path / name, blob) == "read", name


@settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(data=st.data())
def test_fuzzed_files_are_read_or_refused_with_a_zoning_error(seeds, data, tmp_path):
    name = data.draw(st.sampled_from(sorted(seeds)))
    blob = data.draw(fuzz.mutations(seeds[name]))
    outcome = fuzz.try_read(tmp_path / f"case-{len(blob)}{Path(name).suffix}", blob)
    assert outcome in {"read", "refused"}, outcome


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(sites=st.lists(fuzz.weird_sites(), min_size=1, max_size=4))
def test_fuzzed_sites_are_screened_or_refused_with_a_zoning_error(sites):
    outcome = fuzz.try_screen(sites)
    assert outcome in {"screened", "refused"}, outcome


def test_site_with_a_nan_coordinate_is_refused_with_a_zoning_error():
    """Found by the fuzzer: make_valid used to raise a GEOSException on it."""
    outcome = fuzz.try_screen([shapely.Point(float("nan"), 37.9), shapely.Point(114.0, 37.9)])
    assert outcome == "refused", outcome


def test_fuzz_outcome_detects_a_crash(tmp_path):
    """The fuzz harness itself: an exception outside ZoningError is reported as a crash."""
    assert fuzz.classify(lambda: (_ for _ in ()).throw(ZoningError("x"))) == "refused"
    assert fuzz.classify(lambda: 1 / 0).startswith("crash: ZeroDivisionError")
