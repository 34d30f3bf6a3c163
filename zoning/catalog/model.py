"""The layer catalogue, loaded: the control layers of a place, read lazily and cached.

A catalogue names layers by kind, with paths relative to the TOML file::

    name = "my county 2024"
    coverage = "boundary.gpkg"          # optional: where the catalogue is complete
    jurisdiction = "140902"             # optional: the county, when there is no admin layer
    [[layers]]
    kind = "water_source"
    path = "data/ws.shp"
    zone_field = "级别"
    crs = "EPSG:4490"                   # only when the file has none
    encoding = "gbk"                    # only when the file needs it

Optional keys per layer: ``layer``, ``name`` (defaults to the kind, suffixed when a kind
appears twice), ``zone_field``, ``name_field``, ``id_field``, ``crs``, ``encoding``,
``zone_map`` (raw value → zone id), ``access_fields`` (control units: access-list dimension →
field, :mod:`zoning.access_list`), and provenance: ``illustrative``, ``source``, ``licence``,
``vintage``. :func:`zoning.catalog.load_catalog` checks the file itself (collecting every
problem, :mod:`zoning.catalog.load`); this module holds what it builds. Layers are read
lazily, validated, repaired, reprojected to EPSG:4490 and cached as GeoParquet keyed by the
checksums of the source and of the layer's declaration, so no run reprojects twice.

Examples
--------
>>> import zoning as zn
>>> cat = zn.load_catalog(zn.datasets.get_path("demo"))
>>> "eco_redline" in cat.kinds
True
>>> ws = cat.frame("water_source")
>>> sorted(ws["zone"].unique())
['level1', 'level2', 'quasi']
>>> ws.crs.to_epsg()
4490
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoning.catalog.cachekeys import (
    ReadAhead,
    cache_paths,
    crs_key,
    source_checksum,
    write_cache,
)
from zoning.errors import CatalogError, DatabaseError, InputFileError, LayerValidationError, Problem
from zoning.io.cachefiles import CACHE_ERRORS, cache_unwritable, discard_unreadable
from zoning.kinds import get_kind

if TYPE_CHECKING:  # imported where frames are made: loading a catalogue needs none of them
    import geopandas as gpd
    import pandas as pd
    import shapely

__all__ = ["Catalog", "LayerEntry", "LoadedLayer", "redacted", "units_of_level"]

logger = logging.getLogger("zoning.catalog")


@dataclass(frozen=True)
class LayerEntry:
    """One ``[[layers]]`` entry of a catalogue, paths resolved."""

    kind: str
    path: Path
    name: str
    layer: str | None = None
    zone_field: str | None = None
    name_field: str | None = None
    id_field: str | None = None
    crs: str | None = None
    encoding: str | None = None
    zone_map: dict[str, str] = field(default_factory=dict)
    access_fields: dict[str, str] = field(default_factory=dict)
    illustrative: bool = False
    source: str = ""
    licence: str = ""
    vintage: str = ""
    url: str = ""  # a PostGIS source (postgresql://…): read by zoning.io.postgis, never by GDAL
    sql: str | None = None

    def spec_digest(self) -> str:
        """Checksum of everything in the entry that changes the loaded frame."""
        spec = {
            k: v
            for k, v in asdict(self).items()
            if k not in {"illustrative", "source", "licence", "vintage"}
        }
        spec["path"] = str(self.path)
        spec["url"] = redacted(self.url)
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


@dataclass
class LoadedLayer:
    """A validated, normalised layer with its problems and repair log."""

    entry: LayerEntry
    frame: gpd.GeoDataFrame
    problems: list[Problem]
    repairs: pd.DataFrame
    source_sha256: str
    crs_found: str
    from_cache: bool


class Catalog:
    """A loaded catalogue: entries, lazily loaded layers, coverage and provenance.

    Use :func:`load_catalog` to create one.
    """

    def __init__(
        self,
        path: Path,
        name: str,
        entries: list[LayerEntry],
        coverage: tuple[Path, str | None] | None,
        *,
        use_cache: bool = True,
    ):
        self.path = path
        self.name = name
        self.entries = entries
        self._coverage_spec = coverage
        #: the catalogue-level administrative code (``jurisdiction = "140902"``), or None
        self.jurisdiction: str | None = None
        self._loaded: dict[str, LoadedLayer] = {}
        #: (name, CRS key) -> the whole projected frame; (name, CRS key, columns) -> a part
        self._projected_memo: dict[tuple[Any, ...], gpd.GeoDataFrame] = {}
        #: cache files read ahead, by (name, CRS key or None, columns or None)
        self._ahead = ReadAhead()
        self.use_cache = use_cache

    def __repr__(self) -> str:
        """Show the name, the number of layers and the kinds."""
        return f"Catalog({self.name!r}, {len(self.entries)} layers, kinds={self.kinds})"

    @property
    def kinds(self) -> list[str]:
        """Kinds present in the catalogue, in declaration order."""
        return list(dict.fromkeys(e.kind for e in self.entries))

    @property
    def is_illustrative(self) -> bool:
        """True when any layer is a generated stand-in."""
        return any(e.illustrative for e in self.entries)

    # ------------------------------------------------------------------ loading
    def load(self, name: str) -> LoadedLayer:
        """Load (or fetch from cache) the layer called ``name``.

        Raises
        ------
        LayerValidationError
            When the layer has error-level problems (all of them listed).
        """
        if name in self._loaded:
            return self._loaded[name]
        entry = next((e for e in self.entries if e.name == name), None)
        if entry is None:
            raise KeyError(
                f"no layer {name!r} in catalogue {self.path}; layers: "
                f"{', '.join(e.name for e in self.entries)}"
            )
        loaded = self._load_entry(entry)
        errors = [p for p in loaded.problems if p.severity == "error"]
        if errors:
            raise LayerValidationError(f"layer '{entry.name}' ({entry.path})", loaded.problems)
        self._loaded[name] = loaded
        return loaded

    def check(self) -> list[LoadedLayer]:
        """Load every layer without raising; problems are in each result."""
        import geopandas as gpd
        import pandas as pd

        out = []
        for entry in self.entries:
            if entry.name in self._loaded:
                out.append(self._loaded[entry.name])
                continue
            try:
                loaded = self._load_entry(entry)
            except (InputFileError, CatalogError, DatabaseError) as exc:
                loaded = LoadedLayer(
                    entry,
                    gpd.GeoDataFrame(),
                    [Problem("unreadable", str(exc))],
                    pd.DataFrame(),
                    "",
                    "",
                    False,
                )
            if all(p.severity != "error" for p in loaded.problems):
                self._loaded[entry.name] = loaded
            out.append(loaded)
        return out

    def frame(
        self, kind: str, *, crs: Any = None, columns: list[str] | None = None
    ) -> gpd.GeoDataFrame:
        """All layers of ``kind`` as one normalised frame (EPSG:4490; DESIGN.md).

        Parameters
        ----------
        kind : str
            Layer kind.
        crs : CRS-like, optional
            A measurable CRS (e.g. :data:`zoning.crs.ALBERS_CHINA`) to get the frame in,
            reprojected with :func:`zoning.crs.project`. The projected frame is cached on
            disk next to the validated one, so a run never pays a reprojection twice.
        columns : list of str, optional
            Only these normalised columns (:data:`zoning.kinds.NORMALISED_COLUMNS`)
            besides the geometry, in this order, e.g. ``["zone"]`` for statistics: a projected
            frame is then read from the cache without the other attributes (the costliest
            part of reading it). Default: every column.

        Returns
        -------
        geopandas.GeoDataFrame
            An absent kind gives an empty frame with the normalised columns.
        """
        import geopandas as gpd
        import pandas as pd

        get_kind(kind)
        _check_columns(columns)
        frames = [
            _only(self.load(e.name).frame, columns)
            if crs is None
            else self._projected(e.name, crs, columns)
            for e in self.entries
            if e.kind == kind
        ]
        if not frames:
            from zoning.kinds import NORMALISED_COLUMNS

            empty = gpd.GeoDataFrame(
                columns=NORMALISED_COLUMNS, geometry=gpd.GeoSeries(), crs="EPSG:4490"
            )
            return _only(empty if crs is None else empty.to_crs(crs), columns)
        if len(frames) == 1:
            return frames[0]
        out = pd.concat(frames, ignore_index=True)
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=frames[0].crs)
        out.attrs = dict(frames[0].attrs) if all(f.attrs == frames[0].attrs for f in frames) else {}
        return out

    def _projected(self, name: str, crs: Any, columns: list[str] | None = None) -> gpd.GeoDataFrame:
        """Layer ``name`` reprojected to ``crs`` (memory and disk cache), ``columns`` only."""
        import geopandas as gpd
        import pyproj

        from zoning.crs import mark_valid, project

        target = pyproj.CRS.from_user_input(crs)
        target_key = crs_key(target)
        whole = self._projected_memo.get((name, target_key))
        if whole is not None:
            return _only(whole, columns)
        key = (name, target_key) if columns is None else (name, target_key, tuple(columns))
        memo = self._projected_memo.get(key)
        if memo is not None:
            return memo
        entry = next(e for e in self.entries if e.name == name)
        checksum = self.load(name).source_sha256 if entry.url else source_checksum(entry.path)
        parquet, _ = self._cache_paths(entry, checksum)
        path = parquet.with_name(f"{parquet.stem}-{target_key}.parquet")
        out = None
        if self.use_cache and path.is_file():
            # written only after the layer validated, so no need to load the EPSG:4490 frame;
            # project() checked it valid in this CRS before writing it
            try:
                read = None if columns is None else [*columns, "geometry"]
                cols = None if columns is None else tuple(columns)
                ahead = self._ahead.frame((name, target_key, cols), path)
                out = mark_valid(
                    gpd.read_parquet(path, columns=read) if ahead is None else ahead, target
                )
            except CACHE_ERRORS as exc:  # damaged: rebuilt below
                discard_unreadable([path], exc)
        if out is None:
            out = project(self.load(name).frame, target)
            if self.use_cache:
                from zoning.io import write_vector

                try:
                    write_vector(out, path, overwrite=True)
                except OSError as exc:  # read-only or full cache: go on without it
                    cache_unwritable(path, exc)
            self._projected_memo[(name, target_key)] = out  # whole: kept for every request
            return _only(out, columns)
        self._projected_memo[key] = out
        return out

    def frames(self, kinds: list[str] | None = None) -> dict[str, gpd.GeoDataFrame]:
        """``{kind: frame}`` for ``kinds`` (default: every kind present)."""
        return {k: self.frame(k) for k in (kinds or self.kinds)}

    def admin_units(self, level: str = "county") -> gpd.GeoDataFrame:
        """Return the ``admin_unit`` features of a level (province | city | county)."""
        admin = self.frame("admin_unit")
        if "level" in admin.columns:
            picked = admin[admin["level"] == level]
        else:
            picked = admin[admin["zone"] == level]
        return picked.reset_index(drop=True)

    def access_fields(self, name: str) -> dict[str, str]:
        """Return the access-list dimension → field of the ``control_unit`` layer ``name``.

        As declared in the catalogue, else detected by the usual Chinese field names (empty
        when none).
        """
        from zoning.access_list import detect_access_fields

        entry = next((e for e in self.entries if e.name == name), None)
        if entry is None or entry.kind != "control_unit":
            return {}
        return dict(entry.access_fields) or detect_access_fields(self.load(name).frame.columns)

    @cached_property
    def coverage(self) -> shapely.Geometry | None:
        """Where the catalogue is complete (EPSG:4490), or None when unknown."""
        import shapely

        if self._coverage_spec is not None:
            from zoning.io import read_vector

            path, layer = self._coverage_spec
            cov = read_vector(path, layer=layer).to_crs("EPSG:4490")
            return shapely.union_all(shapely.make_valid(cov.geometry.to_numpy()))
        if "admin_unit" in self.kinds:
            admin = self.frame("admin_unit")
            top = admin[admin["zone"] == "province"] if "province" in set(admin["zone"]) else admin
            return shapely.union_all(top.geometry.to_numpy())
        return None

    def provenance(self) -> dict[str, Any]:
        """Return the JSON-able provenance of the catalogue and its layers.

        Catalogue name and path, and per layer the source checksum, vintage,
        real/illustrative and licence.
        """
        layers = []
        for e in self.entries:
            loaded = self._loaded.get(e.name)
            layers.append(
                {
                    "name": e.name,
                    "kind": e.kind,
                    "path": redacted(e.url) or str(e.path),
                    "layer": e.layer,
                    "sha256": loaded.source_sha256
                    if loaded
                    else (self.load(e.name).source_sha256 if e.url else source_checksum(e.path)),
                    "features": len(loaded.frame) if loaded else None,
                    "vintage": e.vintage,
                    "illustrative": e.illustrative,
                    "source": e.source,
                    "licence": e.licence,
                }
            )
        return {
            "name": self.name,
            "path": str(self.path),
            "illustrative": self.is_illustrative,
            "layers": layers,
        }

    def read_ahead(
        self,
        kinds: Sequence[str],
        crs: Any,
        columns: list[str] | None = None,
        *,
        loaded: Sequence[str] = (),
    ) -> threading.Thread | None:
        """Start reading the cached frames that :meth:`frame` will be asked for, on a thread.

        The source checksums, the cache files and their geometries
        (:func:`zoning.io.geoparquet.read_parts`: no pandas, mostly without the GIL) of the
        layers of ``kinds`` projected to ``crs`` (``columns`` only, as :meth:`frame` takes them)
        and of the validated layers of ``loaded`` are read while the caller goes on, e.g.
        importing pandas. :meth:`frame` takes what was read ahead for the same cache file and
        reads everything else as usual: a layer not cached, a damaged entry or a database
        layer is found, rebuilt and reported there, as before. Returns the reading thread
        (None without a cache), to be joined before the process ends at once.
        """
        if not self.use_cache:
            return None
        # the thread's imports are made here: pandas must not be imported on two threads at
        # once (its extension modules fail), and the thread imports nothing that imports it
        import pyarrow.parquet  # noqa: F401
        import pyproj
        import shapely  # noqa: F401

        target = crs_key(pyproj.CRS.from_user_input(crs))
        return self._ahead.start(
            [
                (
                    (e.name, key, None if cols is None else tuple(cols)),
                    e.path,
                    e.spec_digest(),
                    key,
                    cols,
                )
                for names, key, cols in ((loaded, None, None), (kinds, target, columns))  # as asked
                for e in self.entries
                if e.kind in names and not e.url
            ]
        )

    # ------------------------------------------------------------------ internals
    def _cache_paths(self, entry: LayerEntry, checksum: str) -> tuple[Path, Path]:
        return cache_paths(entry.spec_digest(), checksum)

    def _load_entry(self, entry: LayerEntry) -> LoadedLayer:
        if entry.url:
            return self._load_database_entry(entry)
        t0 = time.perf_counter()
        checksum = source_checksum(entry.path)
        parquet, meta = self._cache_paths(entry, checksum)
        cached = self._cached(entry, checksum, parquet, meta)
        if cached is not None:
            logger.debug("layer %s from cache in %.2f s", entry.name, time.perf_counter() - t0)
            return cached
        from zoning.io import read_vector

        raw = read_vector(
            entry.path,
            layer=entry.layer,
            encoding=entry.encoding,
            allow_empty=True,
            check_crs=False,
        )
        crs_found = raw.crs.to_string() if raw.crs is not None else ""
        check = _validated(entry, raw, declared_crs=entry.crs)
        loaded = LoadedLayer(
            entry,
            check.frame,
            check.problems,
            check.repairs,
            checksum,
            crs_found or f"(none; declared {entry.crs})",
            False,
        )
        if check.ok:
            self._keep(loaded, parquet, meta)
        logger.info("layer %s read and validated in %.2f s", entry.name, time.perf_counter() - t0)
        return loaded

    def _load_database_entry(self, entry: LayerEntry) -> LoadedLayer:
        """Read a PostGIS layer; the cache is keyed by the checksum of the rows read."""
        from zoning.io.postgis import read_layer

        t0 = time.perf_counter()
        raw, checksum = read_layer(entry.url, layer=entry.layer, sql=entry.sql, crs=entry.crs)
        parquet, meta = self._cache_paths(entry, checksum)
        cached = self._cached(entry, checksum, parquet, meta)
        if cached is not None:
            return cached
        check = _validated(entry, raw, declared_crs=None)
        crs_found = raw.crs.to_string() if raw.crs is not None else ""
        loaded = LoadedLayer(
            entry, check.frame, check.problems, check.repairs, checksum, crs_found, False
        )
        if check.ok:
            self._keep(loaded, parquet, meta)
        logger.info("layer %s read from PostGIS in %.2f s", entry.name, time.perf_counter() - t0)
        return loaded

    def _cached(
        self, entry: LayerEntry, checksum: str, parquet: Path, meta: Path
    ) -> LoadedLayer | None:
        """Return the layer from the cache, or None (no cache, or a damaged entry: discarded)."""
        if not (self.use_cache and parquet.is_file() and meta.is_file()):
            return None
        import geopandas as gpd
        import pandas as pd

        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            frame = self._ahead.frame((entry.name, None, None), parquet)
            frame = gpd.read_parquet(parquet) if frame is None else frame
            repairs = pd.DataFrame(info["repairs"])
            problems = [
                Problem(p["code"], p["message"], tuple(p["rows"]), p["severity"])
                for p in info["problems"]
            ]
            crs_found = info["crs_found"]
        except CACHE_ERRORS as exc:  # a damaged entry is rebuilt, with a warning
            discard_unreadable([parquet, meta], exc)
            return None
        return LoadedLayer(entry, frame, problems, repairs, checksum, crs_found, True)

    def _keep(self, loaded: LoadedLayer, parquet: Path, meta: Path) -> None:
        """Cache a valid layer; a read-only or full cache is warned about, not fatal."""
        if not self.use_cache:
            return
        try:
            write_cache(
                loaded.frame, loaded.problems, loaded.repairs, loaded.crs_found, parquet, meta
            )
        except OSError as exc:
            cache_unwritable(parquet, exc)


def _check_columns(columns: list[str] | None) -> None:
    """Refuse ``columns`` that are not normalised columns (every catalogue frame has those)."""
    from zoning.kinds import NORMALISED_COLUMNS

    unknown = [c for c in columns or [] if c not in NORMALISED_COLUMNS]
    if unknown:
        raise ValueError(
            f"columns {unknown} are not normalised columns; expected some of {NORMALISED_COLUMNS}"
        )


def _only(frame: gpd.GeoDataFrame, columns: list[str] | None) -> gpd.GeoDataFrame:
    """``frame`` with only ``columns`` and its geometry (all of it when ``columns`` is None)."""
    return frame if columns is None else frame[[*columns, frame.geometry.name]]


def _validated(entry: LayerEntry, raw: gpd.GeoDataFrame, declared_crs: str | None) -> Any:
    """Validate a layer as read (:func:`zoning.validation.validate_layer`), access fields too."""
    from zoning.validation import validate_layer

    check = validate_layer(
        raw,
        kind=entry.kind,
        layer_name=entry.name,
        zone_field=entry.zone_field,
        name_field=entry.name_field,
        id_field=entry.id_field,
        zone_map=entry.zone_map,
        declared_crs=declared_crs,
    )
    check.problems += _access_problems(entry, raw.columns)
    return check


def _access_problems(entry: LayerEntry, columns: Any) -> list[Problem]:
    """Errors for declared access-list fields the layer file does not have."""
    if not entry.access_fields:
        return []
    from zoning.access_list import access_field_problems

    return access_field_problems(columns, entry.access_fields, f"layer '{entry.name}'")


def redacted(url: str) -> str:
    """Return a PostGIS URL without its password ("" for a file layer)."""
    if not url:
        return ""
    from zoning.io.postgis import redact_url

    return redact_url(url)


def units_of_level(catalog: Catalog, level: str) -> gpd.GeoDataFrame:
    """Return the catalogue's ``admin_unit`` features of ``level``; raise when there are none.

    An ``admin_unit`` layer without a ``level`` column (and no ``zone_field`` giving the
    level) has no units of any level: statistics over it would be an empty table with exit 0.

    Raises
    ------
    CatalogError
        No ``admin_unit`` feature has this level; the message lists the levels found.
    """
    units = catalog.admin_units(level)
    if len(units):
        return units
    admin = catalog.frame("admin_unit")
    column = "level" if "level" in admin.columns else "zone"
    found = sorted({str(v) for v in admin[column].dropna()})[:10]
    raise CatalogError(
        f"catalogue {catalog.path}",
        [
            Problem(
                "no_units_of_level",
                f"the admin_unit layer has no {level} units ({column} values found: "
                f"{', '.join(found) or 'none'}); expected a `level` column (or zone_field) "
                "holding province / city / county; fix: add that column, set zone_field to "
                "the column holding the level, or pass --units FILE --unit-field FIELD",
            )
        ],
    )
