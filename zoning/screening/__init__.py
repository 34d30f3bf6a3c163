"""Site screening: can this project go here? Every constraint hit, by how much, and why.

:func:`screen_sites` screens many sites (points, lines, polygons) against the control layers of
a catalogue in one pass and returns a :class:`ScreeningResult`; the report side renders it
(JSON and CSV: :mod:`~zoning.screening.report`; HTML and map: :mod:`~zoning.screening.html`;
Word: :mod:`~zoning.screening.docx`; the output folder: :func:`write_screening`).

Modules
-------
index
    Layer indexes (one STRtree per kind, projected features cached), nearest features.
site
    Site preparation: checks, ids, repair, GCJ-02 warning.
metrics, segments
    Exact pair metrics in Gauss–Krüger metres, in buckets of pairs; line sites measured and
    tested segment by segment against the zone cut to each segment, rectangle clipping.
groups, buckets
    Group sums and per-zone totals (overlapping features unioned once); buckets of pairs run
    on the calling thread plus ``n_jobs - 1`` helper threads.
nearby, nearkernel
    Distances of pairs whose envelopes lie apart (nearby zones), against runs of the zone's
    rings (a numba kernel picks the runs, GEOS measures them).
engine
    :func:`screen_sites`: candidates, metrics, rules, verdicts.
result
    :class:`ScreeningResult`, a plain value: data, explanations, ``summary``, ``compare``.
reasons, jurisdiction
    Reason texts; each site's administrative codes.
report, html, docx, outputs
    JSON and CSV; HTML report and map; Word report; the output folder.
request
    One ``zoning screen`` request (read the site file, screen it), shared with the server.

How it works
------------
1. **Candidates** come from one ``shapely.STRtree`` per layer kind, queried in bulk with every
   site's envelope grown by the search radius (or the largest rule buffer of the kind).
2. **Exact metrics** are computed only for candidate pairs, in the local CGCS2000 3-degree
   Gauss–Krüger zone of each site (``zoning.crs.gk_epsg_for_lon``; sites are grouped by zone and
   only candidate features are projected): containment and distance to the zone boundary for
   points; length inside and number of boundary crossings for lines; overlap area, share of the
   site and share of the zone for polygons; distance from the zone boundary for sites outside.
   A site wholly inside a zone (``contains_properly`` on prepared geometry) is never clipped.
   Pairs whose envelopes lie apart only need a distance (``nearby``): it is measured against
   the runs of the zone's rings that can hold the nearest point, GEOS's value bit for bit.
   Pairs are processed in chunks on a thread pool (shapely releases the GIL).
3. **by_layer** totals each kind and zone on the dissolved layer: the clipped pieces of one
   site are unioned, so overlapping features are counted once.
4. **Rules** (``zoning.rules``) are matched by kind, zone, project type and feature name, and
   evaluated on the project attributes. A rule with ``buffer_m`` also catches sites outside the
   zone within that distance of its boundary.
5. **Verdict**: the strictest outcome wins, in the order ``prohibited`` > ``needs_info`` >
   ``conditional`` > ``allowed``. ``needs_info`` ranks above ``conditional`` because missing
   facts (an attribute, the functional zone, data coverage) may still turn a site prohibited,
   and below ``prohibited`` because a prohibition holds whatever the missing facts are. A zone
   hit that no rule covers for the project type is ``needs_info``; so is a site not wholly
   inside the catalogue's coverage. A site that hits nothing inside the coverage is
   ``allowed``, and for such sites the nearest feature of every kind is reported.

Examples
--------
>>> import geopandas as gpd
>>> from shapely import box
>>> zones = gpd.GeoDataFrame(
...     {"feature_id": ["ws1"], "kind": ["water_source"], "zone": ["level1"], "name": ["A"]},
...     geometry=[box(500_000, 4_200_000, 501_000, 4_201_000)], crs="EPSG:4547"
... ).to_crs("EPSG:4490")
>>> site = gpd.GeoDataFrame(
...     geometry=[box(500_100, 4_200_100, 500_200, 4_200_200)], crs="EPSG:4547")
>>> result = screen_sites(site, {"water_source": zones}, "chemical")
>>> result.sites["verdict"].tolist()
['prohibited']
>>> round(result.hits["overlap_area_m2"].iloc[0])
10000
"""

from zoning.screening.engine import screen, screen_sites
from zoning.screening.html import render_html, result_map
from zoning.screening.index import ScreeningIndex, build_index
from zoning.screening.outputs import write_screening
from zoning.screening.report import DISCLAIMER, screening_document, screening_json
from zoning.screening.result import ScreeningResult

__all__ = [
    "DISCLAIMER",
    "ScreeningIndex",
    "ScreeningResult",
    "build_index",
    "render_html",
    "result_map",
    "screen",
    "screen_sites",
    "screening_document",
    "screening_json",
    "write_screening",
]
