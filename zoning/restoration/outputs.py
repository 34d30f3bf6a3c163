"""Files written by a restoration run (``zoning restore``).

Into one folder (built atomically by the CLI with :func:`zoning.io.atomic_directory`; every
file through :mod:`zoning.io`):

* ``priority.tif`` — bands ``score``, ``priority_class`` (1 = highest), ``selected``
  (1 = in the portfolio, 0 = not, NaN outside the units); float32, tiled 256 × 256,
  DEFLATE-compressed, internal overviews. Identical runs give byte-identical files.
* ``priority_class.tif`` — the classes alone as uint8 (1 = highest, 0 = nodata outside the
  units) with a colour table and class names, so QGIS opens it as a paletted legend.
* ``criteria.tif`` — one band per normalised criterion, same grid and layout.
  Every GeoTIFF is in the Albers equal-area CRS on the CGCS2000 datum (``ALBERS_CHINA``).
* ``units.gpkg`` — the units (CGCS2000, EPSG:4490) with raw and normalised criteria, the
  decomposition ``contrib_*``, ``score``, ``rank``, ``priority_class``, intervention, cost,
  ``selected`` and ``locked``.
* ``ranking.csv`` — units by rank with score, class, decomposition and portfolio columns.
* ``ranking_curve.png`` and ``ranking_curve.csv`` — the Zonation-style curve.
* ``map.html`` — an offline Folium map (priority raster + portfolio).
* ``report.json`` — weights, consistency ratio, solver report, class counts, provenance.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zoning.io.atomic import atomic_write_text
from zoning.labels import DISCLAIMER_SENTENCE

if TYPE_CHECKING:
    from affine import Affine

    from zoning.restoration.run import RestorationResult

__all__ = [
    "class_palette",
    "format_yuan",
    "unit_raster",
    "write_class_geotiff",
    "write_outputs",
]


def format_yuan(amount: float) -> str:
    """Format a cost in yuan with thousands separators: ``7,999,960,000 元 (yuan)``.

    >>> format_yuan(7.99996e9), format_yuan(1234.6)
    ('7,999,960,000 元 (yuan)', '1,235 元 (yuan)')
    """
    return f"{amount:,.0f} 元 (yuan)"


def class_palette(k: int) -> dict[int, tuple[tuple[int, int, int], str]]:
    """Colour and bilingual name of priority classes 1 … k (1 = highest: dark red → yellow).

    The same ramp as the restoration map (YlOrRd, reversed so that the top class is darkest).
    """
    from matplotlib import colormaps

    ramp = colormaps["YlOrRd"]
    out: dict[int, tuple[tuple[int, int, int], str]] = {}
    for c in range(1, k + 1):
        t = 1.0 - (c - 1) / max(k - 1, 1) * 0.85  # class 1 at the dark end
        r, g, b, _ = ramp(t)
        if c == 1:
            name = "第1类（最高优先）/ class 1 (highest priority)"
        elif c == k:
            name = f"第{c}类（最低优先）/ class {c} (lowest priority)"
        else:
            name = f"第{c}类 / class {c}"
        out[c] = ((round(r * 255), round(g * 255), round(b * 255)), name)
    return out


def write_class_geotiff(
    path: str | Path, classes: np.ndarray, *, transform: Any, crs: Any, k: int
) -> Path:
    """Write priority classes as a uint8 GeoTIFF with a colour table and class names.

    ``classes`` holds 1 … k and NaN outside the units (written as 0, the nodata value). The
    class names go into the band's metadata (``CLASS_1`` …, shown by ``gdalinfo`` and QGIS's
    metadata panel); QGIS draws the band as paletted with the colour table
    (:func:`zoning.io.geotiff.write_paletted_geotiff`, in the colours of :func:`class_palette`).
    """
    from zoning.io.geotiff import write_paletted_geotiff

    data = np.nan_to_num(np.asarray(classes, dtype=np.float64), nan=0.0)
    if data.min() < 0 or data.max() > min(k, 254):
        raise ValueError(f"priority classes outside 1 … {k}")
    return write_paletted_geotiff(
        path,
        data,
        transform=transform,
        crs=crs,
        palette=class_palette(k),
        description="priority_class (1 = highest) / 修复优先等级",
    )


def _style_units(path: Path, k: int) -> None:
    """Store the QGIS style of ``restoration_units``: classes in the GeoTIFF's colours."""
    from zoning.maps.qgis import LayerStyleRow, categorized_qml, write_layer_styles

    cats = [
        (c, name, "#{:02x}{:02x}{:02x}".format(*rgb), 0.85)
        for c, (rgb, name) in class_palette(k).items()
    ]
    write_layer_styles(
        path,
        [
            LayerStyleRow(
                "restoration_units",
                "zoning priority class",
                categorized_qml("priority_class", cats),
                "修复优先等级 / restoration priority class (1 = highest)",
            )
        ],
    )


def unit_raster(result: RestorationResult, values: pd.Series) -> tuple[np.ndarray, Any]:
    """Burn unit values into a raster: the unit grid for grid units, else the criteria grid.

    Returns ``(array, transform)``; NaN outside the units. Polygon units are burned with the
    cell-centre rule (each cell takes the unit containing its centre).
    """
    units = result.units
    grid = units.attrs.get("grid")
    if grid is not None and {"row", "col"} <= set(units.columns):
        nrow, ncol = grid["shape"]
        out = np.full((nrow, ncol), np.nan, dtype=np.float32)
        out[units["row"].to_numpy(), units["col"].to_numpy()] = values.to_numpy(dtype=np.float32)
        return out, grid["transform"]
    from rasterio.features import rasterize

    from zoning.restoration.criteria import raster_grid

    transform, shape = raster_grid(units, resolution_m=result.scenario.raster_resolution_m)
    pos = rasterize(
        ((g, i) for i, g in enumerate(units.geometry) if g is not None and not g.is_empty),
        out_shape=shape,
        transform=transform,
        fill=-1,
        dtype="int32",
    )
    vals = values.to_numpy(dtype=np.float32)
    out = np.where(pos >= 0, vals[np.clip(pos, 0, None)], np.nan).astype(np.float32)
    return out, transform


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer | np.floating):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


def _ranking_table(units: pd.DataFrame) -> pd.DataFrame:
    cols = ["rank", "score", "priority_class"]
    cols += [
        c
        for c in (
            "county_name",
            "county_city",
            "area_ha",
            "intervention",
            "cost",
            "benefit",
            "selected",
            "locked",
        )
        if c in units.columns
    ]
    cols += [c for c in units.columns if c.startswith("contrib_")]
    cols += [c for c in units.columns if c.startswith("raw_")]
    table = pd.DataFrame(units[cols]).reset_index(drop=True)
    table.insert(0, "unit_id", units.index.astype(str))
    return table.sort_values(["rank", "unit_id"], kind="stable").reset_index(drop=True)


def _write_map(result: RestorationResult, path: Path, score: np.ndarray, transform: Affine) -> None:
    import geopandas as gpd
    from rasterio.warp import calculate_default_transform, reproject

    h, w = score.shape
    left, top = transform.c, transform.f
    right, bottom = left + w * transform.a, top + h * transform.e
    dst_t, dw, dh = calculate_default_transform(
        result.grid_crs, "EPSG:4326", w, h, left=left, bottom=bottom, right=right, top=top
    )
    lonlat = np.full((dh, dw), np.nan, dtype=np.float32)
    reproject(
        score,
        lonlat,
        src_transform=transform,
        src_crs=result.grid_crs,
        dst_transform=dst_t,
        dst_crs="EPSG:4326",
        src_nodata=np.nan,
        dst_nodata=np.nan,
    )
    bounds = (dst_t.c, dst_t.f + dh * dst_t.e, dst_t.c + dw * dst_t.a, dst_t.f)
    units = result.units
    is_grid = units.attrs.get("grid") is not None
    title = f"生态修复优先级 / Restoration priority — {result.scenario.title}"
    try:
        import zoning.maps as zm
    except ImportError:  # pragma: no cover - the maps module ships with zoning
        import folium

        m = folium.Map(
            tiles=None,
            location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
            zoom_start=7,
        )
        m.save(str(path))
        return
    show_units = None
    if not is_grid:
        show_units = units.to_crs("EPSG:4326")[["score", "rank", "geometry"]].copy()
        show_units["unit_id"] = units.index.astype(str)
    m = zm.restoration_map(lonlat, bounds, units=show_units, nodata=None, title=title)
    if "selected" in units.columns and units["selected"].any():
        chosen = units[units["selected"]]
        key = "intervention" if "intervention" in chosen.columns else None
        dissolved = chosen.dissolve(by=key).reset_index() if key else chosen.dissolve()
        dissolved = gpd.GeoDataFrame(dissolved, geometry="geometry", crs=units.crs)
        dissolved = dissolved.to_crs("EPSG:4326")
        fields = [c for c in ("intervention",) if c in dissolved.columns]
        zm.add_layer(
            m,
            dissolved[[*fields, "geometry"]],
            name="修复组合 / Portfolio",
            tooltip_fields=fields or None,
            style={"color": "#2c7bb6", "weight": 1, "fillOpacity": 0.25},
        )
    zm.finish(m)
    atomic_write_text(path, zm.map_html(m), overwrite=True)


def write_outputs(
    result: RestorationResult, folder: str | Path, *, map_html: bool = True, docx: bool = False
) -> dict[str, Any]:
    """Write every output of a restoration run into ``folder`` (which must exist).

    With ``docx=True`` also ``report.docx`` (:func:`zoning.docx_report.restoration_docx`).
    Returns the report dictionary written to ``report.json``.
    """
    from zoning.io.geotiff import write_geotiff
    from zoning.io.tables import write_table
    from zoning.restoration.portfolio import plot_ranking_curve

    folder = Path(folder)
    units = result.units
    score, transform = unit_raster(result, units["score"])
    bands = {"score": score, "priority_class": unit_raster(result, units["priority_class"])[0]}
    if "selected" in units.columns:
        bands["selected"] = unit_raster(result, units["selected"].astype(float))[0]
    write_geotiff(folder / "priority.tif", bands, transform=transform, crs=result.grid_crs)
    crit = {
        c[len("norm_") :]: unit_raster(result, units[c])[0]
        for c in units.columns
        if c.startswith("norm_")
    }
    k = int(units["priority_class"].max()) if len(units) else 1
    write_class_geotiff(
        folder / "priority_class.tif",
        bands["priority_class"],
        transform=transform,
        crs=result.grid_crs,
        k=k,
    )
    if crit:
        write_geotiff(folder / "criteria.tif", crit, transform=transform, crs=result.grid_crs)
    table = _ranking_table(units)
    write_table(table, folder / "ranking.csv")
    gpkg = units.reset_index(drop=True)
    gpkg.insert(0, "unit_id", units.index.astype(str))
    gpkg = gpkg.to_crs("EPSG:4490")
    for c in gpkg.columns:
        if gpkg[c].dtype == bool:
            gpkg[c] = gpkg[c].astype("int8")
    gpkg.attrs = {}
    from zoning.io import write_vector

    write_vector(gpkg, folder / "units.gpkg", layer="restoration_units")
    _style_units(folder / "units.gpkg", k)
    share = None
    if result.portfolio is not None:
        sel = units["selected"]
        share = float(units.loc[sel, "area_ha"].sum() / units["area_ha"].sum())
    write_table(result.curve, folder / "ranking_curve.csv")
    plot_ranking_curve(
        result.curve,
        folder / "ranking_curve.png",
        selected_area_share=share,
        title=f"Ranking curve — {result.scenario.title}",
    )
    if map_html:
        _write_map(result, folder / "map.html", score, transform)
    report = {
        "scenario": result.scenario.name,
        "title": result.scenario.title,
        "disclaimer": DISCLAIMER_SENTENCE,
        "illustrative": result.scenario.illustrative,
        "n_units": len(units),
        "area_ha": float(units["area_ha"].sum()),
        "weights": result.weights,
        "weights_method": result.scenario.weights.get("method", "direct"),
        "consistency_ratio": result.consistency_ratio,
        "classes": {
            str(k): int(v) for k, v in units["priority_class"].value_counts().sort_index().items()
        },
        "portfolio": result.portfolio.report() if result.portfolio is not None else None,
        "curve_top_10pct_area_benefit_share": float(
            np.interp(0.10, result.curve["area_share"], result.curve["benefit_share"])
        ),
        "provenance": result.provenance,
        "files": [*sorted(p.name for p in folder.iterdir()), "report.json"],
    }
    # the solver's wall-clock time is returned (and printed) but not written: reruns of the
    # same scenario give a byte-identical report.json
    written = dict(report)
    if report["portfolio"] is not None:
        written["portfolio"] = {k: v for k, v in report["portfolio"].items() if k != "time_s"}
    atomic_write_text(
        folder / "report.json",
        json.dumps(written, ensure_ascii=False, indent=2, default=_json_default),
        overwrite=True,
    )
    if docx:
        from zoning.docx_report import restoration_docx

        restoration_docx(
            folder / "report.docx",
            report=report,
            ranking=table,
            curve_png=(folder / "ranking_curve.png").read_bytes(),
        )
    return report
