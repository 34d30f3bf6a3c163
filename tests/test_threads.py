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
