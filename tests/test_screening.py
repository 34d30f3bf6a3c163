"""Screening engine: hand-checked cases on tiny synthetic catalogues.

All shapes are drawn in EPSG:4547 (CGCS2000 Gauss–Krüger, CM 114E) near 114E 37.9N, where the
engine also measures, then stored in EPSG:4490 like normalised frames. Vertices survive the
round trip, so lengths and areas of axis-aligned boxes are known by hand.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import LineString, Point, Polygon, box

from zoning.errors import CRSError, EmptyInputError, UnknownProjectTypeError
from zoning.projects import get_project_type, resolve_attrs
from zoning.rules import load_rulepacks
from zoning.screening import screen_sites
from zoning.screening.report import to_dict, to_json

X0, Y0 = 500_000.0, 4_200_000.0  # EPSG:4547 false easting = CM 114E
GK = "EPSG:4547"


def b(x0, y0, x1, y1):
    """A box in metres relative to (X0, Y0)."""
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def layer(kind, rows):
    """A normalised frame (EPSG:4490) from (feature_id, zone, name, geometry-in-4547) rows."""
    return gpd.GeoDataFrame(
        {
            "feature_id": [r[0] for r in rows],
            "kind": kind,
            "zone": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "layer": "test",
        },
        geometry=[r[3] for r in rows],
        crs=GK,
    ).to_crs("EPSG:4490")


def sites(*geoms, ids=None):
    return gpd.GeoDataFrame(
        {"site_id": ids or [f"s{i + 1}" for i in range(len(geoms))]}, geometry=list(geoms), crs=GK
    )


COVERAGE = shapely.transform(
    b(-20_000, -20_000, 20_000, 20_000),
    lambda c: np.column_stack(
        __import__("pyproj")
        .Transformer.from_crs(GK, "EPSG:4490", always_xy=True)
        .transform(c[:, 0], c[:, 1])
    ),
)


def _empty(kind):
    return gpd.GeoDataFrame(
        {"feature_id": [], "kind": [], "zone": [], "name": [], "layer": []},
        geometry=[],
        crs="EPSG:4490",
    )


@pytest.fixture(scope="module")
def frames():
    # the catalogue has every layer kind the rules need; only these have features here
    from zoning.kinds import KIND_IDS

    return {k: _empty(k) for k in KIND_IDS if k != "admin_unit"} | {
        "water_source": layer(
            "water_source",
            [
                ("ws-1", "level1", "水源一级", b(0, 0, 1000, 1000)),
                ("ws-2", "level2", "水源二级", b(3000, 0, 4000, 1000)),
            ],
        ),
        "eco_redline": layer(
            "eco_redline",
            [
                ("rl-a", "general", "红线A", b(0, 5000, 1000, 6000)),
                ("rl-b", "general", "红线B", b(500, 5000, 1500, 6000)),  # overlaps A on 500 m
            ],
        ),
        "basic_farmland": layer(
            "basic_farmland", [("bf-1", "all", None, b(0, 10_000, 1000, 11_000))]
        ),
        "protected_area": layer(
            "protected_area",
            [
                ("nr-core", "core", "保护区", b(6000, 0, 7000, 1000)),
                ("nr-exp", "experimental", "保护区", b(7000, 0, 8000, 1000)),
            ],
        ),
    }


def screen(site_geoms, frames, ptype, **kw):
    kw.setdefault("coverage", COVERAGE)
    # the synthetic catalogue stands for a county of Xinzhou (忻府区), so Xinzhou rules bind
    kw.setdefault("jurisdiction", "140902")
    return screen_sites(sites(*site_geoms), frames, ptype, **kw)


def only_site(result):
    doc = json.loads(to_json(result))
    assert len(doc["sites"]) == 1
    return doc["sites"][0]


# --------------------------------------------------------------------------- hand-checked cases
def test_chemical_plant_inside_level1_is_prohibited_citing_the_law(frames):
    result = screen([b(100, 100, 300, 200)], frames, "chemical")
    site = only_site(result)
    assert site["verdict"] == "prohibited"
    (hit,) = [h for h in site["hits"] if h["layer_kind"] == "water_source"]
    assert hit["zone"] == "level1" and hit["inside"] is True
    assert hit["overlap_area_m2"] == pytest.approx(200 * 100, rel=1e-6)
    assert hit["rule_id"] == "CN-WS-02"
    assert "水污染防治法" in hit["citation"]["document"]
    assert "clause number not verified" in hit["citation"]["text"]
    assert any("CN-WS-02" in r and "水污染防治法" in r for r in site["reasons"])
    # boundary distance: the box is 100 m from the zone's west and south edges
    assert hit["boundary_distance_m"] == pytest.approx(100, abs=1e-6)


BUFFER_PACK = {
    "pack": {"id": "buffer-test", "version": "1"},
    "rules": [
        {
            "id": "T-BUF",
            "kind": "water_source",
            "zones": ["level1"],
            "categories": ["heavily_polluting"],
            "buffer_m": 500,
            "outcome": "prohibited",
            "citation": {"document": "test buffer rule", "verified": True},
        }
    ],
}


def test_same_type_200m_outside_a_500m_buffer_is_caught_with_its_distance(frames):
    site_geom = b(1200, 400, 1400, 600)  # 200 m east of the level-1 zone (x = 1000)
    result = screen([site_geom], frames, "chemical", rulepacks=[BUFFER_PACK])
    site = only_site(result)
    assert site["verdict"] == "prohibited"
    (hit,) = site["hits"]
    assert hit["rule_id"] == "T-BUF" and hit["inside"] is False
    assert hit["distance_m"] == pytest.approx(200, abs=1e-6)
    assert hit["overlap_area_m2"] == 0
    # the national pack alone has no buffer: the zone is only "nearby"
    # (a chemical plant is prohibited outside a chemical park, CN-IP-01: use a warehouse-like
    # type the parks rule does not cover to see the zone left "nearby")
    plain = only_site(screen([site_geom], frames, "housing"))
    assert plain["verdict"] == "allowed" and plain["hits"] == []
    assert [n["feature_id"] for n in plain["nearby"]] == ["ws-1"]
    assert plain["nearby"][0]["distance_m"] == pytest.approx(200, abs=1e-6)


def test_600m_outside_a_500m_buffer_is_not_caught(frames):
    result = screen([b(1600, 400, 1800, 600)], frames, "chemical", rulepacks=[BUFFER_PACK])
    assert result.sites["verdict"].tolist() == ["allowed"]


def test_road_crossing_a_red_line_is_conditional_with_evidence(frames):
    road = LineString([(X0 - 500, Y0 + 5500), (X0 + 200, Y0 + 5500)])  # 200 m inside rl-a only
    site = only_site(screen([road], frames, "road"))
    assert site["verdict"] == "conditional"
    (hit,) = site["hits"]
    assert hit["rule_id"] == "CN-RL-03"
    assert hit["overlap_length_m"] == pytest.approx(200, abs=1e-6)
    assert hit["crossings"] == 1
    assert any("necessary and unavoidable" in e for e in site["evidence_required"])
    # declared avoidable: prohibited
    site2 = only_site(screen([road], frames, "road", attrs=["necessary_and_unavoidable=false"]))
    assert site2["verdict"] == "prohibited"


def test_road_inside_two_overlapping_red_lines_is_counted_once(frames):
    road = LineString([(X0 + 200, Y0 + 5500), (X0 + 1300, Y0 + 5500)])
    site = only_site(screen([road], frames, "road"))
    lengths = sorted(h["overlap_length_m"] for h in site["hits"])
    assert lengths == pytest.approx([800, 800], abs=1e-6)  # per feature: A 200–1000, B 500–1300
    (total,) = [x for x in site["by_layer"] if x["layer_kind"] == "eco_redline"]
    assert total["overlap_length_m"] == pytest.approx(1100, abs=1e-6)  # not 1600
    assert total["share_of_site"] == pytest.approx(1.0)


@pytest.mark.parametrize("workers", [1, 2])
def test_many_polygon_sites_over_two_overlapping_red_lines_count_overlap_once(frames, workers):
    """100 sites (more than the threading threshold) each 900 x 200 m over x 300–1200,
    straddling red lines A (x 0–1000) and B (x 500–1500) and inside neither: 700 x 200 m² in
    each feature, and on the dissolved layer the whole site, 180,000 m² (not 280,000) — with
    one thread and with two.
    """
    polys = [b(300, 5100 + 5 * i, 1200, 5300 + 5 * i) for i in range(100)]
    res = screen_sites(sites(*polys), frames, "solar_pv", coverage=COVERAGE, n_jobs=workers)
    for site in to_dict(res)["sites"]:
        per_feature = [h["overlap_area_m2"] for h in site["hits"]]
        assert per_feature == pytest.approx([140_000, 140_000], rel=1e-9)
        (total,) = [x for x in site["by_layer"] if x["layer_kind"] == "eco_redline"]
        assert total["overlap_area_m2"] == pytest.approx(180_000, rel=1e-9)
        assert total["share_of_site"] == pytest.approx(1.0)


def test_solar_farm_overlapping_basic_farmland_is_prohibited(frames):
    solar = b(800, 10_500, 1200, 10_700)  # 200 m of its 400 m width lies on the farmland
    site = only_site(screen([solar], frames, "solar_pv"))
    assert site["verdict"] == "prohibited"
    (hit,) = site["hits"]
    assert hit["overlap_area_m2"] == pytest.approx(200 * 200, rel=1e-6)
    assert hit["share_of_site"] == pytest.approx(0.5, abs=1e-6)
    assert hit["share_of_zone"] == pytest.approx(40_000 / 1_000_000, rel=1e-6)
    rules = set(hit["rule_ids"])
    assert {"CN-BF-03", "SX-RE-02"} <= rules


def test_water_supply_facility_in_level1_is_not_prohibited(frames):
    site = only_site(screen([b(400, 400, 450, 450)], frames, "water_supply_facility"))
    assert site["verdict"] == "conditional"
    assert site["hits"][0]["rule_id"] == "CN-WS-03"
    assert site["evidence_required"]


def test_site_outside_the_catalogue_is_needs_info(frames):
    far = b(50_000, 50_000, 50_100, 50_100)
    site = only_site(screen([far], frames, "housing"))
    assert site["verdict"] == "needs_info"
    assert site["covered"] is False
    assert "coverage" in site["reasons"][0]


def test_polygon_straddling_two_zones_of_one_reserve(frames):
    # x 6800–7300, y 200–600: 200 m in the core (to x=7000), 300 m in the experimental zone
    site = only_site(screen([b(6800, 200, 7300, 600)], frames, "tourism_facility"))
    assert site["verdict"] == "prohibited"
    by_zone = {h["zone"]: h for h in site["hits"]}
    assert set(by_zone) == {"core", "experimental"}
    assert by_zone["core"]["overlap_area_m2"] == pytest.approx(200 * 400, rel=1e-6)
    assert by_zone["experimental"]["overlap_area_m2"] == pytest.approx(300 * 400, rel=1e-6)
    total = sum(h["overlap_area_m2"] for h in site["hits"])
    assert total == pytest.approx(500 * 400, rel=1e-6)  # the whole site lies in the reserve
    assert by_zone["core"]["outcome"] == "prohibited"
    assert by_zone["experimental"]["outcome"] == "conditional"
    assert {"CN-NR-01", "SX-NR-01"} <= set(by_zone["core"]["rule_ids"])


def test_point_exactly_on_a_boundary_vertex(frames):
    corner = Point(X0 + 1000, Y0 + 1000)  # north-east corner of the level-1 zone
    result = screen([corner], frames, "chemical")
    site = only_site(result)
    (hit,) = site["hits"]
    assert hit["inside"] is True  # the boundary belongs to the zone: the strict reading
    assert hit["boundary_distance_m"] == pytest.approx(0, abs=1e-9)
    assert hit["near_boundary"] is True and site["near_boundary"] is True
    assert site["verdict"] == "prohibited"


def test_point_just_outside_within_tolerance_is_flagged(frames):
    pt = Point(X0 + 1005, Y0 + 500)
    # housing: a chemical plant would be prohibited anyway outside a chemical park (CN-IP-01)
    result = screen([pt], frames, "housing", tolerance_m=10)
    site = only_site(result)
    assert site["verdict"] == "allowed" and site["near_boundary"] is True
    assert site["nearby"][0]["distance_m"] == pytest.approx(5, abs=1e-6)


def test_point_inside_reports_distance_to_boundary(frames):
    site = only_site(screen([Point(X0 + 300, Y0 + 450)], frames, "chemical"))
    assert site["hits"][0]["boundary_distance_m"] == pytest.approx(300, abs=1e-6)
    assert site["hits"][0]["near_boundary"] is False


def test_line_crossing_a_zone_counts_two_crossings(frames):
    line = LineString([(X0 - 100, Y0 + 500), (X0 + 1100, Y0 + 500)])
    site = only_site(screen([line], frames, "pipeline"))
    (hit,) = site["hits"]
    assert hit["overlap_length_m"] == pytest.approx(1000, abs=1e-6)
    assert hit["crossings"] == 2
    assert hit["share_of_site"] == pytest.approx(1000 / 1200, abs=1e-4)  # JSON keeps 4 decimals


def test_missing_attribute_gives_needs_info_with_the_question(frames):
    # tourism facilities have no default for discharges_wastewater; level 2 needs it
    site = only_site(screen([b(3100, 100, 3200, 200)], frames, "tourism_facility"))
    assert site["verdict"] == "needs_info"
    assert any("--attr discharges_wastewater" in q for q in site["questions"])
    answered = only_site(
        screen(
            [b(3100, 100, 3200, 200)],
            frames,
            "tourism_facility",
            attrs={"discharges_wastewater": False},
        )
    )
    assert answered["verdict"] == "conditional"


def test_zone_without_rule_for_the_type_is_needs_info(frames):
    pack = {
        "pack": {"id": "narrow", "version": "1"},
        "rules": [
            {
                "id": "N-1",
                "kind": "water_source",
                "zones": ["level1"],
                "project_types": ["coking"],
                "outcome": "prohibited",
                "citation": {"document": "d"},
            }
        ],
    }
    site = only_site(screen([b(100, 100, 200, 200)], frames, "housing", rulepacks=[pack]))
    assert site["verdict"] == "needs_info"
    assert "no rule in the packs covers" in site["reasons"][0]


def test_nearest_zone_for_a_site_that_hits_nothing(frames):
    site = only_site(screen([b(2000, 2000, 2100, 2100)], frames, "housing"))
    assert site["verdict"] == "allowed" and site["hits"] == []
    nearest = {n["layer_kind"]: n for n in site["nearest"]}
    # level-2 zone corner (3000, 1000) to site corner (2100, 2000): beats level 1 (1,414 m)
    assert nearest["water_source"]["feature_id"] == "ws-2"
    assert nearest["water_source"]["distance_m"] == pytest.approx(
        (900**2 + 1000**2) ** 0.5, abs=0.01
    )
    # red line B's south-west corner (1500, 5000) to the site's corner (2000, 2100)
    assert nearest["eco_redline"]["distance_m"] == pytest.approx(
        (500**2 + 2900**2) ** 0.5, abs=0.01
    )


def test_many_sites_one_pass_keep_order_and_ids(frames):
    geoms = [b(100, 100, 200, 200), b(2000, 2000, 2100, 2100), Point(X0 + 6500, Y0 + 500)]
    result = screen_sites(sites(*geoms, ids=["a", "b", "c"]), frames, "housing", coverage=COVERAGE)
    assert result.sites["site_id"].tolist() == ["a", "b", "c"]
    assert result.sites["verdict"].tolist() == ["prohibited", "allowed", "prohibited"]
    ranked = result.compare()
    assert ranked["site_id"].tolist()[0] == "b" and ranked["rank"].tolist() == [1, 2, 3]


def test_invalid_site_geometry_is_repaired_and_reported(frames):
    bowtie = Polygon(
        [(X0 + 100, Y0 + 100), (X0 + 300, Y0 + 300), (X0 + 300, Y0 + 100), (X0 + 100, Y0 + 300)]
    )
    site = only_site(screen([bowtie], frames, "chemical"))
    assert site["repaired"] is True and "Self-intersection" in site["repair"]
    # two triangles of 200 × 100 / 2 each
    assert site["site_area_m2"] == pytest.approx(20_000, rel=1e-6)
    assert site["verdict"] == "prohibited"


def test_bad_inputs(frames):
    no_crs = gpd.GeoDataFrame(geometry=[Point(0, 0)])
    with pytest.raises(CRSError, match="no CRS"):
        screen_sites(no_crs, frames, "road")
    with pytest.raises(EmptyInputError, match="no features"):
        screen_sites(gpd.GeoDataFrame(geometry=[], crs=GK), frames, "road")
    with pytest.raises(UnknownProjectTypeError, match="did you mean"):
        screen_sites(sites(Point(X0, Y0)), frames, "raod")


def test_rule_not_yet_in_force_is_ignored(frames):
    road_in_redline = LineString([(X0 + 100, Y0 + 5500), (X0 + 200, Y0 + 5500)])
    before = only_site(screen([road_in_redline], frames, "housing", as_of="2020-01-01"))
    assert "CN-RL-02" not in {r for h in before["hits"] for r in h["rule_ids"]}
    after = only_site(screen([road_in_redline], frames, "housing", as_of="2024-01-01"))
    assert after["verdict"] == "prohibited"


def test_json_has_the_contract_fields(frames):
    doc = json.loads(to_json(screen([b(100, 100, 200, 200)], frames, "chemical")))
    assert {"project_type", "catalog", "sites"} <= set(doc)
    assert [p["id"] for p in doc["rulepacks"]] == ["national", "shanxi"]
    site = doc["sites"][0]
    assert {"site_id", "geometry_type", "verdict", "hits", "by_layer", "reasons",
            "evidence_required"} <= set(site)  # fmt: skip
    assert {"layer_kind", "zone", "feature_id", "name", "overlap_area_m2", "overlap_length_m",
            "inside", "distance_m", "outcome", "rule_id", "citation"} <= set(site["hits"][0])  # fmt: skip
    assert {"layer_kind", "zone", "overlap_area_m2", "overlap_length_m", "share_of_site"} <= set(
        site["by_layer"][0]
    )


# --------------------------------------------------------------------------- property test
PROP_TYPES = ["chemical", "housing", "road", "solar_pv", "water_supply_facility", "coal_mine"]
PACKS = load_rulepacks()


def _prohibiting_kinds_zones(type_id):
    pt = get_project_type(type_id)
    attrs = resolve_attrs(pt)
    out = set()
    for pack in PACKS:
        for rule in pack.rules:
            if rule.covers_type(pt) and rule.evaluate(attrs)[0] == "prohibited":
                out |= {(rule.kind, z) for z in rule.zones}
    return out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    x=st.floats(-1500, 9000),
    y=st.floats(-1500, 12_000),
    w=st.floats(1, 1500),
    h=st.floats(1, 1500),
    type_id=st.sampled_from(PROP_TYPES),
)
def test_allowed_site_never_intersects_a_zone_prohibiting_its_type(frames, x, y, w, h, type_id):
    geom = b(x, y, x + w, y + h)
    result = screen([geom], frames, type_id)
    if result.sites["verdict"].iloc[0] != "allowed":
        return
    prohibiting = _prohibiting_kinds_zones(type_id)
    for kind, frame in frames.items():
        in_gk = frame.to_crs(GK)
        for zone, g in zip(in_gk["zone"], in_gk.geometry, strict=True):
            if (kind, zone) in prohibiting or (kind, "*") in prohibiting:
                assert not g.intersects(geom), f"allowed {type_id} intersects {kind}/{zone}"


# --------------------------------------------------------------------------- demo catalogue
def test_demo_catalogue_screening(demo_catalog):
    admin = demo_catalog.frame("admin_unit")
    taiyuan = admin[(admin["level"] == "city") & admin["name"].str.contains("太原")]
    centre = taiyuan.to_crs(GK).geometry.iloc[0].representative_point()
    site = gpd.GeoDataFrame(
        {"site_id": ["p1", "far"]},
        geometry=[centre.buffer(300), Point(X0 + 2_000_000, Y0)],
        crs=GK,
    )
    result = screen_sites(site, demo_catalog, "chemical")
    assert result.sites["verdict"].iloc[1] == "needs_info"  # far outside Shanxi
    assert result.sites["covered"].tolist() == [True, False]
    doc = json.loads(to_json(result))
    assert doc["catalog"]["layers"] and doc["sites"][0]["verdict"] in {
        "prohibited", "needs_info", "conditional", "allowed"}  # fmt: skip
    # every by_layer total is at most the site's own area
    for row in doc["sites"][0]["by_layer"]:
        assert row["overlap_area_m2"] <= doc["sites"][0]["site_area_m2"] * (1 + 1e-9)


def test_site_with_non_finite_coordinates_is_refused(frames):
    from zoning.errors import LayerValidationError

    bad = gpd.GeoDataFrame(
        {"site_id": ["nan-site", "ok"]},
        geometry=[Point(float("nan"), 37.9), Point(114.0, 37.9)],
        crs="EPSG:4490",
    )
    with pytest.raises(LayerValidationError, match="nan-site"):
        screen_sites(bad, frames, "road")


def test_missing_layers_per_site_follow_the_jurisdiction_bindings() -> None:
    """Each site lists, in rule order, the absent kinds whose restrictive rules may bind it:
    a rule bound elsewhere (0) does not count, unknown (-1) does, ``allowed`` never does."""
    from types import SimpleNamespace

    from zoning.screening import engine

    def ev(rule_id: str, outcome: str) -> SimpleNamespace:
        return SimpleNamespace(rule=SimpleNamespace(id=rule_id), outcome=outcome)

    evals = {
        "": [ev("area", "forbidden")],  # needs no layer
        "water_source": [ev("ws", "forbidden")],
        "wetland": [ev("wl", "conditional"), ev("wl_ok", "allowed")],
        "forest": [ev("fo", "forbidden")],  # present: never missing
        "spring": [ev("sp_ok", "allowed")],  # only an allowed rule: never needed
    }
    binding = {
        "ws": np.array([1, 0, -1, 0], dtype=np.int8),
        "wl": np.array([0, 0, 1, 1], dtype=np.int8),
    }
    out = engine._missing_layers(evals, ["forest"], binding, 4)
    assert out == [["water_source"], [], ["water_source", "wetland"], ["wetland"]]
    out[0].append("x")  # every site has its own list
    assert out[3] == ["wetland"]
    assert engine._missing_layers(evals, ["forest"], {}, 2) == [["water_source", "wetland"]] * 2
    # more kinds than bits of an int64 (rows of flags instead): the same lists
    many = {f"k{i:02d}": [ev(f"r{i}", "forbidden")] for i in range(70)}
    odd = np.arange(5) % 2  # rule r3 binds sites 1 and 3 only; r64 sites 0, 2, 4
    bind_many = {"r3": odd.astype(np.int8), "r64": (1 - odd).astype(np.int8)}
    got = engine._missing_layers(many, [], bind_many, 5)
    every = [f"k{i:02d}" for i in range(70)]
    assert got[0] == got[2] == got[4] == [k for k in every if k != "k03"]
    assert got[1] == got[3] == [k for k in every if k != "k64"]


def test_row_patterns_are_numpy_unique_rows() -> None:
    """Packed into int64 codes up to 62 columns, rows of flags otherwise: np.unique's answer,
    patterns in the same order; the first column weighs most."""
    from zoning.screening.groups import row_patterns

    pats, which = row_patterns(np.array([[1, 0], [0, 1], [1, 0], [1, 1], [0, 1]], dtype=bool))
    assert pats.tolist() == [[False, True], [True, False], [True, True]]
    assert which.tolist() == [1, 0, 1, 2, 0]
    rng = np.random.default_rng(3)
    for k in (1, 2, 9, 61, 62, 63, 70):
        rows = rng.random((500, k)) < 0.5
        rows[::7, :] = rows[0]  # repeated patterns
        rows[1::9, -1] = True
        got = row_patterns(rows)
        want = np.unique(rows, axis=0, return_inverse=True)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1].reshape(-1))


def test_gk_epsg_of_sites_is_the_per_site_lookup() -> None:
    """Every longitude gets gk_epsg_for_lon's zone (halves round up: 112.5 → CM 114); a bad
    longitude raises the per-site error naming the first bad site."""
    from zoning.crs import gk_epsg_for_lon
    from zoning.screening.site import gk_epsg_of

    lon = np.array([110.2, 112.4999, 112.5, 114.6, 111.0, 110.2, 113.49999999999999])
    assert gk_epsg_of(lon).tolist() == [4546, 4546, 4547, 4547, 4546, 4546, 4547]
    assert gk_epsg_of(lon).tolist() == [gk_epsg_for_lon(x) for x in lon]
    with pytest.raises(CRSError, match=r"longitude 500\.0000"):
        gk_epsg_of(np.array([112.0, 500.0, np.nan]))
    with pytest.raises(CRSError, match="longitude nan is not finite"):
        gk_epsg_of(np.array([112.0, np.nan, 500.0]))


def test_site_ids_from_typed_columns() -> None:
    """Ids are the column's values as text, the row number where missing, and ``#row`` where
    repeated — whatever the column's dtype (object, pyarrow strings, nullable ints, floats)."""
    import pandas as pd

    from zoning.screening.site import prepare_sites

    pts = [Point(112.0 + i / 100, 37.0) for i in range(5)]
    cases = {
        "object": (pd.Series(["a", None, "b", "a", np.nan], dtype=object),
                   ["a#1", "2", "b", "a#4", "5"]),
        "string[pyarrow]": (pd.Series(["a", None, "b", "c", "d"], dtype="string[pyarrow]"),
                            ["a", "2", "b", "c", "d"]),
        "Int64": (pd.Series([7, None, 3, 7, 5], dtype="Int64"), ["7#1", "2", "3", "7#4", "5"]),
        "float": (pd.Series([1.0, np.nan, 3.5, 1e20, -0.0]), ["1.0", "2", "3.5", "1e+20", "-0.0"]),
    }  # fmt: skip
    for dtype, (col, want) in cases.items():
        frame = gpd.GeoDataFrame({"site_id": col}, geometry=pts, crs=4490)
        _, ids = prepare_sites(frame, None)
        assert list(ids) == want, dtype
