"""GeoPackages that open right in QGIS: declared geometry types, one fixed timestamp, styles.

:func:`write_gpkg` writes several layers into one GeoPackage: polygon layers are declared
MultiPolygon (geometry collections keep only their polygons, so no layer is "Unknown"), the
GeoPackage timestamps are fixed (reruns are byte-identical), and each layer's default QGIS style
is stored in ``layer_styles`` (:mod:`zoning.maps.qgis`) in the colours of the HTML maps.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["GPKG_TIMESTAMP", "fixed_gpkg_time", "multipolygons", "share_title", "write_gpkg"]

#: Fixed GeoPackage timestamp (``gpkg_contents.last_change``) so reruns are byte-identical.
GPKG_TIMESTAMP = "2000-01-01T00:00:00.000Z"


@contextlib.contextmanager
def fixed_gpkg_time() -> Iterator[None]:
    """Stamp GeoPackages written within the block with :data:`GPKG_TIMESTAMP` (byte-identical reruns).

    Yields
    ------
    None
        GDAL's ``OGR_CURRENT_DATE`` is restored after the block.
    """
    import pyogrio

    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_TIMESTAMP})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})


def write_gpkg(layers: dict[str, Any], path: Path, *, share_column: str | None = None) -> None:
    """Write the run's GeoPackage: polygon layers declared MultiPolygon, QGIS styles stored.

    Geometry collections (slivers of a difference) keep only their polygons, so every layer
    has a declared geometry type instead of "Unknown"; ``layer_styles`` gives QGIS the map's
    colours and labels (:mod:`zoning.maps.qgis`).
    """
    from zoning.maps import qgis

    styles = []
    with fixed_gpkg_time():
        for name, gdf in layers.items():
            gdf = gdf.set_geometry(multipolygons(gdf.geometry.to_numpy()), crs=gdf.crs)
            gdf.to_file(
                path,
                layer=name,
                driver="GPKG",
                engine="pyogrio",
                geometry_type="MultiPolygon",
                promote_to_multi=True,
            )
            if name == "strictest_designation":
                order = gdf.sort_values("rank", kind="stable")["designation"]
                styles.append(qgis.designation_style(name, list(dict.fromkeys(order))))
            elif share_column and share_column in gdf.columns:
                styles.append(
                    qgis.share_style(
                        name,
                        share_column,
                        gdf[share_column].to_numpy(dtype=float),
                        title=share_title(share_column),
                    )
                )
    if styles:
        qgis.write_layer_styles(path, styles)


def multipolygons(geoms: Any) -> Any:
    """Every geometry as a MultiPolygon of its polygonal parts (empty when it has none)."""
    import shapely

    out = []
    for g in geoms:
        parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        polys = [q for p in parts for q in shapely.get_parts(p)]
        out.append(shapely.MultiPolygon(polys) if polys else shapely.MultiPolygon())
    return out


def share_title(column: str) -> str:
    """``"eco_redline_all_pct"`` → ``"生态保护红线占比 (%) / Ecological protection red line share (%)"``."""
    from zoning.kinds import KIND_IDS, get_kind

    kind = next((k for k in KIND_IDS if column.startswith(f"{k}_")), None)
    if kind is None:
        return column
    spec = get_kind(kind)
    return f"{spec.name_zh}占比 (%) / {spec.name_en} share (%)"
