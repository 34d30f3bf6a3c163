"""The Dask path on a REAL multi-process cluster gives the local numbers, bit for bit (issue 17).

A ``dask scheduler`` and two ``dask worker`` processes are started on 127.0.0.1 by the module
fixture (:func:`zoning.process_cluster.process_cluster`) and stopped by its finalizer, even when a
test fails. The case is a small synthetic nation (:mod:`zoning.datasets.nation`): 40 counties,
~2,000 red-line patches and control units cut along the county lines. The numbers are checked
three ways: the cluster against the local path (float64 bytes, and ``stats.csv`` bytes of
``zoning stats`` as whole processes), and both against independent shapely / geopandas sums.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from zoning.datasets.nation import nation, write_nation
from zoning.stats import area_by_unit, area_by_unit_dask

N_COUNTIES, N_FEATURES = 40, 2000


@pytest.fixture(scope="module")
def cluster():
    """A scheduler and two worker processes on 127.0.0.1, always stopped afterwards."""
    from zoning.process_cluster import process_cluster

    with process_cluster(2, timeout=90) as pc:
        yield pc
    for p in [pc.scheduler, *pc.workers]:  # the finalizer stopped every process
        assert p.poll() is not None


@pytest.fixture(scope="module")
def client(cluster):
    from distributed import Client

    with Client(cluster.address, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def small_nation():
    return nation(N_FEATURES, n_counties=N_COUNTIES)


@pytest.fixture(scope="module")
def local_table(small_nation):
    units, layers = small_nation
    return area_by_unit(units, layers)


def test_cluster_is_separate_processes(cluster, client):
    pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids
    assert pids == {w.pid for w in cluster.workers}


def test_cluster_numbers_bitwise_identical_to_local(client, small_nation, local_table):
    units, layers = small_nation
    remote = area_by_unit_dask(units, layers, client=client)
    pd.testing.assert_frame_equal(remote, local_table, check_exact=True)
    for col in ("area_km2", "unit_area_km2", "share_pct"):
        assert remote[col].to_numpy(np.float64).tobytes() == (
            local_table[col].to_numpy(np.float64).tobytes()
        ), col
    # more partitions than pieces per worker: still the same bits
    again = area_by_unit_dask(units, layers, client=client, npartitions=31)
    pd.testing.assert_frame_equal(again, local_table, check_exact=True)


def test_numbers_agree_with_an_independent_overlay(small_nation, local_table):
    units, layers = small_nation
    t = local_table.assign(unit_id=local_table.unit_id.astype(str))
    county_km2 = pd.Series(shapely.area(units.geometry.values) / 1e6, index=units.adcode)
    # every county's area, and their total, against shapely
    unit_area = t.groupby("unit_id").unit_area_km2.first()
    np.testing.assert_allclose(unit_area[county_km2.index], county_km2, rtol=1e-9, atol=0)
    assert abs(unit_area.sum() - county_km2.sum()) <= 1e-9 * county_km2.sum()
    # control units tile every county: their area is the county's
    ctl = t[(t.layer_kind == "control_unit") & (t.zone == "all")].set_index("unit_id").area_km2
    np.testing.assert_allclose(ctl[county_km2.index], county_km2, rtol=1e-9, atol=0)
    # red line per county (overlapping patches counted once) against overlay + dissolve
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ov = gpd.overlay(units[["adcode", "geometry"]], layers["eco_redline"][["geometry"]])
    expected = ov.dissolve(by="adcode").area / 1e6
    got = t[(t.layer_kind == "eco_redline") & (t.zone == "all")].set_index("unit_id").area_km2
    got = got[got > 0]
    assert sorted(got.index) == sorted(expected.index)
    np.testing.assert_allclose(got[expected.index], expected, rtol=1e-9, atol=0)


def _zoning_stats(args: list[str], env: dict[str, str]) -> None:
    exe = Path(sys.executable).parent / "zoning"
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "zoning"]
    proc = subprocess.run(
        [*cmd, "stats", *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_cli_against_the_cluster_writes_the_same_bytes(cluster, small_nation, tmp_path):
    catalog, counties = write_nation(tmp_path / "nation", *small_nation)
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    common = ["--catalog", str(catalog), "--units", str(counties), "--unit-field", "adcode"]
    _zoning_stats([*common, "--out", str(tmp_path / "local")], env)
    _zoning_stats([*common, "--out", str(tmp_path / "dask"), "--scheduler", cluster.address], env)
    local = (tmp_path / "local" / "stats.csv").read_bytes()
    assert (tmp_path / "dask" / "stats.csv").read_bytes() == local
    table = pd.read_csv(tmp_path / "local" / "stats.csv", dtype={"unit_id": str})
    assert table.unit_id.nunique() == N_COUNTIES
    assert set(table.layer_kind) == {"eco_redline", "control_unit"}
