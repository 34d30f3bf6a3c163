"""The output protocol (``zoning.io.workspace``): no-replace publishing, unsafe targets.

Names and stale temporaries: ``tests/test_io_siblings.py``. The commands' behaviour is in
``tests/test_bad_inputs.py`` and ``tests/test_faults.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zoning.errors import OutputExistsError, UnsafeOutputError
from zoning.io.workspace import publish, refuse_unsafe_output, rename_no_replace


@pytest.fixture(params=["renameat2", "portable"])
def no_replace(request, monkeypatch):
    """Both ways of renaming without replacing: Linux's renameat2 and the portable one."""
    if request.param == "portable":
        monkeypatch.setattr("zoning.io.workspace._renameat2", lambda src, dst: False)
    return request.param


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
