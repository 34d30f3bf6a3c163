"""The one thread policy of zoning (``zoning.threads``)."""

import zoning.threads as threads


def test_default_threads_discount_this_process_own_load(monkeypatch):
    """After this process kept two cores busy, a load average of 2 is its own: two threads;
    with no history, the same load average means other work: one thread.
    """
    import zoning.threads as scr

    monkeypatch.setattr(scr.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(scr.os, "getloadavg", lambda: (2.0, 2.0, 2.0))
    clock = {"wall": 100.0, "cpu": 50.0}
    monkeypatch.setattr("time.monotonic", lambda: clock["wall"])
    monkeypatch.setattr("time.process_time", lambda: clock["cpu"])
    scr._LAST_SAMPLE.clear()
    assert scr.free_cpus() == 1  # no history: the load is someone else's
    clock["wall"] += 10.0
    clock["cpu"] += 19.0  # 1.9 CPUs busy in this process for the last 10 s
    assert scr.free_cpus() == 2
    clock["wall"] += 10.0
    clock["cpu"] += 0.5  # idle since: the load of 2 is other work again
    assert scr.free_cpus() == 1
    scr._LAST_SAMPLE.clear()


def test_n_jobs_given_is_used_and_at_least_one():
    assert threads.resolve_n_jobs(3) == 3
    assert threads.resolve_n_jobs(0) == 1
    assert threads.resolve_n_jobs(-2) == 1


def test_background_runs_on_its_own_thread_and_wait_hands_back_its_error():
    import threading

    started = threading.Event()
    release = threading.Event()
    seen = []

    def task():
        seen.append(threading.current_thread().name)
        started.set()
        release.wait(10)
        raise KeyError("boom")

    job = threads.Background(task, "zoning-test")
    assert started.wait(10)  # running already, while this thread goes on
    assert seen == ["zoning-test"] and threading.current_thread().name != "zoning-test"
    release.set()
    try:
        job.wait()
    except KeyError as exc:
        assert exc.args == ("boom",)
    else:  # pragma: no cover - the failure this test exists for
        raise AssertionError("wait() did not raise the task's error")
    job.wait()  # handed over once: a second wait does not raise it again


def test_background_wait_without_raising_still_joins():
    import time

    done = []
    job = threads.Background(lambda: (time.sleep(0.05), done.append(1), 1 / 0), "zoning-test")
    job.wait(raise_error=False)
    assert done == [1]
