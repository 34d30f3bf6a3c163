"""The Dask path gives exactly the single-machine numbers (local cluster, threads)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import box

from zoning.crs import ALBERS_CHINA
from zoning.errors import LayerValidationError
from zoning.stats import area_by_unit

X0, Y0 = 650_000.0, 4_250_000.0


def layer(seed: int, n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    geoms = []
    for _ in range(n):
        cx, cy = X0 + rng.uniform(0, 30_000), Y0 + rng.uniform(0, 20_000)
        k = int(rng.integers(6, 40))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = rng.uniform(200, 2_000) * (0.5 + 0.5 * rng.random(k))
        geoms.append(shapely.Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)]))
    return gpd.GeoDataFrame(
        {"zone": rng.choice(["core", "general"], n)}, geometry=geoms, crs=ALBERS_CHINA
    )


@pytest.fixture(scope="module")
def client():
    from zoning.stats.cluster import dask_client

    with dask_client(n_local_workers=2, processes=False) as c:
        yield c


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    cells = [
        box(X0 + i * 10_000, Y0 + j * 10_000, X0 + (i + 1) * 10_000, Y0 + (j + 1) * 10_000)
        for i in range(3)
        for j in range(2)
    ]
    return gpd.GeoDataFrame(
        {"adcode": [f"{k}" for k in range(6)]}, geometry=cells, crs=ALBERS_CHINA
    )


def test_dask_equals_single_machine_exactly(client, units):
    from zoning.stats.cluster import area_by_unit_dask

    layers = {"eco_redline": layer(1, 200), "subsidence": layer(2, 60).to_crs("EPSG:4490")}
    local = area_by_unit(units, layers)
    for n in (1, 3, 7):
        dist = area_by_unit_dask(units, layers, client=client, npartitions=n)
        pd.testing.assert_frame_equal(local, dist, check_exact=True)


def test_partitions_cover_every_piece_once():
    from zoning.stats.cluster import partition_pieces
    from zoning.stats.dissolve import dissolve_layers

    pieces, _ = dissolve_layers({"eco_redline": layer(3, 120)})
    parts = partition_pieces(pieces, 5)
    assert 1 <= len(parts) <= 5
    allp = np.concatenate(parts)
    assert sorted(allp.tolist()) == list(range(len(pieces)))


def test_dask_path_validates_units(client, units):
    from zoning.stats.cluster import area_by_unit_dask

    dup = units.assign(adcode="x")
    with pytest.raises(LayerValidationError, match="more than once"):
        area_by_unit_dask(dup, {"eco_redline": layer(4, 5)}, client=client)


def test_partitions_follow_space_and_balance_the_work():
    """Two far-apart clusters of equal squares split into two partitions, one per cluster."""
    from zoning.stats.cluster import partition_pieces
    from zoning.stats.dissolve import dissolve_layers

    west = [shapely.box(x, y, x + 100, y + 100) for x in range(0, 2000, 200) for y in (0, 400)]
    east = [
        shapely.box(x, y, x + 100, y + 100) for x in range(900_000, 902_000, 200) for y in (0, 400)
    ]
    gdf = gpd.GeoDataFrame(geometry=east + west, crs=ALBERS_CHINA)
    pieces, _ = dissolve_layers({"eco_redline": gdf})
    parts = partition_pieces(pieces, 2)
    assert [len(p) for p in parts] == [20, 20]
    xs = [{pieces.bounds()[i, 0] < 500_000 for i in p} for p in parts]
    assert sorted(map(sorted, xs)) == [[False], [True]]


def test_n_workers_is_a_deprecated_name_of_n_local_workers():
    from zoning.stats.cluster import dask_client

    with pytest.warns(DeprecationWarning, match="n_local_workers"):
        with dask_client(n_workers=1, processes=False) as c:
            assert len(c.nthreads()) == 1
