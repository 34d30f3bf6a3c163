"""Screenings kept for download: each under a random id, for an hour, a bounded number.

``GET /api/screen/{id}/<file>`` renders the file from the kept :class:`ScreeningResult` on
demand (the same writers as ``zoning screen --out``). A screening done in a worker process
keeps its sites instead, and the result is re-made in the main process on the first download
(the same input gives the same result, byte for byte): ``report.html``, ``result.json``,
``summary.csv``, ``ranking.csv`` (several sites), ``map.html`` (the offline map of the sites
and the zones they hit) and ``features.geojson`` (the sites and hit zones the page draws).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zoning.serve.responses import ApiError

if TYPE_CHECKING:
    from zoning.screening import ScreeningResult

__all__ = ["DOWNLOADS", "KeptResult", "ResultStore", "render_download"]


@dataclass
class KeptResult:
    """One screening kept for download: its result, or how to re-make it."""

    kept: ScreeningResult | None
    compare: bool
    created: float
    remake: Callable[[], ScreeningResult] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def result(self) -> ScreeningResult:
        """The screening (re-made once, on first use, when it was done in a worker process)."""
        with self._lock:
            if self.kept is None:
                if self.remake is None:
                    raise ValueError("a kept screening needs its result or a way to re-make it")
                self.kept = self.remake()
                self.remake = None
            return self.kept


class ResultStore:
    """Results by id, dropped after ``ttl_s`` seconds or when more than ``max_items`` are kept."""

    def __init__(self, ttl_s: float = 3600.0, max_items: int = 200) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._items: OrderedDict[str, KeptResult] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Return the number of results kept (expired ones included until the next purge)."""
        return len(self._items)

    def _purge(self, now: float) -> None:
        while self._items:
            key, item = next(iter(self._items.items()))
            if now - item.created > self.ttl_s or len(self._items) > self.max_items:
                del self._items[key]
            else:
                break

    def put(
        self,
        result: ScreeningResult | None,
        *,
        compare: bool,
        remake: Callable[[], ScreeningResult] | None = None,
    ) -> str:
        """Keep ``result`` (or ``remake``, which makes it when first needed); return its id.

        The id is unguessable and URL-safe.
        """
        key = secrets.token_urlsafe(16)
        now = time.monotonic()
        with self._lock:
            self._items[key] = KeptResult(result, compare, now, remake)
            self._purge(now)
        return key

    def get(self, key: str) -> KeptResult:
        """Return the kept result or raise a 404 :class:`ApiError`."""
        with self._lock:
            self._purge(time.monotonic())
            item = self._items.get(key)
        if item is None:
            raise ApiError(
                404,
                "not_found",
                f"no screening {key!r} on this server; expected the id of a screening of the "
                "last hour; fix: screen the site again",
            )
        return item


#: file name -> media type
DOWNLOADS: dict[str, str] = {
    "report.html": "text/html; charset=utf-8",
    "result.json": "application/json",
    "summary.csv": "text/csv; charset=utf-8",
    "ranking.csv": "text/csv; charset=utf-8",
    "map.html": "text/html; charset=utf-8",
    "features.geojson": "application/geo+json",
    "report.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _features(result: ScreeningResult) -> dict[str, Any]:
    """Sites (with verdicts) and the zones they hit, as one GeoJSON FeatureCollection."""
    import shapely

    features: list[dict[str, Any]] = []
    for row in result.sites.itertuples(index=False):
        features.append(
            {
                "type": "Feature",
                "properties": {"role": "site", "site_id": row.site_id, "verdict": row.verdict},
                "geometry": shapely.geometry.mapping(row.geometry),
            }
        )
    hits = result.hit_features()
    if len(hits):
        for row in hits.itertuples(index=False):
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "role": "hit",
                        "layer_kind": row.layer_kind,
                        "zone": row.zone,
                        "feature_id": str(row.feature_id),
                        "name": None if row.name is None or row.name != row.name else str(row.name),
                        "outcome": row.outcome,
                        "rule_id": row.rule_id if isinstance(row.rule_id, str) else None,
                    },
                    "geometry": shapely.geometry.mapping(row.geometry),
                }
            )
    return {"type": "FeatureCollection", "features": features}


def render_download(item: KeptResult, name: str) -> str | bytes:
    """Render download ``name`` of a kept screening (text, or bytes for the Word report)."""
    from zoning.screening.html import render_html
    from zoning.screening.report import screening_json, to_csv

    result = item.result
    if name == "report.html":
        return render_html(result, include_map=True)
    if name == "result.json":
        return screening_json(result, compare=item.compare)
    if name in ("summary.csv", "ranking.csv"):  # with the BOM Excel needs (zoning.io.tables)
        from zoning.io.tables import csv_bytes

        if name == "ranking.csv":
            return csv_bytes(result.compare(), index=False, encoding="utf-8-sig")
        return to_csv(result).encode("utf-8-sig")  # charset=utf-8 is what is served
    if name == "map.html":
        from zoning.maps import map_html
        from zoning.screening.html import result_map

        return map_html(result_map(result))
    if name == "features.geojson":
        return json.dumps(_features(result), ensure_ascii=False)
    if name == "report.docx":
        import tempfile
        from pathlib import Path

        from zoning.screening.docx import screening_docx

        with tempfile.TemporaryDirectory(prefix="zoning-docx-") as tmp:
            return screening_docx(result, Path(tmp) / "report.docx").read_bytes()
    raise ApiError(
        404,
        "not_found",
        f"no download {name!r}; expected one of {', '.join(DOWNLOADS)}",
    )
