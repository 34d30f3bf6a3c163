"""Set-up step for offline maps: ``python -m zoning.maps.fetch [--dest DIR] [--force]``.

Fetches the pinned npm packages (Leaflet and the plugins folium uses) with ``npm pack`` into
``zoning/_assets`` (see :func:`zoning.maps.assets.fetch_assets`). ``make setup`` runs it.
"""

from __future__ import annotations

from pathlib import Path

from zoning.maps.assets import MapAssetsMissingError, assets_dir, fetch_assets

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Command line of the set-up step: ``python -m zoning.maps.fetch [--dest DIR] [--force]``."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m zoning.maps.fetch",
        description="Fetch Leaflet and its plugins from the npm registry for offline maps.",
    )
    parser.add_argument("--dest", type=Path, default=None, help="target folder")
    parser.add_argument("--force", action="store_true", help="fetch again even if present")
    parser.add_argument("--npm", default="npm", help="npm executable")
    args = parser.parse_args(argv)
    try:
        manifest = fetch_assets(args.dest, npm=args.npm, force=args.force)
    except MapAssetsMissingError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    dest = args.dest or assets_dir()
    names = ", ".join(sorted(manifest["assets"]))
    sys.stdout.write(f"map assets in {dest}: {names}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
