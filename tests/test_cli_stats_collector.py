"""``zoning stats`` as the program runs its start-up without Python's cycle collector.

Importing the libraries and reading the catalogue makes some 170,000 objects that live as long
as the process; collecting cycles among them (twice over all of them, and ~300 times in all)
cost about 0.12 s of CPU and freed nothing worth it. The program switches the collector off
for the start-up and on again, those objects set aside (``gc.freeze``), for the statistics.
Each check runs in a fresh interpreter: the collector's state is the whole process's.
"""

from __future__ import annotations

import pytest
from fresh_python import last_line

#: counts the full collections (generation 2) and tells, when the process ends (the program
#: ends after the atexit handlers, without the interpreter's teardown), whether the collector
#: is on and whether objects were set aside
WATCH = (
    "import atexit, gc, sys\n"
    "full = []\n"
    "def watch(phase, info):\n"
    "    if phase == 'stop' and info['generation'] == 2:\n"
    "        full.append(info['collected'])\n"
    "gc.callbacks.append(watch)\n"
    "atexit.register(lambda: print(len(full), gc.isenabled(), gc.get_freeze_count() > 0))\n"
)


def _program(argv: list[str], before: str = "") -> str:
    """``zoning ARGV`` as the program (``cli()`` reads ``sys.argv``), with :data:`WATCH`."""
    return last_line(
        f"{WATCH}{before}sys.argv = ['zoning', *{argv!r}]\nfrom zoning.cli.main import cli\ncli()\n"
    )


@pytest.mark.usefixtures("demo_catalog_path")
def test_stats_as_the_program_collects_no_cycles_among_its_start_up_objects(tmp_path):
    argv = ["stats", "--layers", "spring_area", "--out", str(tmp_path / "s"), "--overwrite"]
    _program(argv)  # fills the layer cache, if not done yet
    # before: two full collections (over every imported object) and ~250 smaller ones
    # during the imports; now none over them, and the collector is on again at the end
    assert _program(argv) == "0 True True"
    assert (tmp_path / "s" / "stats.csv").is_file()


@pytest.mark.usefixtures("demo_catalog_path")
def test_stats_as_the_program_leaves_a_collector_the_user_switched_off_alone(tmp_path):
    argv = ["stats", "--layers", "spring_area", "--out", str(tmp_path / "s"), "--overwrite"]
    assert _program(argv, before="gc.disable()\n") == "0 False False"


@pytest.mark.usefixtures("demo_catalog_path")
def test_stats_in_process_leaves_the_collector_as_it_was(tmp_path):
    # run with arguments (CliRunner, cli.main(args)): the caller's process is not the
    # program's to set up; its collector runs throughout and nothing is set aside
    argv = ["stats", "--layers", "spring_area", "--out", str(tmp_path / "s"), "--overwrite"]
    out = last_line(
        "import gc\nfrom zoning.cli.main import cli\n"
        f"try:\n    cli({argv!r})\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print(gc.isenabled(), gc.get_freeze_count())\n"
    )
    assert out == "True 0"
