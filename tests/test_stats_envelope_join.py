"""The grid join of envelopes returns exactly the pairs of an STRtree self-query."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from zoning.stats.envelope_join import MAX_CELLS_PER_ENVELOPE, envelope_pairs


def _tree_set(geoms: np.ndarray) -> set[tuple[int, int]]:
    left, right = shapely.STRtree(geoms).query(geoms)
    return {(int(a), int(b)) for a, b in zip(left, right, strict=True) if a < b}


def _grid_set(bounds: np.ndarray, geoms: np.ndarray | None = None) -> set[tuple[int, int]]:
    left, right = envelope_pairs(bounds, geoms)
    pairs = list(zip(left.tolist(), right.tolist(), strict=True))
    assert len(pairs) == len(set(pairs)), "a pair reported twice"
    assert all(a < b for a, b in pairs)
    return set(pairs)


def test_hand_worked_pairs_touching_included():
    # 0 and 1 share an edge, 1 and 2 a corner, 3 lies apart, 4 is a segment (zero width)
    # crossing 0; 5 is empty and pairs with nothing
    geoms = np.array(
        [
            shapely.box(0, 0, 10, 10),
            shapely.box(10, 0, 20, 10),
            shapely.box(20, 10, 30, 20),
            shapely.box(40, 40, 41, 41),
            shapely.LineString([(5, -5), (5, 5)]),
            shapely.Polygon(),
        ],
        dtype=object,
    )
    expected = {(0, 1), (1, 2), (0, 4)}
    assert _grid_set(shapely.bounds(geoms)) == expected
    assert _tree_set(geoms) == expected


@pytest.mark.parametrize("seed", range(6))
def test_random_envelopes_equal_the_tree(seed):
    # sizes spread over three orders of magnitude, coordinates snapped to a lattice so that
    # many envelopes touch exactly along edges and corners
    rng = np.random.default_rng(seed)
    n = 3000
    x = np.round(rng.uniform(0, 5000, n) / 5) * 5
    y = np.round(rng.uniform(0, 5000, n) / 5) * 5
    w = np.round(np.exp(rng.uniform(np.log(5), np.log(400), n)) / 5) * 5
    h = np.round(np.exp(rng.uniform(np.log(5), np.log(400), n)) / 5) * 5
    geoms = shapely.box(x, y, x + w, y + h)
    geoms[rng.choice(n, 20, replace=False)] = shapely.Polygon()  # empties pair with nothing
    bounds = shapely.bounds(geoms)
    expected = _tree_set(geoms)
    assert any(bounds[a, 2] == bounds[b, 0] for a, b in expected)  # the test sees touching
    assert _grid_set(bounds, geoms) == expected
    assert _grid_set(bounds) == expected  # the grid itself, never the tree


def test_tiling_of_shared_edges_pairs_each_neighbour_once():
    # a 30 x 30 tiling of unit squares: every square meets its 8 neighbours' envelopes
    i, j = np.meshgrid(np.arange(30.0), np.arange(30.0))
    geoms = shapely.box(i.ravel(), j.ravel(), i.ravel() + 1, j.ravel() + 1)
    pairs = _grid_set(shapely.bounds(geoms))
    # horizontal and vertical neighbours 2 * 30 * 29, diagonal ones 2 * 29 * 29
    assert len(pairs) == 2 * 30 * 29 + 2 * 29 * 29
    assert pairs == _tree_set(geoms)


def test_a_few_huge_features_use_the_tree_and_agree(monkeypatch):
    from zoning.stats import envelope_join

    calls = []
    tree_pairs = envelope_join._tree_pairs
    monkeypatch.setattr(
        envelope_join, "_tree_pairs", lambda g: calls.append(len(g)) or tree_pairs(g)
    )
    rng = np.random.default_rng(7)
    x, y = rng.uniform(0, 1e5, (2, 2000))
    small = shapely.box(x, y, x + 10, y + 10)
    huge = shapely.box([0, 5e4], [0, 0], [1e5, 6e4], [1e5, 1e5])
    geoms = np.concatenate([small, huge])
    bounds = shapely.bounds(geoms)
    # each huge envelope covers ~ (1e5 / 20)^2 cells: far beyond the bound, so the tree answers
    assert (1e5 / 20) ** 2 > MAX_CELLS_PER_ENVELOPE * len(geoms)
    assert _grid_set(bounds, geoms) == _tree_set(geoms)
    assert calls == [len(geoms)]  # the tree answered, not a grid of 25 M cells
    # the small features alone stay on the grid
    assert _grid_set(shapely.bounds(small), small) == _tree_set(small)
    assert calls == [len(geoms)]


def test_points_and_single_features():
    pts = shapely.points([[0, 0], [0, 0], [1, 1], [2, 2]])
    assert _grid_set(shapely.bounds(pts)) == {(0, 1)}
    assert _grid_set(shapely.bounds(pts[:1])) == set()
    assert _grid_set(np.empty((0, 4))) == set()
