"""Faults: killed runs, unwritable or full disks, two runs on one folder (issue 7).

* a batch run killed (SIGKILL) half-way leaves no output folder, and ``--resume`` finishes it
  with the same files as an uninterrupted run; a plain rerun starts over cleanly;
* an output folder that cannot be created, a permission error or a full disk fail with a clear
  message and exit code 1: no traceback, nothing half-written, an existing output untouched;
* two runs writing to the same folder do not corrupt each other.

Processes that must die or overlap are real subprocesses running ``zoning.cli.main:cli``; a
small wrapper slows one step down (``time.sleep``) so the kill or the overlap happens at a known
point, and signals that point by creating a file.
"""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
if "make_bad_corpus" not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        "make_bad_corpus", ROOT / "tests" / "data" / "make_bad_corpus.py"
    )
    _mod = importlib.util.module_from_spec(_spec)
    sys.modules["make_bad_corpus"] = _mod
    _spec.loader.exec_module(_mod)
corpus = sys.modules["make_bad_corpus"]

# Run the CLI in a subprocess, with one function slowed down: before calling it the process
# creates the file SIGNAL and sleeps DELAY seconds.
WRAPPER = textwrap.dedent(
    """
    import importlib, pathlib, sys, time
    module, attr, signal_file, delay = sys.argv[1:5]
    mod = importlib.import_module(module)
    real = getattr(mod, attr)
    def slow(*a, **k):
        pathlib.Path(signal_file).touch()
        time.sleep(float(delay))
        return real(*a, **k)
    setattr(mod, attr, slow)
    from zoning.cli.main import cli
    cli(sys.argv[5:], prog_name="zoning")
    """
)


def _spawn(tmp: Path, slow: str, delay: float, args: list[str], tag: str) -> tuple:
    module, attr = slow.split(":")
    flag = tmp / f"{tag}.reached"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    err = open(tmp / f"{tag}.stderr", "w+b")  # closed by the caller
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, module, attr, str(flag), str(delay), *args],
        stdout=subprocess.DEVNULL,
        stderr=err,
        env=env,
        cwd=tmp,
    )
    return proc, flag, err


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    t0 = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"process ended (exit {proc.returncode}) before {path.name}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise AssertionError(f"{path.name} not reached in {timeout} s")
        time.sleep(0.05)


def _invoke(args: list[str]):
    from zoning.cli.main import cli

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CliRunner().invoke(cli, args)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _manifest_without_created(data: bytes, *, logs: bool = True) -> dict:
    doc = json.loads(data)
    doc.pop("created")
    if not logs:
        doc["outputs"].pop("run.log", None)
    return doc


def _assert_same_run(a: dict[str, bytes], b: dict[str, bytes], *, logs: bool = True) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        if name == "manifest.json":
            assert _manifest_without_created(a[name], logs=logs) == _manifest_without_created(
                b[name], logs=logs
            )
        elif name == "run.log" and not logs:
            continue
        else:
            assert a[name] == b[name], f"{name} differs"


def _assert_consistent(folder: Path) -> None:
    """Every output listed in the manifest is there with the checksum the manifest gives."""
    import hashlib

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]
    for name, info in manifest["outputs"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == info["sha256"], name


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    return corpus.write_scenario(tmp_path_factory.mktemp("faults"))


@pytest.fixture(scope="module")
def reference(scenario: Path) -> dict[str, bytes]:
    """An uninterrupted run."""
    out = scenario.parent / "reference"
    result = _invoke(["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    return _files(out)


# ---------------------------------------------------------------------------------------------
# Kill and resume
# ---------------------------------------------------------------------------------------------


def _killed_run(scenario: Path, out: Path, tmp: Path) -> None:
    """Start a run, let the statistics checkpoint be written, SIGKILL it in the next step."""
    proc, flag, err = _spawn(
        tmp, "zoning.stats:overlap_table", 120, ["run", str(scenario), "--out", str(out)], "k"
    )
    try:
        _wait_for(flag, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        err.close()
    assert proc.returncode == -signal.SIGKILL


def test_killed_run_leaves_no_output_and_resumes_to_the_same_files(
    scenario: Path, reference: dict[str, bytes], tmp_path: Path
) -> None:
    from zoning.run import staging_dir

    out = tmp_path / "out"
    _killed_run(scenario, out, tmp_path)
    assert not out.exists(), "a killed run left a (partial) output folder"
    steps = list((staging_dir(out) / ".steps").glob("stats.*"))
    assert steps, "no statistics checkpoint to resume from"

    result = _invoke(["run", str(scenario), "--out", str(out), "--resume"])
    assert result.exit_code == 0, result.stderr
    assert not staging_dir(out).exists()
    # the log of a resumed run tells the story of both attempts; every product is identical
    _assert_same_run(reference, _files(out), logs=False)
    assert "resumed from checkpoint" in (out / "run.log").read_text(encoding="utf-8")
    _assert_consistent(out)


def test_rerun_after_a_kill_without_resume_starts_over(
    scenario: Path, reference: dict[str, bytes], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _killed_run(scenario, out, tmp_path)
    result = _invoke(["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    _assert_same_run(reference, _files(out))
    assert _leftovers(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# Unwritable output, full disk
# ---------------------------------------------------------------------------------------------


def _assert_clean_failure(result, *fragments: str) -> None:
    text = f"{result.stdout}\n{result.stderr}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == 1, text
    assert "Traceback" not in text
    for f in fragments:
        assert f.lower() in text.lower(), f"{f!r} not in {text!r}"


def test_output_folder_under_a_file_fails_cleanly(scenario: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not a folder.txt"
    blocker.write_text("x", encoding="utf-8")
    result = _invoke(["run", str(scenario), "--out", str(blocker / "out")])
    _assert_clean_failure(result, "not a folder.txt")
    assert blocker.read_text(encoding="utf-8") == "x"


@pytest.fixture
def deny(monkeypatch):
    """Make writes under a folder fail with ``err`` (root ignores chmod, so simulate)."""

    def install(folder: Path, err: int) -> None:
        real_open = open
        real_mkdir = Path.mkdir

        def fail(path: object) -> None:
            if str(path).startswith(str(folder)):
                raise OSError(err, os.strerror(err), str(path))

        def guarded_open(file, mode="r", *a, **k):
            if any(c in mode for c in "wax+"):
                fail(file)
            return real_open(file, mode, *a, **k)

        def guarded_mkdir(self, *a, **k):
            fail(self)
            return real_mkdir(self, *a, **k)

        monkeypatch.setattr("builtins.open", guarded_open)
        monkeypatch.setattr(Path, "mkdir", guarded_mkdir)

    return install


def test_permission_denied_output_folder_fails_cleanly(scenario, tmp_path, deny) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    deny(locked, errno.EACCES)
    result = _invoke(["run", str(scenario), "--out", str(locked / "out")])
    _assert_clean_failure(result, "permission denied")
    assert list(locked.iterdir()) == []


def test_full_disk_during_a_run_fails_cleanly_and_keeps_the_old_output(
    scenario: Path, reference: dict[str, bytes], tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name, data in reference.items():
        (out / name).write_bytes(data)
    real_write_bytes = Path.write_bytes

    def full(self, *a, **k):  # the disk fills up when the run writes its tables
        if self.suffix == ".csv":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_write_bytes(self, *a, **k)

    monkeypatch.setattr(Path, "write_bytes", full)
    result = _invoke(["run", str(scenario), "--out", str(out), "--overwrite"])
    _assert_clean_failure(result, "no space left")
    assert _files(out) == reference, "the existing output was touched"
    assert _leftovers(tmp_path) == []


def test_full_disk_during_screening_output_fails_cleanly(tmp_path: Path, monkeypatch) -> None:
    cat = corpus._catalog(tmp_path / "catalog")
    site = corpus._site_geojson(tmp_path / "s.geojson", [corpus._poly(corpus.REDLINE)])
    real_write_text = Path.write_text

    def full(self, *a, **k):
        if self.name == "report.html":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_write_text(self, *a, **k)

    monkeypatch.setattr(Path, "write_text", full)
    out = tmp_path / "out"
    result = _invoke(["screen", str(site), "-t", "road", "--catalog", str(cat), "--out", str(out)])
    _assert_clean_failure(result, "no space left")
    assert not out.exists()
    assert _leftovers(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# Two runs, one folder
# ---------------------------------------------------------------------------------------------


def test_two_runs_into_one_folder_do_not_corrupt_each_other(
    scenario: Path, reference: dict[str, bytes], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["run", str(scenario), "--out", str(out)]
    a, flag_a, err_a = _spawn(tmp_path, "zoning.stats:area_by_unit", 3, args, "a")
    try:
        _wait_for(flag_a, a)  # A is inside its run, with its staging folder in place
        b, _flag_b, err_b = _spawn(tmp_path, "zoning.stats:area_by_unit", 0.5, args, "b")
        try:
            a.wait(timeout=120)
            b.wait(timeout=120)
            err_a.seek(0)
            err_b.seek(0)
            texts = [
                err_a.read().decode("utf-8", "replace"),
                err_b.read().decode("utf-8", "replace"),
            ]
        finally:
            err_b.close()
    finally:
        err_a.close()
    codes = [a.returncode, b.returncode]
    assert 0 in codes, texts
    for code, text in zip(codes, texts, strict=True):
        assert code in (0, 1), text
        assert "Traceback" not in text, text
        if code == 1:  # a clear refusal: the folder is busy, or was finished meanwhile
            refusal = ("another run", "in use", "lock", "busy", "already exists", "exists;")
            assert any(r in text.lower() for r in refusal), text
    _assert_same_run(reference, _files(out))
    _assert_consistent(out)
    assert _leftovers(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# Issue 12: races on --out, signals, stale temporaries, console encodings, broken caches
# ---------------------------------------------------------------------------------------------


def _screen_args(tmp: Path, out: Path, *more: str) -> list[str]:
    cat = corpus._catalog(tmp / "catalog")
    site = corpus._site_geojson(tmp / "site.geojson", [corpus._poly(corpus.REDLINE)])
    return ["screen", str(site), "-t", "chemical", "--catalog", str(cat), "--out", str(out), *more]


def _finish(proc: subprocess.Popen, err, timeout: float = 120) -> str:
    try:
        proc.wait(timeout=timeout)
        err.seek(0)
        return err.read().decode("utf-8", "replace")
    finally:
        err.close()


def _hidden(folder: Path) -> list[str]:
    """Hidden entries (locks, temporaries, staging folders) left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_two_screenings_into_one_folder_one_wins_the_other_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = _screen_args(tmp_path, out)
    a, flag_a, err_a = _spawn(tmp_path, "zoning.screening.engine:screen_sites", 3, args, "a")
    _wait_for(flag_a, a)  # A holds the folder and is computing
    b, _flag_b, err_b = _spawn(tmp_path, "zoning.screening.engine:screen_sites", 0, args, "b")
    text_b = _finish(b, err_b)
    text_a = _finish(a, err_a)
    assert a.returncode == 0, text_a
    assert b.returncode == 1, text_b
    assert "another run" in text_b and str(out) in text_b and "Traceback" not in text_b
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "result.json", "summary.csv"]
    doc = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert [s["verdict"] for s in doc["sites"]] == ["prohibited"]
    assert _hidden(tmp_path) == []


def test_a_folder_appearing_at_out_during_the_work_is_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = _screen_args(tmp_path, out)
    a, flag, err = _spawn(tmp_path, "zoning.screening.outputs:write_screening", 2, args, "a")
    _wait_for(flag, a)  # A is about to write its staging folder
    out.mkdir()  # someone else creates the folder meanwhile, with a file of theirs
    (out / "theirs.txt").write_text("keep me", encoding="utf-8")
    text = _finish(a, err)
    assert a.returncode == 1, text
    assert "appeared while zoning was writing it" in text and "Traceback" not in text
    assert [p.name for p in out.iterdir()] == ["theirs.txt"]
    assert (out / "theirs.txt").read_text(encoding="utf-8") == "keep me"
    assert _hidden(tmp_path) == []


def test_an_empty_folder_appearing_at_out_is_not_replaced_either(tmp_path: Path) -> None:
    # rename(2) would silently replace an empty folder: the publish must not
    out = tmp_path / "out"
    args = _screen_args(tmp_path, out)
    a, flag, err = _spawn(tmp_path, "zoning.screening.outputs:write_screening", 2, args, "a")
    _wait_for(flag, a)
    out.mkdir()
    text = _finish(a, err)
    assert a.returncode == 1, text
    assert "appeared while zoning was writing it" in text
    assert list(out.iterdir()) == []
    assert _hidden(tmp_path) == []


def test_a_map_file_appearing_meanwhile_is_not_replaced(tmp_path: Path) -> None:
    cat = corpus._catalog(tmp_path / "catalog")
    out = tmp_path / "map.html"
    args = ["map", "--catalog", str(cat), "--out", str(out)]
    # slowed just before the publish: the map is written to its temporary file by then
    a, flag, err = _spawn(tmp_path, "zoning.io.workspace:publish", 2, args, "a")
    _wait_for(flag, a)
    assert [p.suffix for p in tmp_path.iterdir() if ".tmp-" in p.name] == [".html"]
    out.write_text("their map", encoding="utf-8")
    text = _finish(a, err)
    assert a.returncode == 1, text
    assert "appeared while zoning was writing it" in text and "Traceback" not in text
    assert out.read_text(encoding="utf-8") == "their map"
    assert _hidden(tmp_path) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=str)
def test_terminated_screening_leaves_nothing_behind(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "out"
    args = _screen_args(tmp_path, out)
    # slow the write down: the hidden staging folder exists when the signal arrives
    a, flag, err = _spawn(tmp_path, "zoning.screening.outputs:write_screening", 30, args, "a")
    _wait_for(flag, a)
    staging = [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp-")]
    assert len(staging) == 1, _hidden(tmp_path)
    os.kill(a.pid, sig)
    text = _finish(a, err, timeout=30)
    assert a.returncode != 0 and "Traceback" not in text, text
    if sig != signal.SIGINT:
        assert a.returncode == 128 + sig, text
        assert f"stopped by {signal.Signals(sig).name}" in text
    assert not out.exists()
    assert _hidden(tmp_path) == []  # no staging folder, no lock file


def test_next_run_removes_the_staging_folder_of_a_killed_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = _screen_args(tmp_path, out)
    a, flag, err = _spawn(tmp_path, "zoning.screening.outputs:write_screening", 30, args, "a")
    _wait_for(flag, a)
    os.kill(a.pid, signal.SIGKILL)  # cannot be caught: the staging folder stays
    _finish(a, err, timeout=30)
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.tmp-")]
    assert left == [f".out.tmp-{a.pid}-{left[0].rsplit('-', 1)[1]}"] if left else False
    # a live process's temporary (this test's own pid) must survive the clean-up
    alive = tmp_path / f".out.tmp-{os.getpid()}-0123abcd"
    alive.mkdir()
    result = _invoke(args)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "result.json", "summary.csv"]
    assert _hidden(tmp_path) == [alive.name]


def test_terminated_run_keeps_its_checkpoints_like_ctrl_c_and_resumes(
    scenario: Path, reference: dict[str, bytes], tmp_path: Path
) -> None:
    from zoning.run import staging_dir

    out = tmp_path / "out"
    args = ["run", str(scenario), "--out", str(out)]
    a, flag, err = _spawn(tmp_path, "zoning.stats:overlap_table", 60, args, "t")
    _wait_for(flag, a)
    os.kill(a.pid, signal.SIGTERM)
    text = _finish(a, err, timeout=60)
    assert a.returncode == 128 + signal.SIGTERM, text
    assert "stopped by SIGTERM" in text and "Traceback" not in text
    assert not out.exists()
    assert list((staging_dir(out) / ".steps").glob("stats.*"))
    result = _invoke([*args, "--resume"])
    assert result.exit_code == 0, result.stderr
    _assert_same_run(reference, _files(out), logs=False)
    assert _hidden(tmp_path) == []


CLI_MAIN = "from zoning.cli.main import cli; cli(prog_name='zoning')"


def test_console_encoding_gbk_does_not_break_the_output(tmp_path: Path) -> None:
    # Python on Chinese Windows writes redirected output as GBK, which has no "²"
    cat = corpus._catalog(tmp_path / "catalog")
    site = corpus._site_geojson(
        tmp_path / "sites.geojson",
        [corpus._poly(corpus.REDLINE), corpus._poly((112.70, 37.90, 112.71, 37.91))],
    )
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    head = "unit_id,layer_kind,zone,area_km2,unit_area_km2,share_pct\n"
    a.write_text(head + "140100,eco_redline,all,1.0,10.0,10.0\n", encoding="utf-8")
    b.write_text(head + "140100,eco_redline,all,2.0,10.0,20.0\n", encoding="utf-8")
    commands = {
        "layers check": ["layers", "check", "--catalog", str(cat), "--no-cache"],
        "screen --compare": [
            "screen",
            str(site),
            "-t",
            "chemical",
            "--catalog",
            str(cat),
            "--compare",
        ],
        "diff": ["diff", str(a), str(b)],
    }
    env = {**os.environ, "PYTHONIOENCODING": "gbk", "PYTHONWARNINGS": "ignore"}
    outputs = {}
    for name, args in commands.items():
        proc = subprocess.run(
            [sys.executable, "-c", CLI_MAIN, *args],
            capture_output=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )
        out = outputs[name] = proc.stdout.decode("gbk")
        err = proc.stderr.decode("gbk")
        assert proc.returncode == 0, f"{name}: {err[-2000:]}"
        assert "UnicodeEncodeError" not in err, name
        assert "km?" in out or " m?" in out, f"{name}: no squared unit in {out[-500:]!r}"
        assert "²" not in out
    # what GBK can encode is written as it is: the verdict in Chinese
    assert "PROHIBITED / 禁止" in outputs["screen --compare"]


def _screen_cli(tmp: Path, cache: Path | str) -> subprocess.CompletedProcess:
    cat = tmp / "catalog" / "catalog.toml"
    if not cat.exists():  # written once: the layers' checksums are the cache keys
        corpus._catalog(tmp / "catalog")
    site = tmp / "site.geojson"
    if not site.exists():
        corpus._site_geojson(site, [corpus._poly(corpus.REDLINE)])
    args = ["screen", str(site), "-t", "chemical", "--catalog", str(cat), "--json"]
    env = {**os.environ, "ZONING_CACHE_DIR": str(cache), "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-c", CLI_MAIN, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=300,
    )


def _verdicts(proc: subprocess.CompletedProcess) -> list[str]:
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [s["verdict"] for s in json.loads(proc.stdout)["sites"]]


@pytest.mark.parametrize(
    ("suffix", "damage"),
    [
        (".parquet", lambda b: b[: len(b) // 2]),  # ArrowInvalid
        (".json", lambda b: b""),  # JSONDecodeError
        (".json", lambda b: b[: len(b) // 2]),
    ],
    ids=["truncated-parquet", "empty-json", "truncated-json"],
)
def test_a_damaged_cache_entry_is_rebuilt_with_a_warning(tmp_path: Path, suffix, damage) -> None:
    cache = tmp_path / "cache"
    assert _verdicts(_screen_cli(tmp_path, cache)) == ["prohibited"]
    entries = sorted((cache / "layers").glob(f"*{suffix}"))
    assert entries
    for p in entries:
        p.write_bytes(damage(p.read_bytes()))
    again = _screen_cli(tmp_path, cache)
    assert _verdicts(again) == ["prohibited"]
    assert "cannot be read" in again.stderr and "rebuilding it" in again.stderr
    assert "Traceback" not in again.stderr
    # rebuilt: the third run reads the cache without a word
    third = _screen_cli(tmp_path, cache)
    assert _verdicts(third) == ["prohibited"]
    assert "cannot be read" not in third.stderr


def test_an_unusable_cache_folder_is_named_as_the_cache_and_the_work_goes_on(
    tmp_path: Path,
) -> None:
    # a file where the cache folder should be: it can be neither created nor written
    # (root ignores read-only permissions, so this stands in for a read-only folder)
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("x", encoding="utf-8")
    proc = _screen_cli(tmp_path, blocker / "cache")
    assert _verdicts(proc) == ["prohibited"]
    assert "zoning cache" in proc.stderr and "ZONING_CACHE_DIR" in proc.stderr
    assert "--out" not in proc.stderr and "output path" not in proc.stderr
    assert blocker.read_text(encoding="utf-8") == "x"


def test_a_full_cache_disk_is_named_as_the_cache(tmp_path: Path, monkeypatch) -> None:
    import zoning.io
    from zoning.io.cachefiles import _warned

    cache = tmp_path / "cache"
    real = zoning.io.write_vector

    def full(gdf, path, **k):
        if str(path).startswith(str(cache)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(gdf, path, **k)

    monkeypatch.setattr(zoning.io, "write_vector", full)
    monkeypatch.setenv("ZONING_CACHE_DIR", str(cache))
    _warned.clear()
    cat = corpus._catalog(tmp_path / "catalog")
    site = corpus._site_geojson(tmp_path / "site.geojson", [corpus._poly(corpus.REDLINE)])
    import geopandas as gpd

    from zoning.catalog import load_catalog
    from zoning.screening import screen_sites

    with pytest.MonkeyPatch.context():
        import logging

        records: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda r: records.append(r.getMessage())
        logging.getLogger("zoning.cache").addHandler(handler)
        try:
            res = screen_sites(gpd.read_file(site), load_catalog(cat), "chemical")
        finally:
            logging.getLogger("zoning.cache").removeHandler(handler)
    assert res.sites["verdict"].tolist() == ["prohibited"]
    assert len(records) == 1, records  # once per folder, not once per layer
    assert "cannot write the zoning cache" in records[0] and "No space left" in records[0]
    assert "ZONING_CACHE_DIR" in records[0]
    assert not list((cache / "layers").glob("*.parquet"))
