"""The wheel is the product: built offline, installed into a fresh environment, run elsewhere.

The wheel is built from this checkout (``pip wheel --no-build-isolation``: no download), then
installed with ``--no-deps --no-index`` into a new virtual environment whose only extra path is
the development environment's site-packages, for the third-party dependencies. So ``zoning``
itself, its specs, rule packs, scenarios and map assets come from the wheel alone; the commands
run from a temporary folder with an empty cache and no ``PYTHONPATH``. A separate test checks
that every third-party module zoning imports is a declared dependency, which the shared
site-packages could otherwise hide.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_maps_browser import (
    _COUNT_PATHS,
    _skip_reason,
    browser,  # noqa: F401  (the headless Chromium fixture)
    errors,
    open_map,
)

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{cmd} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, offline."""
    if not (ROOT / "zoning" / "_assets" / "manifest.json").is_file():
        pytest.skip("map assets not fetched: run `make setup`")
    dist = tmp_path_factory.mktemp("dist")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", str(dist), str(ROOT)],
        cwd=dist,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )  # fmt: skip
    (built,) = dist.glob("zoning-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A fresh venv with the wheel installed; a work folder, cache and HOME of its own."""
    base = tmp_path_factory.mktemp("wheel-env")
    env_dir = base / "venv"
    _run([sys.executable, "-m", "venv", str(env_dir)], cwd=base, env=dict(os.environ))
    py = env_dir / "bin" / "python"
    purelib = Path(
        _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
             cwd=base, env=dict(os.environ)).strip()
    )  # fmt: skip
    # third-party dependencies from the development environment (added after the venv's own
    # site-packages, so the wheel's zoning is the one imported)
    (purelib / "_zoning_test_deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "ZONING_"))}
    env |= {
        "HOME": str(base / "home"),
        "ZONING_CACHE_DIR": str(base / "cache"),
        "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    (base / "home").mkdir()
    _run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
         cwd=base, env=env)  # fmt: skip
    work = base / "work"
    work.mkdir()
    yield {"py": py, "zoning": env_dir / "bin" / "zoning", "env": env, "work": work}


def test_wheel_carries_assets_specs_and_licences(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
    assert "zoning/_assets/leaflet.js" in names
    assert "zoning/_assets/manifest.json" in names
    assert any(n.startswith("zoning/_assets/licenses/leaflet@") for n in names)
    assert "zoning/specs/kinds.toml" in names
    assert "zoning/specs/scenarios/demo_province_stats.toml" in names
    assert "zoning/specs/rulepacks/national.toml" in names
    with zipfile.ZipFile(wheel) as whl:
        manifest = json.loads(whl.read("zoning/_assets/manifest.json"))
    for spec, lic in manifest["licenses"].items():
        assert f"zoning/_assets/{lic}" in names, spec


def test_installed_zoning_runs_the_demo_map_and_screening(installed: dict) -> None:
    py, zoning, env, work = (
        installed["py"],
        installed["zoning"],
        installed["env"],
        installed["work"],
    )
    where = _run([str(py), "-c", "import zoning; print(zoning.__file__)"], cwd=work, env=env)
    assert str(ROOT) not in where and "site-packages" in where

    _run([str(zoning), "demo", "--out", "demo-out"], cwd=work, env=env)
    out = work / "demo-out"
    for name in (
        "map.html",
        "catalog.toml",
        "catalog_check.txt",
        "run/stats.csv",
        "run/report.html",
        "run/screening/report.html",
        "run/restoration/report.json",
    ):
        assert (out / name).is_file(), name  # fmt: skip
    assert "leaflet" in (out / "map.html").read_text(encoding="utf-8").lower()

    # the demo's own catalogue is usable where it was written
    sites = ROOT / "scenarios" / "demo_sites.geojson"
    text = _run(
        [str(zoning), "screen", str(sites), "-t", "solar_pv", "--catalog",
         "demo-out/catalog.toml", "--out", "screening"],
        cwd=work, env=env,
    )  # fmt: skip
    report = (work / "screening" / "report.html").read_text(encoding="utf-8")
    assert "L.map(" in report or "leaflet" in report.lower()  # the map is in the report
    assert text.strip()

    _run([str(zoning), "map", "--catalog", "demo-out/catalog.toml", "--out", "map2.html"],
         cwd=work, env=env)  # fmt: skip
    assert (work / "map2.html").stat().st_size > 100_000

    # bundled scenarios by name, from any folder
    listed = _run([str(zoning), "restore", "--help"], cwd=work, env=env)
    assert "SCENARIO" in listed


def test_installed_demo_map_draws_every_layer_offline(installed: dict, browser) -> None:  # noqa: F811
    """The installed demo's map opens in headless Chromium, network off, with every layer."""
    out = installed["work"] / "demo-out"
    if not (out / "map.html").is_file():
        pytest.skip("the demo did not run (see the test before this one)")
    if _skip_reason() is not None:
        pytest.skip(str(_skip_reason()))
    _, log = open_map(browser, out / "map.html")
    assert errors(log) == []
    labels = browser.execute_script(
        "return Array.from(document.querySelectorAll("
        "'.leaflet-control-layers-overlays label')).map(l => l.textContent.trim());"
    )
    catalog = (out / "catalog.toml").read_text(encoding="utf-8")
    kinds = sorted({line.split('"')[1] for line in catalog.splitlines()
                    if line.startswith("kind = ")})  # fmt: skip
    from zoning.kinds import get_kind

    assert len(kinds) >= 10
    for kind in kinds:
        spec = get_kind(kind)
        assert any(spec.name_zh in lab or spec.name_en in lab for lab in labels), (kind, labels)
    assert browser.execute_script(_COUNT_PATHS) > 100


def test_every_imported_third_party_module_is_declared() -> None:
    """An import the wheel's metadata does not declare would break a pip-installed zoning."""
    import tomllib
    from importlib.metadata import packages_distributions

    declared = set()
    for req in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        name = req.split(";")[0]
        for sep in "=<>!~[ ":
            name = name.split(sep)[0]
        declared.add(name.strip().lower().replace("_", "-"))
    dists = packages_distributions()
    stdlib = set(sys.stdlib_module_names)
    missing: dict[str, str] = {}
    for path in (ROOT / "zoning").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top in stdlib or top in {"zoning", "__future__"}:
                    continue
                owners = {d.lower().replace("_", "-") for d in dists.get(top, [top])}
                if not owners & declared and not _optional(node, tree):
                    missing[top] = str(path.relative_to(ROOT))
    assert missing == {}, f"imported but not declared in [project] dependencies: {missing}"


def _optional(node: ast.AST, tree: ast.Module) -> bool:
    """True for an import guarded by ``try: … except ImportError`` (an optional extra)."""
    for parent in ast.walk(tree):
        if isinstance(parent, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in {"ImportError", "ModuleNotFoundError"}
            for h in parent.handlers
        ):
            if any(node is n for stmt in parent.body for n in ast.walk(stmt)):
                return True
    return False
