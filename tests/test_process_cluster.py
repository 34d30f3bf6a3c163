"""zoning.process_cluster: separate scheduler and worker processes, always stopped."""

from __future__ import annotations

import os

import pytest


def test_processes_are_separate_and_stopped_even_on_error():
    from distributed import Client

    from zoning.process_cluster import process_cluster

    with pytest.raises(ValueError, match="boom"):
        with process_cluster(1, timeout=90) as pc:
            procs = [pc.scheduler, *pc.workers]
            assert pc.address.startswith("tcp://127.0.0.1:")
            with Client(pc.address, timeout=60) as client:
                pids = set(client.run(os.getpid).values())
            assert pids == {pc.workers[0].pid} and os.getpid() not in pids
            assert all(p.poll() is None for p in procs)
            raise ValueError("boom")
    assert all(p.poll() is not None for p in procs)  # all stopped by the context manager
