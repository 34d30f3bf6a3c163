"""How a ``zoning`` process ends: ``zoning stats`` skips Python's teardown once it has succeeded.

The teardown (freeing every module and object of pandas, geopandas, numba …) costs ~0.4 s of
CPU. Each check runs ``cli()`` as the console script does, in a fresh interpreter whose
``__main__`` holds an object that prints "teardown" when it is freed, and an ``atexit`` handler
that prints "atexit": a quick exit prints the second and not the first.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner
from fresh_python import run_fresh

from zoning.cli.main import cli


def _program(argv: list[str]) -> subprocess.CompletedProcess[str]:
    code = (
        "import atexit, sys\n"
        "class Witness:\n"
        "    def __del__(self):\n"
        "        print('teardown', flush=True)\n"
        "witness = Witness()\n"
        "atexit.register(lambda: print('atexit', flush=True))\n"
        "from zoning.cli.main import cli\n"
        f"sys.argv = ['zoning', *{argv!r}]\n"
        "cli()\n"
    )
    return run_fresh(code)


@pytest.mark.usefixtures("demo_catalog_path")
def test_stats_ends_without_the_teardown_after_writing_everything(tmp_path):
    out = tmp_path / "s"
    proc = _program(["stats", "--layers", "spring_area", "--json", "--out", str(out)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[-1] == "atexit" and "teardown" not in lines  # handlers ran; no teardown
    doc = json.loads("\n".join(lines[:-1]))  # the whole JSON document was flushed
    zones = {row["zone"] for row in doc["rows"]}
    assert doc["units"] == 117 and zones == {"all", "key", "protection"}
    assert len(doc["rows"]) == 117 * 3  # every county, zeros included
    assert (out / "stats.csv").read_text(encoding="utf-8-sig").count("\n") == 1 + 117 * 3
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temporaries left


def test_a_failed_stats_run_and_help_end_as_usual(tmp_path):
    (tmp_path / "s").mkdir()
    failed = _program(["stats", "--layers", "spring_area", "--out", str(tmp_path / "s")])
    assert failed.returncode == 1 and "already exists" in failed.stderr
    assert failed.stdout.splitlines()[-2:] == ["atexit", "teardown"]
    helped = _program(["stats", "--help"])  # exit 0, but no command ran
    assert helped.returncode == 0
    assert helped.stdout.splitlines()[-2:] == ["atexit", "teardown"]


def test_in_process_invocations_return(tmp_path, demo_catalog_path):
    # CliRunner (tests, notebooks) calls cli.main(args=…): never a quick exit
    res = CliRunner().invoke(
        cli, ["stats", "--layers", "spring_area", "--out", str(tmp_path / "s")]
    )
    assert res.exit_code == 0, res.output
    assert cli.quick_exit  # the command allowed it; this process is still here
