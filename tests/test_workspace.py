"""The output protocol (``zoning.io.workspace``): names, no-replace publishing, unsafe targets,
stale temporaries. The commands' behaviour is in ``tests/test_bad_inputs.py`` and
``tests/test_faults.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zoning.errors import OutputExistsError, UnsafeOutputError
from zoning.io.siblings import hidden_sibling, remove_stale_temporaries, temp_sibling
from zoning.io.workspace import publish, refuse_unsafe_output, rename_no_replace


@pytest.fixture(params=["renameat2", "portable"])
def no_replace(request, monkeypatch):
    """Both ways of renaming without replacing: Linux's renameat2 and the portable one."""
    if request.param == "portable":
        monkeypatch.setattr("zoning.io.workspace._renameat2", lambda src, dst: False)
    return request.param


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


def test_publish_refuses_a_file_that_appeared(tmp_path: Path, no_replace) -> None:
    tmp, out = tmp_path / ".new.tmp", tmp_path / "out.html"
    tmp.write_text("new", encoding="utf-8")
    out.write_text("theirs", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="appeared while zoning was writing it"):
        publish(tmp, out, overwrite=False)
    assert out.read_text(encoding="utf-8") == "theirs"


@pytest.mark.parametrize("theirs", [[], ["a.txt"]], ids=["empty", "with-a-file"])
def test_publish_refuses_a_folder_that_appeared(tmp_path: Path, no_replace, theirs) -> None:
    tmp, out = tmp_path / ".new.tmp", tmp_path / "out"
    tmp.mkdir()
    (tmp / "result.json").write_text("{}", encoding="utf-8")
    out.mkdir()
    for name in theirs:
        (out / name).write_text("keep", encoding="utf-8")
    with pytest.raises(FileExistsError):
        rename_no_replace(tmp, out)
    assert sorted(p.name for p in out.iterdir()) == theirs
    assert (tmp / "result.json").exists()


def test_publish_with_overwrite_replaces_and_leaves_no_backup(tmp_path: Path, no_replace) -> None:
    tmp, out = tmp_path / ".new.tmp", tmp_path / "out"
    tmp.mkdir()
    (tmp / "new.txt").write_text("new", encoding="utf-8")
    out.mkdir()
    (out / "old.txt").write_text("old", encoding="utf-8")
    publish(tmp, out, overwrite=True)
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_overwriting_a_symlink_replaces_the_link_not_its_target(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "site.geojson").write_text("{}", encoding="utf-8")
    link = tmp_path / "out"
    link.symlink_to(data, target_is_directory=True)
    refuse_unsafe_output(link, [("site file", data / "site.geojson")])  # not refused
    tmp = tmp_path / ".new"
    tmp.mkdir()
    publish(tmp, link, overwrite=True)
    assert not link.is_symlink() and link.is_dir()
    assert (data / "site.geojson").read_text(encoding="utf-8") == "{}"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (lambda t: t, "is the site file"),
        (lambda t: t.parent, "a folder holding the site file"),
        (lambda t: t.parent.parent, "a folder holding the site file"),
        (lambda t: Path("/"), "the root of the file system"),
        (lambda t: Path("."), "the current folder"),
        (lambda t: Path.home(), "the home folder"),
    ],
    ids=["file", "folder", "grandparent", "root", "cwd", "home"],
)
def test_unsafe_targets_are_refused(tmp_path: Path, target, message) -> None:
    site = tmp_path / "data" / "site.geojson"
    site.parent.mkdir()
    site.write_text("{}", encoding="utf-8")
    with pytest.raises(UnsafeOutputError, match=message):
        refuse_unsafe_output(target(site), [("site file", site)])


def test_a_new_sibling_folder_is_safe(tmp_path: Path) -> None:
    site = tmp_path / "data" / "site.geojson"
    site.parent.mkdir()
    site.write_text("{}", encoding="utf-8")
    refuse_unsafe_output(tmp_path / "data-out", [("site file", site)])
    refuse_unsafe_output(tmp_path / "data" / "out", [("site file", site)])


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
