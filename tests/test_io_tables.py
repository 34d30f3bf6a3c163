"""``zoning.io.tables.csv_bytes``: plain output tables are written without pandas' formatter,
byte for byte what ``DataFrame.to_csv`` writes; anything else is written by pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zoning.io.tables import csv_bytes

AWKWARD_TEXT = ["plain", "with,comma", 'with "quote"', "two\nlines", "cr\rhere", "", " 太原 ", "'"]
AWKWARD_FLOATS = [0.0, -0.0, 1e-300, 123456789.123456789, np.inf, -np.inf, np.nan, 2.5e16]


def _plain_frames() -> list[pd.DataFrame]:
    n = len(AWKWARD_TEXT)
    return [
        pd.DataFrame(
            {
                "unit_id": [f"14{i:04d}" for i in range(n)],
                "name": AWKWARD_TEXT,
                "area_km2": AWKWARD_FLOATS,
                "count": np.arange(n, dtype=np.int64) - 3,
                "flag": [True, False] * (n // 2),
                "obj text": pd.Series(AWKWARD_TEXT, dtype=object),
            }
        ),
        pd.DataFrame({"only": ["", "x", ""]}),  # a lone empty field is quoted by csv
        pd.DataFrame({"a,b": [1.5], 'c"d': ["e"]}),  # names that need quoting
        pd.DataFrame({"x": pd.Series([], dtype=np.float64)}),  # no rows
    ]


@pytest.mark.parametrize("frame", _plain_frames())
@pytest.mark.parametrize("fmt", ["%.10g", "%.3f", "%g"])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_plain_tables_are_written_as_pandas_writes_them_without_pandas(
    frame, fmt, encoding, monkeypatch
):
    expected = frame.to_csv(index=False, float_format=fmt, lineterminator="\n").encode(encoding)

    def refuse(*args, **kwargs):
        raise AssertionError("a plain table went through pandas' formatter")

    monkeypatch.setattr(pd.DataFrame, "to_csv", refuse)
    assert csv_bytes(frame, encoding=encoding, index=False, float_format=fmt) == expected


@pytest.mark.parametrize(
    "frame, to_csv",
    [
        (pd.DataFrame({"a": ["x", None]}), {"index": False, "float_format": "%g"}),  # missing text
        (pd.DataFrame({"a": ["x", np.nan]}, dtype="str"), {"index": False, "float_format": "%g"}),
        (pd.DataFrame({"a": [1, 2]}, dtype="Int64"), {"index": False, "float_format": "%g"}),
        (pd.DataFrame({"a": [1.5]}, dtype=np.float32), {"index": False, "float_format": "%g"}),
        (pd.DataFrame({"a": ["x", 3]}, dtype=object), {"index": False, "float_format": "%g"}),
        (pd.DataFrame({"a": [1.5]}), {"index": True, "float_format": "%g"}),  # an index
        (pd.DataFrame({"a": [1.5]}), {"index": False}),  # pandas' own float text
        (pd.DataFrame({"a": [1.5]}), {"index": False, "float_format": "%g", "na_rep": "-"}),
        (pd.DataFrame([[1.5, 2.5]], columns=["a", "a"]), {"index": False, "float_format": "%g"}),
        (pd.DataFrame({0: [1.5]}), {"index": False, "float_format": "%g"}),  # a name not text
        (
            pd.DataFrame({"d": pd.to_datetime(["2024-01-02"])}),
            {"index": False, "float_format": "%g"},
        ),
    ],
)
def test_other_tables_are_written_by_pandas(frame, to_csv):
    expected = frame.to_csv(lineterminator="\n", **to_csv).encode("utf-8-sig")
    assert csv_bytes(frame, **to_csv) == expected
