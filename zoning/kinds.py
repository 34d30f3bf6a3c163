"""Layer kinds and their canonical zones (生态保护红线, 自然保护地, 饮用水水源保护区 …).

The kinds are declared as data in ``zoning/specs/kinds.toml`` (also reachable as the
repository's ``layers/kinds.toml``). Chinese zone values found in real data are mapped
to canonical zone ids by :func:`canonical_zone`.

Examples
--------
>>> from zoning.kinds import canonical_zone, get_kind
>>> canonical_zone("water_source", "一级保护区")
'level1'
>>> canonical_zone("protected_area", " 缓冲区 ")
'buffer'
>>> get_kind("eco_redline").name_zh
'生态保护红线'
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from zoning.specs import spec_path

__all__ = [
    "KIND_IDS",
    "NORMALISED_COLUMNS",
    "Kind",
    "Zone",
    "canonical_zone",
    "get_kind",
    "kinds",
    "normalise_zone_value",
    "specs_dir",
]


#: columns every normalised layer frame starts with (DESIGN.md); here, not in
#: :mod:`zoning.validation`, so that choosing columns of a cached frame imports no validation
NORMALISED_COLUMNS = ["feature_id", "kind", "zone", "name", "layer"]


def specs_dir() -> Path:
    """Return the folder holding ``kinds.toml``: the bundled specs folder ``zoning/specs``."""
    return spec_path()


@dataclass(frozen=True)
class Zone:
    """A canonical zone of a layer kind (e.g. ``level1`` of ``water_source``)."""

    id: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kind:
    """A layer kind: names, geometry family, zones, cartography."""

    id: str
    name_zh: str
    name_en: str
    geometry: str
    default_zone: str
    overlaps_allowed: bool
    color: str
    zones: Mapping[str, Zone] = field(default_factory=dict)
    nesting: tuple[str, ...] = ()

    @property
    def zone_ids(self) -> tuple[str, ...]:
        """Canonical zone ids of this kind, in declaration order."""
        return tuple(self.zones)


_STRIP = re.compile(r"[\s\-_·•,，、。;；:：()（）\[\]【】\"'“”‘’/]+")


def normalise_zone_value(value: object) -> str:
    """Normalise a raw zone value for alias matching (NFKC, no spaces/punctuation, lower case).

    Examples
    --------
    >>> normalise_zone_value(" 一级 保护区（核心） ")
    '一级保护区核心'
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    return _STRIP.sub("", text)


@cache
def kinds() -> dict[str, Kind]:
    """Return every layer kind, keyed by id, read from ``kinds.toml``."""
    raw = tomllib.loads((specs_dir() / "kinds.toml").read_text(encoding="utf-8"))
    out: dict[str, Kind] = {}
    for kid, spec in raw["kinds"].items():
        zones = {
            zid: Zone(
                id=zid,
                name_zh=z["name_zh"],
                name_en=z["name_en"],
                aliases=tuple(normalise_zone_value(a) for a in z.get("aliases", [])),
            )
            for zid, z in spec.get("zones", {}).items()
        }
        out[kid] = Kind(
            id=kid,
            name_zh=spec["name_zh"],
            name_en=spec["name_en"],
            geometry=spec["geometry"],
            default_zone=spec.get("default_zone", ""),
            overlaps_allowed=bool(spec.get("overlaps_allowed", True)),
            color=spec["color"],
            zones=zones,
            nesting=tuple(spec.get("nesting", ())),
        )
    return out


KIND_IDS: tuple[str, ...] = tuple(kinds())


def get_kind(kind_id: str) -> Kind:
    """Return the :class:`Kind` ``kind_id``; raise ``KeyError`` naming the known kinds."""
    try:
        return kinds()[kind_id]
    except KeyError:
        raise KeyError(
            f"unknown layer kind {kind_id!r}; expected one of {', '.join(KIND_IDS)}"
        ) from None


def canonical_zone(
    kind_id: str, value: object, overrides: Mapping[str, str] | None = None
) -> str | None:
    """Map a raw zone value of ``kind_id`` to its canonical zone id, or ``None`` if unknown.

    Parameters
    ----------
    kind_id : str
        Layer kind.
    value : object
        Raw value from the data (e.g. ``"二级保护区"``). ``None``/empty gives the kind's
        ``default_zone`` when it has one, else ``None``.
    overrides : mapping, optional
        Per-layer mapping raw value → zone id, consulted first (after normalisation).

    Returns
    -------
    str or None
    """
    kind = get_kind(kind_id)
    key = normalise_zone_value(value)
    if not key:
        return kind.default_zone or None
    if overrides:
        for raw, zid in overrides.items():
            if normalise_zone_value(raw) == key:
                return zid
    if key in kind.zones:
        return key
    for zone in kind.zones.values():
        if key in zone.aliases:
            return zone.id
    return None
