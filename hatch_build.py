"""Wheel build hook: a wheel without the offline map assets is refused, not shipped broken.

The assets (Leaflet and its plugins, with their licences) are fetched from the npm registry at
set-up time into the git-ignored ``zoning/_assets`` (``make setup`` runs
``scripts/fetch_map_assets.py``); ``pyproject.toml`` lists them as build artifacts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class AssetsBuildHook(BuildHookInterface):
    """Check that ``zoning/_assets`` is complete before the wheel is built."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Raise when the map assets or their licences are missing."""
        assets = Path(self.root) / "zoning" / "_assets"
        needed = [assets / "manifest.json", assets / "leaflet.js", assets / "licenses"]
        missing = [str(p.relative_to(self.root)) for p in needed if not p.exists()]
        if missing:
            raise RuntimeError(
                f"the offline map assets are missing ({', '.join(missing)}); a wheel without "
                "them cannot draw a map. Fix: run `make setup` (or `python "
                "scripts/fetch_map_assets.py --force`, which needs npm) before building"
            )
