"""Indicators against plan targets: the bundled table and the rules."""

from __future__ import annotations

import pandas as pd
import pytest

from zoning.errors import InputFileError, ScenarioError
from zoning.stats.indicators import default_targets_path, evaluate_indicators, load_targets


def test_bundled_targets_cite_the_seeds():
    t = load_targets()
    red = t[t.indicator == "eco_redline_share"].set_index("unit_id")
    assert red.loc["140000", "baseline"] == 21.95
    assert red.loc["140900", "baseline"] == 24.88
    assert red.loc["140215", "baseline"] == 34.2
    assert set(red.target_rule) == {"no_decrease"}
    assert (t.source.str.startswith("seeds/") & (t.source_lines != "")).all()


def _stats(unit, kind, share, area=100.0):
    return pd.DataFrame(
        {
            "unit_id": [unit],
            "layer_kind": [kind],
            "zone": ["all"],
            "area_km2": [area],
            "unit_area_km2": [1000.0],
            "share_pct": [share],
        }
    )


def test_no_decrease_and_at_least():
    stats = pd.concat(
        [_stats("140000", "eco_redline", 21.0), _stats("140000", "protected_area", 11.5)]
    )
    ev = evaluate_indicators(stats).set_index(["unit_id", "indicator"])
    red = ev.loc[("140000", "eco_redline_share")]
    assert red.met is not None and not red.met
    assert red.gap == pytest.approx(21.0 - 21.95)
    pa = ev.loc[("140000", "protected_area_share")]
    assert bool(pa.met) is True
    assert pa.gap == pytest.approx(0.5)
    # units absent from the statistics are reported, not judged
    assert ev.loc[("140215", "eco_redline_share")].met is None


@pytest.mark.parametrize(
    ("share", "met"),
    [
        (21.95, True),
        (21.9451, True),  # rounds to the published 21.95: no decrease that the figure shows
        (21.9449, False),  # rounds to 21.94: a decrease
        (21.96, True),
    ],
)
def test_no_decrease_is_judged_at_the_published_precision(share, met):
    ev = evaluate_indicators(_stats("140000", "eco_redline", share)).set_index(
        ["unit_id", "indicator"]
    )
    assert bool(ev.loc[("140000", "eco_redline_share")].met) is met


def test_at_least_targets_are_exact():
    """A target (11 %) is not a rounded measurement: 10.9 % does not reach it."""
    ev = evaluate_indicators(_stats("140000", "protected_area", 10.9)).set_index(
        ["unit_id", "indicator"]
    )
    assert bool(ev.loc[("140000", "protected_area_share")].met) is False


def test_edited_table_problems_are_all_listed(tmp_path):
    src = default_targets_path().read_text(encoding="utf-8").splitlines()
    bad = [src[0], src[1].replace("no_decrease", "grow"), src[2].replace(",11,", ",eleven,")]
    p = tmp_path / "targets.csv"
    p.write_text("\n".join(bad) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_targets(p)
    codes = [x.code for x in err.value.problems]
    assert codes == ["rule_unknown", "not_a_number"]


def test_missing_targets_file(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        load_targets(tmp_path / "nope.csv")
