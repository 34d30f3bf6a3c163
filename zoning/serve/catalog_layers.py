"""The catalogue as the page draws it: the cartography of ``zoning map``, served as GeoJSON.

Each kind is drawn in :data:`zoning.maps.products.CATALOG_DRAW_ORDER` with the colours of
:func:`zoning.maps.style.style_for`, simplified for display by
:func:`zoning.maps.simplify.display_geometries` (never used for any measurement), zones in
drawing order; the same kinds start hidden as in ``zoning map``. Reviewers search features by
name or id and export the current view as the self-contained HTML map of ``zoning map``.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import numpy as np

from zoning.serve.responses import ApiError

__all__ = ["CatalogLayers"]

_MAX_HITS = 20


class _View:
    """The part of a catalogue inside a box, shaped like a catalogue for ``catalog_map``."""

    def __init__(self, catalog: Any, kinds: list[str], bbox: tuple[float, ...] | None) -> None:
        self.name = getattr(catalog, "name", None)
        self.coverage = None
        self._frames = {}
        for kind in kinds:
            frame = catalog.frame(kind)
            if bbox is not None:
                frame = frame.cx[bbox[0] : bbox[2], bbox[1] : bbox[3]]
            self._frames[kind] = frame
        self.kinds = [k for k, f in self._frames.items() if len(f)]

    def frame(self, kind: str) -> Any:
        return self._frames[kind]


class CatalogLayers:
    """Display layers, search and map export of one catalogue (built lazily, cached)."""

    def __init__(self, catalog: Any) -> None:
        self.catalog = catalog
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def kinds(self) -> list[str]:
        """Kinds in drawing order (bottom first)."""
        from zoning.maps.products import CATALOG_DRAW_ORDER

        present = list(self.catalog.kinds)
        return [k for k in CATALOG_DRAW_ORDER if k in present] + [
            k for k in present if k not in CATALOG_DRAW_ORDER
        ]

    def index(self) -> dict[str, Any]:
        """Kinds with their labels, zones, styles and feature counts (``GET /api/layers``)."""
        from zoning.maps.products import HIDDEN_BY_DEFAULT
        from zoning.maps.style import kind_label, style_for, zone_label, zone_order

        out = []
        for kind in self.kinds():
            frame = self.catalog.frame(kind)
            present = set(frame["zone"].astype(str)) if "zone" in frame.columns else set()
            zones = [z for z in zone_order(kind) if z in present]
            zones += sorted(present - set(zones))
            out.append(
                {
                    "kind": kind,
                    "label": kind_label(kind),
                    "features": len(frame),
                    "visible": kind not in HIDDEN_BY_DEFAULT,
                    "zones": [
                        {
                            "zone": z,
                            "label": zone_label(kind, z),
                            "style": style_for(kind, z).to_leaflet(),
                        }
                        for z in zones
                    ],
                }
            )
        coverage = getattr(self.catalog, "coverage", None)
        bounds = None
        if coverage is not None and not coverage.is_empty:
            bounds = [float(v) for v in coverage.bounds]
        return {"layers": out, "bounds": bounds}

    def geojson(self, kind: str) -> bytes:
        """Return the display GeoJSON of ``kind`` (UTF-8 bytes), zones in drawing order."""
        if kind not in self.catalog.kinds:
            raise ApiError(
                404,
                "not_found",
                f"no layer kind {kind!r} in the catalogue; expected one of "
                f"{', '.join(self.catalog.kinds)}",
            )
        with self._lock:
            cached = self._cache.get(kind)
            if cached is None:
                cached = self._cache[kind] = self._build(kind)
        return cached

    def _build(self, kind: str) -> bytes:
        import shapely

        from zoning.maps.simplify import DEFAULT_DETAIL_ZOOM, display_geometries
        from zoning.maps.style import zone_label, zone_order

        frame = self.catalog.frame(kind)
        zones = frame["zone"].astype(str).to_numpy() if "zone" in frame.columns else None
        order = {z: i for i, z in enumerate(zone_order(kind))}
        rank = np.array([order.get(z, -1) for z in zones]) if zones is not None else None
        idx = np.argsort(rank, kind="stable") if rank is not None else np.arange(len(frame))
        geoms = np.asarray(frame.geometry.values, dtype=object)[idx]
        groups = zones[idx] if zones is not None else None
        display = display_geometries(
            geoms,
            zoom=DEFAULT_DETAIL_ZOOM,
            groups=groups,
            coverage=kind in ("admin_unit", "control_unit"),
        )
        names = frame["name"].to_numpy(dtype=object)[idx] if "name" in frame else None
        fids = frame["feature_id"].astype(str).to_numpy()[idx]
        features = []
        for i, geom in enumerate(display.geometries):
            if geom is None or shapely.is_empty(geom):
                continue
            zone = str(groups[i]) if groups is not None else ""
            name = names[i] if names is not None else None
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "feature_id": fids[i],
                        "zone": zone,
                        "zone_label": zone_label(kind, zone),
                        "name": None if name is None or name != name else str(name),
                    },
                    "geometry": shapely.geometry.mapping(geom),
                }
            )
        doc = {"type": "FeatureCollection", "kind": kind, "features": features}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def search(self, query: str) -> list[dict[str, Any]]:
        """Features whose name or id contains ``query`` (case-insensitive), with their bounds."""
        q = query.strip().lower()
        if not q:
            return []
        hits: list[dict[str, Any]] = []
        for kind in reversed(self.kinds()):  # strict, small layers first
            frame = self.catalog.frame(kind)
            names = frame["name"].astype(str).str.lower() if "name" in frame else None
            fids = frame["feature_id"].astype(str)
            mask = fids.str.lower().str.contains(q, regex=False)
            if names is not None:
                mask |= names.str.contains(q, regex=False)
            for pos in np.flatnonzero(mask.to_numpy())[: _MAX_HITS - len(hits)]:
                row = frame.iloc[int(pos)]
                name = row.get("name")
                hits.append(
                    {
                        "kind": kind,
                        "feature_id": str(row["feature_id"]),
                        "zone": str(row.get("zone", "")),
                        "name": None if name is None or name != name else str(name),
                        "bounds": [float(v) for v in row.geometry.bounds],
                    }
                )
            if len(hits) >= _MAX_HITS:
                break
        return hits

    def view_map(self, kinds: list[str] | None, bbox: tuple[float, ...] | None) -> str:
        """Return the self-contained HTML map (``zoning map``) of ``kinds`` inside ``bbox``."""
        from zoning.maps import catalog_map, map_html
        from zoning.maps.products import parse_kinds

        wanted = parse_kinds(kinds, list(self.catalog.kinds)) if kinds else self.kinds()
        view = _View(self.catalog, wanted, bbox)
        if not view.kinds:
            raise ApiError(
                400,
                "empty_view",
                "no feature of the chosen layers lies in the current view; expected at least "
                "one; fix: zoom out or switch a layer on",
            )
        title = f"{view.name or '区划图层 / Zoning layers'} — 当前视图 / current view"
        return map_html(catalog_map(view, title=title))
