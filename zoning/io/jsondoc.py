"""JSON documents as zoning writes them: strict JSON (no NaN), UTF-8 text, indented.

``json.dumps`` writes NaN as ``NaN``, which is not JSON: no parser but Python's reads it
(issue 12). Every document zoning prints or writes goes through :func:`json_text`.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["finite_json", "json_text"]


def finite_json(value: Any) -> Any:
    """Return ``value`` with every NaN or infinite float replaced by ``None`` (JSON ``null``).

    Numpy scalars become Python numbers; mappings get string keys.

    Parameters
    ----------
    value : Any
        A document of dicts, lists, tuples and scalars.

    Returns
    -------
    Any
        The same document, finite.

    Examples
    --------
    >>> finite_json({"a": [1.0, float("nan")], "b": float("inf")})
    {'a': [1.0, None], 'b': None}
    """
    if isinstance(value, dict):
        return {str(k): finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars become Python numbers
    if item is not None and not isinstance(value, (str, bytes)) and callable(item):
        try:
            value = item()
        except (TypeError, ValueError):
            return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def json_text(doc: Any) -> str:
    """Return ``doc`` as strict JSON text: finite, UTF-8 characters kept, indented by 2.

    Parameters
    ----------
    doc : Any
        The document; values JSON cannot hold are written with ``str``.

    Returns
    -------
    str
        The text.

    Examples
    --------
    >>> print(json_text({"面积": float("nan")}))
    {
      "面积": null
    }
    """
    return json.dumps(finite_json(doc), ensure_ascii=False, indent=2, default=str, allow_nan=False)
