"""Hidden siblings of an output (``zoning.io.siblings``): names that fit, stale temporaries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from zoning.io.siblings import hidden_sibling, remove_stale_temporaries, temp_sibling


def test_short_names_are_kept_as_they_are() -> None:
    assert hidden_sibling(Path("runs/2024"), "lock") == Path("runs/.2024.lock")
    assert hidden_sibling(Path("out"), "partial") == Path(".out.partial")


def test_long_names_are_shortened_to_fit_name_max_and_stay_distinct() -> None:
    a, b = "筛查" * 80 + "a", "筛查" * 80 + "b"  # 161 characters, 481 bytes in UTF-8
    names = [hidden_sibling(Path(n), "tmp-4194304-0123abcd.html").name for n in (a, b)]
    assert all(len(os.fsencode(n)) <= 255 for n in names)
    assert names[0] != names[1]  # the digest of the whole name tells them apart
    assert all(
        n.startswith(".筛查筛查") and n.endswith(".tmp-4194304-0123abcd.html") for n in names
    )
    t = temp_sibling(Path("x" * 250), suffix=".html")
    assert len(os.fsencode(t.name)) <= 255 and t.suffix == ".html"


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)  # finished: no such process any more
    out = tmp_path / "out"
    stale_dir = tmp_path / f".out.tmp-{pid}-0123abcd"
    stale_dir.mkdir()
    (stale_dir / "report.html").write_text("half", encoding="utf-8")
    stale_file = tmp_path / f".out.tmp-{pid}-89abcdef.html"
    stale_file.write_text("half", encoding="utf-8")
    live = tmp_path / f".out.tmp-{os.getpid()}-0123abcd"
    live.mkdir()
    other = tmp_path / f".other.tmp-{pid}-0123abcd"  # another output's: not ours to judge
    other.mkdir()
    partial = tmp_path / ".out.partial"  # zoning run's checkpoints: kept for --resume
    partial.mkdir()
    removed = remove_stale_temporaries(out)
    assert sorted(removed) == sorted([stale_dir, stale_file])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live.name, other.name, partial.name]
    )
