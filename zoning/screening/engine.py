"""The screening engine: :func:`screen_sites`, from sites and layers to explained verdicts.

Sites are prepared (:mod:`zoning.screening.site`), paired with candidate features by the layer
index (:mod:`zoning.screening.index`) and measured exactly in their Gauss–Krüger zone
(:mod:`zoning.screening.metrics`); the rules (:mod:`zoning.rules`) are applied to the hits, per
site (area-wide and outside-a-zone rules) and for missing layers; the strictest outcome is the
verdict. The answer is a :class:`~zoning.screening.result.ScreeningResult`.
"""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zoning.errors import ZoningUsageError
from zoning.rules import SEVERITY, Assessment, Rule, RulePack, load_rulepacks
from zoning.screening.buckets import pausing_gc
from zoning.screening.groups import dissolved_totals, row_patterns
from zoning.screening.index import (
    build_index,
    nearest_features,
    sites_in_layer_crs,
    transform_geoms,
    warm_layers,
)
from zoning.screening.jurisdiction import site_jurisdictions
from zoning.screening.metrics import run_pair_metrics
from zoning.screening.nearby import add_far_pairs, settle_pairs, without_far
from zoning.screening.result import ScreeningResult
from zoning.screening.site import gcj02_warning, gk_epsg_of, prepare_sites
from zoning.screening.verdicts import site_verdicts
from zoning.threads import resolve_n_jobs

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj

    from zoning.projects import ProjectType

__all__ = ["screen", "screen_sites"]


@dataclass(frozen=True)
class _RuleEval:
    rule: Rule
    outcome: str
    missing: tuple[str, ...]
    assessment: Assessment | None = None


_EVAL_CACHE: dict[Any, tuple[list[RulePack], dict[str, list[_RuleEval]]]] = {}


def _evaluate_rules(
    packs: Sequence[RulePack], pt: ProjectType, attrs: Mapping[str, Any], as_of: dt.date
) -> dict[str, list[_RuleEval]]:
    """Rules per kind that cover the project type, are in force and whose conditions hold.

    Rules that need no layer are listed under the kind ``""``. Results are memoised per pack
    objects, type, attributes and date (the packs are frozen; a screening of one site should
    not pay for evaluating every rule again).
    """
    try:
        key: Any = (tuple(map(id, packs)), pt.id, tuple(sorted(attrs.items())), as_of)
        hash(key)
    except TypeError:  # an unhashable attribute value: evaluate without the memo
        key = None
    hit = _EVAL_CACHE.get(key) if key is not None else None
    if hit is not None and all(a is b for a, b in zip(hit[0], packs, strict=True)):
        return dict(hit[1])  # the same pack objects (ids alone could be reused)
    out: dict[str, list[_RuleEval]] = {}
    for pack in packs:
        for rule in pack.rules:
            if not rule.in_effect(as_of) or not rule.covers_type(pt):
                continue
            a = rule.assess(attrs)
            if a.outcome is None:
                continue
            out.setdefault(rule.kind, []).append(_RuleEval(rule, a.outcome, a.missing, a))
    if key is not None:
        if len(_EVAL_CACHE) > 64:
            _EVAL_CACHE.clear()
        _EVAL_CACHE[key] = (list(packs), out)
    return out


def _binding(
    evals: dict[str, list[_RuleEval]], codes: Sequence[tuple[str, ...] | None]
) -> dict[str, np.ndarray]:
    """Per rule bound to a jurisdiction, per site: 1 binds, 0 does not, -1 cannot tell."""
    out: dict[str, np.ndarray] = {}
    memo: dict[str, np.ndarray] = {}
    for evs in evals.values():
        for ev in evs:
            jur = ev.rule.jurisdiction
            if not jur:
                continue
            if jur not in memo:
                val = {True: 1, False: 0, None: -1}
                per_codes: dict[Any, int] = {}  # sites of one county share their answer
                for c in set(codes):
                    per_codes[c] = val[ev.rule.binds(c)]
                memo[jur] = np.array([per_codes[c] for c in codes], dtype=np.int8)
            out[ev.rule.id] = memo[jur]
    return out


def _apply_rules(
    hits: pd.DataFrame,
    evals: dict[str, list[_RuleEval]],
    binding: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Add ``outcome``, ``rule_id``, ``rule_ids`` and ``checks`` to candidate rows.

    A rule bound to a jurisdiction fires only for sites in it (``binding``); for sites whose
    jurisdiction cannot be told its id goes to ``checks`` (evidence to check), not to the
    outcome. Rules that fire when a site lies outside a zone (``outside``) are not zone rules
    and are left to :func:`_area_rules`.
    """
    n = len(hits)
    binding = binding or {}
    outcome = np.full(n, "", dtype=object)
    rule_id = np.full(n, None, dtype=object)
    rule_ids: list[list[str]] = [[] for _ in range(n)]
    checks: list[list[str]] = [[] for _ in range(n)]
    if n:
        site_idx = hits["site_idx"].to_numpy(np.int64)
        names = hits["name"].to_numpy()
        inter = hits["intersects"].to_numpy()
        dist = hits["distance_m"].to_numpy()
        best = np.zeros(n, dtype=np.int64)
        for (kind, zone), rows in _kind_zone_groups(hits).items():
            for ev in evals.get(kind, []):
                if ev.rule.outside or not ev.rule.covers_zone(zone):
                    continue
                mask = inter[rows] | (dist[rows] <= ev.rule.buffer_m)
                if ev.rule.names:
                    mask &= np.array([ev.rule.covers_name(x) for x in names[rows]], dtype=bool)
                bind = binding.get(ev.rule.id)
                if bind is not None:
                    b = bind[site_idx[rows]]
                    for r in rows[mask & (b == -1)]:
                        checks[r].append(ev.rule.id)
                    mask &= b == 1
                sel = rows[mask]
                sev = SEVERITY[ev.outcome]
                for r in sel:
                    rule_ids[r].append(ev.rule.id)
                better = sel[sev > best[sel]]
                best[better] = sev
                outcome[better] = ev.outcome
                rule_id[better] = ev.rule.id
        # a zone hit that no rule covers for this project type: needs_info, never allowed
        uncovered = inter & (outcome == "")
        outcome[uncovered] = "needs_info"
    hits = hits.assign(
        outcome=outcome,
        rule_id=rule_id,
        rule_ids=pd.Series(rule_ids, index=hits.index, dtype=object),
    )
    if any(checks):  # rules whose area cannot be told for the site (rare: no admin data)
        hits["checks"] = checks
    hits["triggered"] = hits["outcome"] != ""
    return hits


#: below this many hits the groups are formed in Python (a pandas groupby costs ~3 ms at least)
_SMALL_GROUPBY = 4096


def _kind_zone_groups(hits: pd.DataFrame) -> dict[tuple[Any, Any], np.ndarray]:
    """Rows of ``hits`` per (kind, zone), as ``groupby([...]).indices`` (missing keys dropped)."""
    if len(hits) > _SMALL_GROUPBY:
        indices: Any = hits.groupby(["layer_kind", "zone"], sort=False).indices
        return dict(indices)
    groups: dict[tuple[Any, Any], list[int]] = {}
    kinds = hits["layer_kind"].to_numpy(dtype=object)
    zones = hits["zone"].to_numpy(dtype=object)
    for r, key in enumerate(zip(kinds, zones, strict=True)):
        if _missing(key[0]) or _missing(key[1]):
            continue
        groups.setdefault(key, []).append(r)
    return {k: np.array(v, dtype=np.int64) for k, v in groups.items()}


def _missing(value: Any) -> bool:
    """Tell whether a group key is missing (None or NaN), as ``groupby`` drops it."""
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


_NO_AREA_HITS = pd.DataFrame(
    {"site_idx": np.empty(0, np.int64), "rule_id": [], "outcome": [], "status": []}
)


def _area_rules(
    evals: dict[str, list[_RuleEval]],
    hits: pd.DataFrame,
    binding: Mapping[str, np.ndarray],
    n_sites: int,
    layer_kinds: Iterable[str],
    covered: np.ndarray | None = None,
) -> pd.DataFrame:
    """Evaluate the rules that apply per site rather than per zone hit.

    These are rules that need no layer (they bind every site of their jurisdiction) and rules
    that fire when a site is not inside any zone of a kind (``outside``). ``status`` is
    ``applies`` or ``check`` (jurisdiction unknown).
    """
    rows: list[tuple[int, str, str, str]] = []
    present = set(layer_kinds)
    cols: tuple[np.ndarray, ...] | None = None  # the hits' columns, read once
    for kind, evs in evals.items():
        for ev in evs:
            if kind and not ev.rule.outside:
                continue
            fires = np.ones(n_sites, dtype=bool)
            if ev.rule.outside:
                if kind not in present:
                    continue  # the missing layer is reported as such
                if covered is not None:
                    fires &= covered  # outside the data, "no zone here" is not known
                if len(hits):
                    if cols is None:
                        cols = (
                            hits["layer_kind"].to_numpy(dtype=object),
                            hits["inside"].astype(bool).to_numpy(),
                            hits["zone"].to_numpy(dtype=object),
                            hits["site_idx"].to_numpy(np.int64),
                        )
                    kinds, inside, zones, site_idx = cols
                    sel = np.flatnonzero((kinds == kind) & inside)
                    held = [r for r in sel if ev.rule.covers_zone(zones[r])]
                    fires[site_idx[held]] = False  # inside a zone the rule covers
            bind = binding.get(ev.rule.id)
            for i in np.flatnonzero(fires):
                b = 1 if bind is None else int(bind[i])
                if b:
                    rows.append((int(i), ev.rule.id, ev.outcome, "applies" if b == 1 else "check"))
    if not rows:
        return _NO_AREA_HITS
    return pd.DataFrame(rows, columns=["site_idx", "rule_id", "outcome", "status"])


def _missing_layers(
    evals: dict[str, list[_RuleEval]],
    layer_kinds: Iterable[str],
    binding: Mapping[str, np.ndarray],
    n_sites: int,
) -> list[list[str]]:
    """List per site the layer kinds a restrictive rule needs and the catalogue lacks.

    Rules whose jurisdiction surely excludes the site do not count.
    """
    present = set(layer_kinds)
    kinds: list[str] = []
    masks: list[np.ndarray] = []
    for kind, evs in evals.items():
        if not kind or kind in present:
            continue
        needed = np.zeros(n_sites, dtype=bool)
        for ev in evs:
            if ev.outcome == "allowed":
                continue
            bind = binding.get(ev.rule.id)
            needed |= True if bind is None else bind != 0
        kinds.append(kind)
        masks.append(needed)
    if all(m.all() for m in masks):  # every site lacks the same kinds (no jurisdiction)
        return [list(kinds) for _ in range(n_sites)]
    # sites share a few patterns of lacking kinds: build each pattern's list once
    patterns, which = row_patterns(np.array(masks).T)
    lists = [[k for k, need in zip(kinds, row, strict=True) if need] for row in patterns]
    return [list(lists[j]) for j in which.reshape(-1).tolist()]


@pausing_gc
def screen_sites(
    sites: gpd.GeoDataFrame,
    catalog_or_frames: Any,
    project_type: str | ProjectType,
    *,
    attrs: Mapping[str, Any] | Iterable[str] | None = None,
    rulepacks: Sequence[Any] | None = None,
    search_radius_m: float = 1000.0,
    tolerance_m: float = 10.0,
    coverage: Any = None,
    as_of: dt.date | str | None = None,
    site_id_field: str | None = None,
    n_jobs: int | None = None,
    check_gcj02: bool = False,
    jurisdiction: str | None = None,
    workers: int | None = None,
) -> ScreeningResult:
    """Screen sites for a project type against every control layer; explain the verdicts.

    Parameters
    ----------
    sites : GeoDataFrame
        One row per site (points, lines, polygons; any CRS, declared). Invalid geometries are
        repaired with ``make_valid`` and reported.
    catalog_or_frames : Catalog, mapping of kind to GeoDataFrame, or ScreeningIndex
        The control layers (normalised frames, DESIGN.md).
    project_type : str or ProjectType
        A project type id (``zoning.projects``), alias or Chinese name.
    attrs : mapping or iterable of "key=value", optional
        Project attributes that change outcomes (``discharges_wastewater``, ``livestock_scale``…).
    rulepacks : sequence, optional
        Rule packs (bundled names, TOML paths, parsed documents or ``RulePack`` objects).
        Default: the bundled national and Shanxi packs.
    search_radius_m : float, default 1000
        Zones within this distance are reported as nearby (rule buffers widen it per kind).
    tolerance_m : float, default 10
        Positional tolerance: sites within it of a zone boundary are flagged ``near_boundary``.
    coverage : shapely geometry, optional
        Where the data is complete (EPSG:4490); default from the catalogue.
    as_of : date or ISO string, optional
        Date on which rules must be in force (default today).
    site_id_field : str, optional
        Column holding site ids (default ``site_id``, ``id``, ``name`` or the row number).
    n_jobs : int, optional
        Threads for the exact metrics (default: the idle CPUs by load average, 1 to 4;
        :func:`zoning.threads.resolve_n_jobs`).
    check_gcj02 : bool, default False
        Compare the sites with the catalogue's admin boundaries near them to flag GCJ-02
        (web-map) coordinates; adds ~50–100 ms, so the CLI turns it on and batch calls may not.
    jurisdiction : str, optional
        Administrative code of every site (``"140902"``), overriding the catalogue's
        ``admin_unit`` layer and its ``jurisdiction`` key (:mod:`zoning.screening.jurisdiction`).
        Rules of a province, city or county bind only sites known to lie there.
    workers : int, optional
        Deprecated alias of ``n_jobs`` (warns ``DeprecationWarning``).

    Returns
    -------
    ScreeningResult

    Raises
    ------
    UnknownProjectTypeError
        For an unknown project type (the closest ids are suggested).
    CRSError, EmptyInputError
        For sites without a CRS or without features.
    RulePackError
        For an invalid rule pack.
    """
    import shapely

    from zoning.projects import get_project_type, resolve_attrs

    pt = get_project_type(project_type)
    attrs_resolved = resolve_attrs(pt, attrs)
    packs = load_rulepacks(rulepacks)
    if as_of is None:
        as_of = dt.date.today()
    elif isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    if not (0 <= search_radius_m < np.inf and 0 <= tolerance_m < np.inf):  # NaN fails too
        raise ZoningUsageError(
            f"search_radius_m={search_radius_m}, tolerance_m={tolerance_m}; expected finite "
            "numbers ≥ 0 metres"
        )
    if workers is not None:
        warnings.warn(
            "screen_sites(workers=…) is deprecated; use n_jobs=…",
            DeprecationWarning,
            stacklevel=3,  # the caller, past the pausing_gc wrapper
        )
        if n_jobs is None:
            n_jobs = workers
    n_jobs = resolve_n_jobs(n_jobs or None)
    index = build_index(catalog_or_frames, coverage=coverage)
    # a new index's layers: their features' memory is read on a helper thread (GEOS, without
    # the GIL) while the sites are prepared here; the trees are then built on warm memory
    warming = warm_layers(index)
    site_frame, _ids = prepare_sites(sites, site_id_field)
    geoms_ll = np.asarray(site_frame.geometry.values, dtype=object)
    n_sites = len(geoms_ll)
    dims = shapely.get_dimensions(geoms_ll)

    warnings_: list[str] = []
    if check_gcj02:
        warnings_ += gcj02_warning(site_frame, index)

    # coverage: a catalogue that cannot say where its data is complete never answers allowed
    if index.coverage is not None:
        covered = shapely.covers(index.coverage, geoms_ll)
    else:
        covered = np.zeros(n_sites, dtype=bool)
        warnings_.append(
            "catalogue coverage unknown (no coverage file and no admin_unit layer): sites "
            "cannot be checked against where data is complete, so no site is 'allowed'; fix: "
            'add coverage = "boundary.gpkg" or an admin_unit layer to the catalogue'
        )

    # local Gauss–Krüger zone of each site; sites are measured in their own zone
    cx = shapely.get_coordinates(shapely.centroid(geoms_ll))[:, 0]
    epsg = gk_epsg_of(cx)
    site_gk = np.empty(n_sites, dtype=object)
    crs_of: dict[int, pyproj.CRS] = {}
    src = _crs_from_epsg(4490)
    for code in np.unique(epsg):
        crs_of[int(code)] = _crs_from_epsg(int(code))
        sel = epsg == code
        site_gk[sel] = transform_geoms(geoms_ll[sel], src, crs_of[int(code)])
    site_area = np.where(dims == 2, shapely.area(site_gk), 0.0)
    site_length = np.where(dims == 1, shapely.length(site_gk), 0.0)

    evals = _evaluate_rules(packs, pt, attrs_resolved, as_of)

    juris = site_jurisdictions(index, geoms_ll, explicit=jurisdiction)
    binding = _binding(evals, juris.codes)
    layer_pairs: list[tuple[str, Any, np.ndarray, np.ndarray, dict[str, np.ndarray]]] = []
    clips: list[np.ndarray] = []
    pieces_list: list[np.ndarray] = []
    intervals_list: list[np.ndarray] = []
    native_cache: dict[str, np.ndarray] = {}
    all_sites = np.arange(n_sites)
    far_kernel: list[bool] = []  # a nearby search of this batch ran numba's kernel
    if warming is not None:
        warming.join()
    for kind, layer in index.layers.items():
        max_buffer = max((ev.rule.buffer_m for ev in evals.get(kind, [])), default=0.0)
        radius = max(search_radius_m, max_buffer, tolerance_m)
        key = layer.crs_wkt
        if key not in native_cache:  # (GK sites in a layer's own CRS are not projected again)
            native_cache[key] = (
                geoms_ll
                if layer.epsg == 4490
                else sites_in_layer_crs(layer, all_sites, geoms_ll, site_gk, epsg, crs_of, src)[0]
            )
        si, fj = layer.query_pairs(native_cache[key], radius)
        if len(si) == 0:
            continue
        z = np.empty(len(si), dtype=object)
        for code, crs in crs_of.items():
            sel = epsg[si] == code
            if sel.any():
                z[sel] = layer.projected(fj[sel], crs)
        # pairs that need only a distance (nearby zones apart from the site, settle_pairs)
        far, far_d, far_in = settle_pairs(site_gk[si], z, radius, tolerance_m, n_jobs,
                                          used_kernel=far_kernel)  # fmt: skip
        m = run_pair_metrics(
            site_gk[si], without_far(z, far), dims[si], np.full(len(si), radius), tolerance_m,
            n_jobs, fj,
        )  # fmt: skip
        m = add_far_pairs(m, far, far_d, far_in, tolerance_m)
        keep = m.pop("keep")
        pieces_all = m.pop("clip")[keep]
        intervals_list.append(m.pop("intervals")[keep])
        clip = z[keep]  # the projected zone of each kept pair, dissolved later in by_layer
        si, fj = si[keep], fj[keep]
        m = {k: v[keep] for k, v in m.items()}
        clips.append(clip)
        pieces_list.append(pieces_all)
        layer_pairs.append((kind, layer, si, fj, m))
    clip_all = np.concatenate(clips) if clips else np.empty(0, dtype=object)
    pieces_cat = np.concatenate(pieces_list) if pieces_list else np.empty(0, dtype=object)
    intervals_cat = np.concatenate(intervals_list) if intervals_list else np.empty(0, dtype=object)
    # the nearest feature of every kind for sites that hit nothing; helper threads start that
    # search (GEOS, releasing the GIL) while this thread applies the rules and totals the hits
    hit_any = np.zeros(n_sites, dtype=bool)
    for _, _, si, _, m in layer_pairs:
        hit_any[si[m["intersects"].astype(bool)]] = True
    present = set(index.kinds) | set(index.layers)  # a kind with no features here is present
    done: dict[str, Any] = {}

    def rules_and_totals() -> None:  # (the hit rows' frames too: pandas, beside the search)
        frames = [_hit_frame(*p, dims, epsg, crs_of, site_area, site_length) for p in layer_pairs]
        hits = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[
            "site_idx", "layer_kind", "feature_idx", "zone", "feature_id", "name", "intersects",
            "inside", "overlap_area_m2", "overlap_length_m", "crossings", "distance_m",
            "boundary_distance_m", "share_of_site", "share_of_zone", "near_boundary"])  # fmt: skip

        def rules_and_verdicts() -> None:  # (beside the polygon unions: they need no rule)
            done["hits"] = rows = _apply_rules(hits, evals, binding)
            done["area"] = _area_rules(evals, rows, binding, n_sites, present, covered)
            done["missing"] = _missing_layers(evals, present, binding, n_sites)
            verdict, n_hits, near_any = site_verdicts(rows, done["area"], done["missing"], covered)
            done["sites"] = site_frame.assign(
                geometry_type=[g.geom_type for g in geoms_ll],
                verdict=verdict,
                covered=covered,
                n_hits=n_hits,
                site_area_m2=site_area,
                site_length_m=site_length,
                gk_epsg=epsg,
                near_boundary=near_any,
            )

        # the totals read the hits' metrics only, never the rules' columns
        done["by_layer"] = dissolved_totals(
            hits, pieces_cat, intervals_cat, site_gk, dims, site_area, site_length, n_jobs,
            area_kernel=bool(far_kernel), beside=rules_and_verdicts)  # fmt: skip

    nearest = nearest_features(
        index, np.flatnonzero(~hit_any), geoms_ll, site_gk, epsg, crs_of, src, n_jobs,
        first=rules_and_totals,
    )  # fmt: skip
    hits, area_hits, by_layer = done["hits"], done["area"], done["by_layer"]
    missing_layers: list[list[str]] = done["missing"]
    site_out = done["sites"]
    missing_kinds = sorted(set(evals) - present - {""})
    if missing_kinds:
        warnings_.append(
            "no layer in the catalogue for kind(s) with rules for this project type: "
            + ", ".join(missing_kinds)
        )
    return ScreeningResult(
        project_type=pt,
        attrs=attrs_resolved,
        user_attrs=dict(_user_attrs(attrs)),
        packs=list(packs),
        provenance=index.provenance,
        sites=site_out,
        hits=hits,
        by_layer=by_layer,
        nearest=nearest,
        parameters={
            "search_radius_m": search_radius_m,
            "tolerance_m": tolerance_m,
            "as_of": as_of.isoformat(),
        },
        warnings=warnings_,
        index=index,
        site_gk=site_gk,
        zone_gk=clip_all,
        area_hits=area_hits,
        jurisdictions=juris,
        missing_layers=missing_layers,
    )


def _hit_frame(
    kind: str,
    layer: Any,
    si: np.ndarray,
    fj: np.ndarray,
    m: dict[str, np.ndarray],
    dims: np.ndarray,
    epsg: np.ndarray,
    crs_of: Mapping[int, pyproj.CRS],
    site_area: np.ndarray,
    site_length: np.ndarray,
) -> pd.DataFrame:
    """Rows of one layer's kept pairs: the metrics ``m``, the feature's fields, the shares."""
    zone_area = np.full(len(si), np.nan)
    poly = (dims[si] == 2) & m["intersects"]
    for code, crs in crs_of.items():
        sel = poly & (epsg[si] == code)
        if sel.any():
            zone_area[sel] = layer.zone_area(fj[sel], crs)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_site = np.where(
            dims[si] == 2,
            m["overlap_area_m2"] / site_area[si],
            np.where(dims[si] == 1, m["overlap_length_m"] / site_length[si], 1.0),
        )
        share_site = np.where(m["intersects"], share_site, 0.0)
        share_zone = np.where(poly, m["overlap_area_m2"] / zone_area, np.nan)
    zone, fid, name = layer.fields(fj)
    return pd.DataFrame(
        {
            "site_idx": si,
            "layer_kind": kind,
            "feature_idx": fj,
            "zone": zone,
            "feature_id": fid,
            "name": name,
            **m,
            "share_of_site": share_site,
            "share_of_zone": share_zone,
        }
    )


@functools.lru_cache(maxsize=64)
def _crs_from_epsg(code: int) -> pyproj.CRS:
    """``pyproj.CRS.from_epsg(code)``, built once per process (a PROJ database look-up)."""
    import pyproj

    return pyproj.CRS.from_epsg(code)


def _user_attrs(attrs: Any) -> Mapping[str, Any]:
    from zoning.projects import parse_attrs

    return parse_attrs(attrs)


#: ``zoning.screen``: the same function as :func:`screen_sites` (the flat public name).
screen = screen_sites
