"""``zoning serve`` screening in worker processes (``ServeConfig.worker_processes``).

The workers are forked after the warm-up; the API must answer exactly what it answers with
threads (which ``tests/test_serve.py`` compares with ``zoning screen --json``), the downloads
re-make the result in the server's process, errors raised in a worker keep their status and
message, a killed worker is replaced, and no worker outlives the app.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from zoning.serve import ServeConfig, create_app
from zoning.serve.processes import can_fork
from zoning.serve.responses import ApiError
from zoning.serve.screen_job import with_id

pytestmark = pytest.mark.skipif(
    not can_fork() or not Path("/proc/self/task").is_dir(),
    reason="worker processes need fork (POSIX); their count is read from /proc (Linux)",
)

DEMO_SITES = Path(__file__).resolve().parent.parent / "scenarios" / "demo_sites.geojson"
S1 = json.loads(DEMO_SITES.read_text(encoding="utf-8"))["features"][0]
POINT = {"type": "Point", "coordinates": [112.55, 37.87]}


@pytest.fixture(scope="module")
def threads(demo_catalog, tmp_path_factory: pytest.TempPathFactory):
    config = ServeConfig(tmp_root=tmp_path_factory.mktemp("threads"))
    with TestClient(create_app(config, catalog=demo_catalog)) as c:
        yield c


@pytest.fixture(scope="module")
def procs(demo_catalog, tmp_path_factory: pytest.TempPathFactory):
    config = ServeConfig(worker_processes=True, tmp_root=tmp_path_factory.mktemp("procs"))
    with TestClient(create_app(config, catalog=demo_catalog), raise_server_exceptions=False) as c:
        yield c


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children() -> set[int]:
    """The live child processes of this one (Linux /proc)."""
    pids: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            pids.update(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return {p for p in pids if _alive(p)}


def _upload(client: TestClient, **fields: str):
    fields.setdefault("project_type", "solar_pv")
    files = {"file": ("demo_sites.geojson", DEMO_SITES.read_bytes())}
    return client.post("/api/screen", files=files, data=fields)


def _body_without_id(text: str) -> str:
    doc = json.loads(text)
    key = doc["id"]
    assert text.endswith(f', "id": "{key}"}}')
    return text[: -len(f', "id": "{key}"}}')] + "}"


def test_with_id_is_the_text_of_the_document_with_its_id() -> None:
    doc = {"project_type": "solar_pv", "sites": [{"verdict_zh": "禁止", "x": 1.5, "n": None}]}
    key = "a-B_9"
    assert with_id(json.dumps(doc, ensure_ascii=False), key) == json.dumps(
        {**doc, "id": key}, ensure_ascii=False
    )
    with pytest.raises(ValueError):
        with_id("{}", key)


def test_api_error_crosses_a_process_boundary_whole() -> None:
    err = ApiError(503, "busy", "full; fix: retry", headers={"Retry-After": "2"})
    back = pickle.loads(pickle.dumps(err))
    assert (back.status, back.code, back.message, back.headers) == (
        503,
        "busy",
        "full; fix: retry",
        {"Retry-After": "2"},
    )


def test_workers_are_processes_forked_once(procs: TestClient) -> None:
    pool = procs.app.state.zoning.screeners
    assert pool is not None and pool.workers == 2
    assert len(_children()) == 2


def test_answers_are_the_bytes_the_threads_answer(procs: TestClient, threads: TestClient) -> None:
    for site in (S1, POINT):
        body = {"project_type": "solar_pv", "site": site}
        a, b = procs.post("/api/screen", json=body), threads.post("/api/screen", json=body)
        assert a.status_code == b.status_code == 200, a.text
        assert _body_without_id(a.text) == _body_without_id(b.text)
        assert a.headers["server-timing"].startswith("screen;dur=")
    a = _upload(procs, compare="1")
    b = _upload(threads, compare="1")
    assert a.status_code == 200, a.text
    assert _body_without_id(a.text) == _body_without_id(b.text)
    # S1 lies inside the demo red line: solar PV is prohibited there
    assert a.json()["sites"][0]["verdict"] == "prohibited" and len(a.json()["ranking"]) == 4


def test_downloads_remake_the_same_result(procs: TestClient, threads: TestClient) -> None:
    a, b = _upload(procs, compare="1").json(), _upload(threads, compare="1").json()
    for name in ("result.json", "summary.csv", "ranking.csv", "features.geojson"):
        got = procs.get(f"/api/screen/{a['id']}/{name}")
        want = threads.get(f"/api/screen/{b['id']}/{name}")
        assert got.status_code == 200, (name, got.text[:300])
        assert got.content == want.content, name
    doc = dict(a)
    doc.pop("id")
    assert json.loads(procs.get(f"/api/screen/{a['id']}/result.json").text) == doc
    report = procs.get(f"/api/screen/{a['id']}/report.html")
    assert report.status_code == 200 and "禁止 / Prohibited" in report.text


def test_errors_in_a_worker_keep_status_and_message(procs: TestClient, threads: TestClient) -> None:
    empty = {"project_type": "solar_pv", "site": {"type": "FeatureCollection", "features": []}}
    for body in (empty,):
        a, b = procs.post("/api/screen", json=body), threads.post("/api/screen", json=body)
        assert a.status_code == b.status_code == 400
        assert a.json() == b.json() and a.json()["error"]["code"] == "empty_input"
    files = {"file": ("x.gpkg", b"garbage")}
    a = procs.post("/api/screen", files=files, data={"project_type": "solar_pv"})
    b = threads.post("/api/screen", files=files, data={"project_type": "solar_pv"})
    assert a.status_code == b.status_code == 400 and a.json() == b.json()
    assert "x.gpkg" in a.json()["error"]["message"] and "zoning-serve-" not in a.text


def test_a_killed_worker_is_replaced(procs: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    before = _children()
    killed = next(iter(before))
    os.kill(killed, signal.SIGKILL)
    time.sleep(0.5)
    statuses = []
    for _ in range(4):
        r = procs.post("/api/screen", json={"project_type": "solar_pv", "site": POINT})
        statuses.append(r.status_code)
        if r.status_code == 503:
            assert r.headers["retry-after"] == "2" and r.json()["error"]["code"] == "busy"
    # the request that found the pool broken may be refused (503); the next ones are served
    assert statuses[-1] == 200 and set(statuses) <= {200, 503}, statuses
    after = _children()
    assert len(after) == 2 and not after & before
    # the log says how the worker ended: killed by signal 9
    assert f"{killed}: -9" in caplog.text, caplog.text


def test_no_worker_outlives_the_app(demo_catalog, tmp_path: Path) -> None:
    config = ServeConfig(worker_processes=True, warm_up=False, workers=1, tmp_root=tmp_path)
    before = _children()
    with TestClient(create_app(config, catalog=demo_catalog)) as c:
        mine = _children() - before
        assert len(mine) == 1
        assert c.post("/api/screen", json={"project_type": "solar_pv", "site": POINT}).is_success
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in mine) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in mine) and not list(tmp_path.iterdir())


def test_a_worker_raises_a_fresh_error_that_pickles_with_tblib_installed(
    demo_catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Importing distributed installs tblib's pickling of exceptions with their context chain.

    A worker's ApiError raised while handling pyogrio's CPLE_OpenFailedError carried it along;
    the server could not unpickle it (``args`` has no setter), and the broken pool answered 503
    for a 400. The worker now raises a fresh error with no context.
    """
    import distributed.utils  # noqa: F401 - installs tblib.pickling_support, as any Dask use does

    from zoning.serve import processes
    from zoning.serve.archives import ArchiveLimits
    from zoning.serve.screen_job import ScreenJob

    garbage = tmp_path / "upload.gpkg"
    garbage.write_bytes(b"garbage")
    monkeypatch.setattr(processes, "_WORKER_STATE", [(demo_catalog, ArchiveLimits())])
    with pytest.raises(ApiError) as info:
        processes.screen_in_worker(ScreenJob(garbage, "x.gpkg", "solar_pv"))
    err = info.value
    assert err.status == 400 and err.__context__ is None and err.__cause__ is None
    back = pickle.loads(pickle.dumps(err))
    assert (back.status, back.code, back.message) == (err.status, err.code, err.message)
