"""``zoning demo``: build the Shanxi demo catalogue, check it and run the products on it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from zoning.cli.options import csv_encoding_option, json_option, out_option, overwrite_option

__all__ = ["demo"]


@click.command()
@out_option(
    "Output folder (written atomically).", name="out_dir", default="demo-out", path_type=str
)
@overwrite_option()
@click.option("--rebuild", is_flag=True, help="Rebuild the demo catalogue (ignore the cache).")
@csv_encoding_option
@json_option
def demo(out_dir: str, overwrite: bool, rebuild: bool, as_json: bool = False) -> None:
    """Build the demo catalogue, check it, and write its outputs and maps into OUT.

    OUT holds catalog_check.json / catalog_check.txt (every layer checked), catalog.toml
    (where the demo layers live, with the layers beside it: --catalog OUT/catalog.toml
    works), map.html (offline map of every layer) and the products that have joined the
    demo.
    """
    from zoning.catalog import catalog_report, load_catalog
    from zoning.cli.layers import format_report
    from zoning.cli.options import claim_out, progress_steps
    from zoning.datasets import demo_catalog_path
    from zoning.demo import run_demo_products
    from zoning.io import atomic_directory, atomic_write_text

    claim_out(out_dir, overwrite)  # checked and locked before any work
    from zoning.progress import redirect_logging

    steps = progress_steps(
        "zoning demo",
        [
            "demo catalogue",
            "check every layer",
            "copy the layers",
            "map of every layer",
            "run: statistics, screening, restoration",
        ],
    )
    click.get_current_context().with_resource(redirect_logging(steps.enabled))
    steps.start("demo catalogue")
    catalog_path = demo_catalog_path(rebuild=rebuild)
    click.echo(f"demo catalogue: {catalog_path}", err=True)
    with atomic_directory(Path(out_dir), overwrite=overwrite) as tmp:
        cat = load_catalog(catalog_path)
        steps.start("check every layer")
        report = catalog_report(cat)
        atomic_write_text(
            tmp / "catalog_check.json", json.dumps(report, ensure_ascii=False, indent=2)
        )
        text = format_report(report)
        atomic_write_text(tmp / "catalog_check.txt", text + "\n")
        atomic_write_text(tmp / "catalog.toml", catalog_path.read_text(encoding="utf-8"))
        steps.start("copy the layers")
        _copy_catalog_data(catalog_path.parent, tmp)
        if not as_json:
            steps.echo(text)
        steps.start("map of every layer")
        products = []
        for line in run_demo_products(cat, tmp):
            if line.startswith("map:"):
                steps.start("run: statistics, screening, restoration")
            products.append(line)
            if not as_json:
                steps.echo(line)
    steps.finish()
    if as_json:
        from zoning.cli.options import echo_json

        echo_json({"out": str(out_dir), "catalog_check": report, "products": products})
    click.echo(f"demo outputs written to {out_dir}/", err=True)


def _copy_catalog_data(source: Path, target: Path) -> None:
    """Copy the demo layers beside OUT's ``catalog.toml``, whose paths are relative to it.

    A user who points ``--catalog`` at ``demo-out/catalog.toml`` gets the same layers as the
    demo (a few MB), not "file not found".
    """
    import shutil

    for item in sorted(source.iterdir()):
        if item.name == "catalog.toml" or item.name.startswith("."):
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name)
        else:
            shutil.copy2(item, target / item.name)
