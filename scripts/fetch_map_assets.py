"""Fetch Leaflet and its plugins from the npm registry into ``zoning/_assets`` (set-up step).

Usage: ``python scripts/fetch_map_assets.py [--dest DIR] [--force]`` (the same as
``python -m zoning.maps.fetch``). Called by ``make setup``; afterwards every zoning map
inlines these files and opens with no network.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zoning.maps.fetch import main

if __name__ == "__main__":
    raise SystemExit(main())
