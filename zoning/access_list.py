"""The 三线一单 unit's access list (生态环境准入清单), read from fields of the unit layer.

A control unit's list has four dimensions — 空间布局约束 (spatial layout), 污染物排放管控
(pollutant discharge), 环境风险防控 (environmental risk), 资源利用效率 (resource efficiency) —
usually one text field each in the unit layer; some layers carry the whole list in one field
(``combined``). A catalogue names the fields of a ``control_unit`` layer::

    [[layers]]
    kind = "control_unit"
    path = "units.shp"
    access_fields = { spatial_layout = "KJBJYS", pollutant_discharge = "WRWPF" }

Without ``access_fields`` the fields are found by their usual Chinese names
(:func:`detect_access_fields`). The screening quotes the list of the site's unit in JSON
(``access_list`` on the control-unit hit), the HTML report and the CSV.

Examples
--------
>>> detect_access_fields(["编码", "空间布局约束", "污染物排放管控要求", "geometry"])
{'spatial_layout': '空间布局约束', 'pollutant_discharge': '污染物排放管控要求'}
>>> fields, problems = parse_access_fields({"spatial": "KJBJ"}, "layer 1")
>>> problems[0].code
'unknown_access_dimension'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from zoning.errors import Problem
from zoning.kinds import normalise_zone_value

if TYPE_CHECKING:  # pandas is imported where a frame is read: loading a catalogue needs none
    import pandas as pd

__all__ = [
    "DIMENSIONS",
    "Dimension",
    "access_field_problems",
    "detect_access_fields",
    "frame_access_lists",
    "parse_access_fields",
]


@dataclass(frozen=True)
class Dimension:
    """One dimension of the access list, with the field names real unit layers use."""

    id: str
    name_zh: str
    name_en: str
    field_names: tuple[str, ...]


#: the dimensions in the order of the 三线一单 technical guide; ``combined`` is the whole list
DIMENSIONS: dict[str, Dimension] = {
    d.id: d
    for d in (
        Dimension(
            "spatial_layout",
            "空间布局约束",
            "Spatial layout constraints",
            ("空间布局约束", "空间布局约束要求", "空间布局", "布局约束", "空间布局管控"),
        ),
        Dimension(
            "pollutant_discharge",
            "污染物排放管控",
            "Pollutant discharge control",
            ("污染物排放管控", "污染物排放管控要求", "污染物排放", "排放管控", "污染物排放控制"),
        ),
        Dimension(
            "environmental_risk",
            "环境风险防控",
            "Environmental risk prevention",
            ("环境风险防控", "环境风险防控要求", "环境风险", "风险防控", "环境风险管控"),
        ),
        Dimension(
            "resource_efficiency",
            "资源利用效率",
            "Resource use efficiency",
            (
                "资源利用效率",
                "资源利用效率要求",
                "资源开发效率",
                "资源开发效率要求",
                "资源利用",
                "资源利用效率管控",
            ),
        ),
        Dimension(
            "combined",
            "生态环境准入清单",
            "Access list (all dimensions in one field)",
            ("生态环境准入清单", "准入清单", "环境准入清单", "管控要求", "准入要求"),
        ),
    )
}


def parse_access_fields(value: Any, where: str) -> tuple[dict[str, str], list[Problem]]:
    """Check a catalogue's ``access_fields`` table: dimension id → field name.

    Parameters
    ----------
    value : Any
        The TOML value.
    where : str
        Where it was found (``"layer 3"``), for the messages.

    Returns
    -------
    (dict, list of Problem)
        The valid pairs and a problem for each invalid one.
    """
    label = f"{where} (control_unit)"
    expected = ", ".join(f"{d.id} ({d.name_zh})" for d in DIMENSIONS.values())
    if not isinstance(value, Mapping):
        return {}, [
            Problem(
                "bad_access_fields",
                f"{label}: access_fields is {value!r}; expected a table of dimension = field "
                f'name, e.g. {{ spatial_layout = "空间布局约束" }}; dimensions: {expected}',
            )
        ]
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for dim, fld in value.items():
        if dim not in DIMENSIONS:
            problems.append(
                Problem(
                    "unknown_access_dimension",
                    f"{label}: access_fields names unknown dimension {dim!r}; expected one of "
                    f"{expected}; fix: rename the key",
                )
            )
        elif not isinstance(fld, str) or not fld.strip():
            problems.append(
                Problem(
                    "bad_access_fields",
                    f"{label}: access_fields.{dim} is {fld!r}; expected the name of a text "
                    "field of the unit layer",
                )
            )
        else:
            out[dim] = fld
    return out, problems


def detect_access_fields(columns: Iterable[Any]) -> dict[str, str]:
    """Find the access-list fields among ``columns`` by their usual Chinese names.

    The first column matching a dimension's names (after the normalisation of zone values:
    NFKC, no spaces or punctuation) is taken; ``combined`` only when no per-dimension field
    was found.
    """
    cols = [c for c in columns if isinstance(c, str)]
    norm = {c: normalise_zone_value(c) for c in cols}
    out: dict[str, str] = {}
    for dim in DIMENSIONS.values():
        names = {normalise_zone_value(n) for n in dim.field_names}
        hit = next((c for c in cols if norm[c] in names and c not in out.values()), None)
        if hit is not None:
            out[dim.id] = hit
    if len(out) > 1:
        out.pop("combined", None)
    return out


def access_field_problems(
    columns: Iterable[Any], fields: Mapping[str, str], where: str
) -> list[Problem]:
    """Problems for ``access_fields`` naming fields the layer does not have (errors)."""
    cols = [str(c) for c in columns if c != "geometry"]
    missing = [(dim, fld) for dim, fld in fields.items() if fld not in cols]
    return [
        Problem(
            "missing_access_field",
            f"{where}: access_fields.{dim} names field {fld!r}, which the layer does not have; "
            f"expected one of its fields: {', '.join(cols)}; fix: correct the field name or "
            "drop the entry",
        )
        for dim, fld in missing
    ]


def _text(value: Any) -> str | None:
    import pandas as pd

    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def frame_access_lists(
    frame: pd.DataFrame, fields_by_layer: Mapping[str, Mapping[str, str]] | None = None
) -> np.ndarray:
    """Return the access list of every row of a unit frame: ``{dimension: text}`` or ``None``.

    Parameters
    ----------
    frame : DataFrame
        A ``control_unit`` frame (normalised: its ``layer`` column names the catalogue layer).
    fields_by_layer : mapping, optional
        Catalogue layer name → ``{dimension: field}``. A layer not in it (or no mapping at all,
        e.g. frames passed directly) has its fields detected from the frame's columns.

    Returns
    -------
    numpy.ndarray
        Object array, one entry per row; ``None`` where the row has no access-list text.
    """
    import pandas as pd

    out = np.full(len(frame), None, dtype=object)
    if not len(frame):
        return out
    layers = (
        frame["layer"].to_numpy(dtype=object)
        if "layer" in frame.columns
        else np.full(len(frame), None, dtype=object)
    )
    detected = detect_access_fields(frame.columns)
    for layer in pd.unique(layers):
        rows = np.flatnonzero(layers == layer) if layer is not None else np.arange(len(frame))
        fields = (fields_by_layer or {}).get(layer) if layer is not None else None
        fields = dict(fields) if fields else detected
        fields = {d: f for d, f in fields.items() if f in frame.columns}
        if not fields:
            continue
        order = [d for d in DIMENSIONS if d in fields]
        values = {d: frame[fields[d]].to_numpy(dtype=object)[rows] for d in order}
        for k, r in enumerate(rows):
            entry = {d: t for d in order if (t := _text(values[d][k])) is not None}
            out[r] = entry or None
    return out
