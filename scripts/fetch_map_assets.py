"""Fetch Leaflet and its plugins from the npm registry into ``zoning/_assets`` (set-up step).

Usage: ``python scripts/fetch_map_assets.py [--dest DIR] [--force]``. Called by ``make setup``;
afterwards every zoning map inlines these files and opens with no network.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zoning.maps.assets import assets_dir, fetch_assets


def main(argv: list[str] | None = None) -> int:
    """Fetch the assets; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=None, help="target folder")
    parser.add_argument("--force", action="store_true", help="fetch again even if present")
    args = parser.parse_args(argv)
    manifest = fetch_assets(args.dest, force=args.force)
    dest = args.dest or assets_dir()
    print(f"map assets in {dest}: {', '.join(sorted(manifest['assets']))}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
