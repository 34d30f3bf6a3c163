"""A layer index makes its tree and envelopes on first use; ``warm_layers`` reads them first.

Envelopes worked by hand: square ``i`` spans ``[10 i, 10 i + 5]`` in x and ``[0, 5]`` in y
(metres), or in degrees ``[110 + i, 110.5 + i]`` x ``[-38, 36]``.
"""

from __future__ import annotations

import threading

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box

from zoning.screening import index as ix


def _layer(n: int, crs: str = "EPSG:4547") -> ix._LayerIndex:
    if crs == "EPSG:4490":
        geoms = [box(110 + i, -38, 110.5 + i, 36) for i in range(n)]
    else:
        geoms = [box(10 * i, 0, 10 * i + 5, 5) for i in range(n)]
    return ix._LayerIndex("eco_redline", gpd.GeoDataFrame(geometry=geoms, crs=crs))


def _index(*layers: ix._LayerIndex) -> ix.ScreeningIndex:
    return ix.ScreeningIndex(layers={f"k{i}": layer for i, layer in enumerate(layers)})


def test_warm_layers_reads_the_envelopes_and_leaves_the_tree() -> None:
    a, b = _layer(3), _layer(2)
    assert a.cold and b.cold
    thread = ix.warm_layers(_index(a, b))
    assert thread is not None
    thread.join()
    assert not a.cold and not b.cold
    assert a._tree is None  # the tree is built by its first user, on warm memory
    assert a.bounds.tolist() == [[0, 0, 5, 5], [10, 0, 15, 5], [20, 0, 25, 5]]
    assert b.bounds.tolist() == [[0, 0, 5, 5], [10, 0, 15, 5]]
    assert ix.warm_layers(_index(a, b)) is None  # nothing left to warm: no thread


def test_a_used_layer_is_not_warmed_again() -> None:
    a = _layer(3)
    hits = a.tree.query(box(11, 1, 12, 2))
    assert hits.tolist() == [1]
    assert not a.cold and a._bounds is None
    assert ix.warm_layers(_index(a)) is None


def test_threads_asking_at_once_share_one_tree() -> None:
    a = _layer(500)
    trees: list[object] = []
    threads = [threading.Thread(target=lambda: trees.append(a.tree)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(trees) == 4 and all(t is trees[0] for t in trees)
    assert a.tree.query(box(4990, 0, 4996, 1)).tolist() == [499]


def test_latitude_reach_and_empty_layer() -> None:
    geo = _layer(2, "EPSG:4490")
    assert geo.max_abs_lat == 38.0  # |-38| beats 36
    assert _layer(2).max_abs_lat == 0.0  # projected: not used
    empty = ix._LayerIndex(
        "eco_redline", gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4490"))
    )
    assert empty.bounds.shape == (0, 4) and empty.max_abs_lat == 0.0
    assert len(empty.tree) == 0


def test_envelope_tree_of_a_layer_reads_its_features() -> None:
    a = _layer(3)
    boxes = a.boxes()
    assert a._tree is None  # the envelopes' tree does not build the layer's own
    assert np.array_equal(shapely.bounds(boxes.geometries), a.bounds)
