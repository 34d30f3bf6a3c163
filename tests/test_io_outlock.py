"""One writer per output folder (``zoning.io.outlock``): two contenders, one wins."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from zoning.errors import OutputBusyError
from zoning.io.outlock import lock_path, output_lock

# A second process that takes the lock of OUT, says so by creating READY, and holds it.
HOLDER = textwrap.dedent(
    """
    import pathlib, sys, time
    from zoning.io.outlock import output_lock
    out, ready = sys.argv[1:3]
    with output_lock(out):
        pathlib.Path(ready).touch()
        time.sleep(60)
    """
)


def _holder(tmp_path: Path, out: Path) -> subprocess.Popen:
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(out), str(ready)])
    t0 = time.monotonic()
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() - t0 > 60:
            proc.kill()
            raise AssertionError("the holder process did not take the lock")
        time.sleep(0.05)
    return proc


def test_lock_file_is_a_hidden_sibling(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "out") == tmp_path / ".out.lock"


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_a_second_process_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _holder(tmp_path, out)
    try:
        with pytest.raises(OutputBusyError) as err:
            with output_lock(out):
                pass
        text = str(err.value)
        assert f"process {proc.pid}" in text and str(out) in text
        assert "choose another --out" in text
        assert lock_path(out).exists()  # the holder's lock is left alone
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    # the OS dropped the killed holder's lock: the folder can be claimed again at once
    with output_lock(out) as path:
        assert path.read_text(encoding="ascii") == str(os.getpid())
    assert not lock_path(out).exists()


def test_two_threads_one_wins_the_other_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    taken = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def winner() -> None:
        with output_lock(out):
            taken.set()
            release.wait(30)

    t = threading.Thread(target=winner)
    t.start()
    try:
        assert taken.wait(30)
        try:
            with output_lock(out):  # a second, non-reentrant claim: refused like any holder's
                pass
        except OutputBusyError as exc:
            errors.append(exc)
    finally:
        release.set()
        t.join(30)
    assert len(errors) == 1 and f"process {os.getpid()}" in str(errors[0])
    assert not lock_path(out).exists()


def test_reentrant_claim_nests_and_releases_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_lock(out) as path:
        with output_lock(out, reentrant=True) as again:
            assert again == path
        assert path.exists()  # the inner block does not release the outer claim
    assert not path.exists()
    with output_lock(out):  # free again
        pass
