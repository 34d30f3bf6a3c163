"""zoning.catalog.load: a catalogue TOML is checked whole, every problem reported at once."""

import pytest

from zoning.catalog import load_catalog
from zoning.errors import CatalogError, InputFileError


def _write(tmp_path, text):
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_catalogue_problems_are_all_reported_at_once(tmp_path):
    path = _write(
        tmp_path,
        """
name = "bad"
colour = "red"
[[layers]]
kind = "red_line"
path = "x.gpkg"
[[layers]]
kind = "water_source"
path = "missing.shp"
[[layers]]
kind = "water_source"
path = "missing.shp"
zone_field = "级别"
bogus = 1
""",
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    codes = [p.code for p in info.value.problems]
    assert codes.count("unknown_kind") == 1 and codes.count("missing_file") == 2
    assert codes.count("unknown_key") == 2
    message = str(info.value)
    assert "'red_line'" in message and "eco_redline" in message  # found and expected
    assert "missing.shp" in message


def test_missing_and_invalid_toml(tmp_path):
    with pytest.raises(InputFileError, match="catalogue not found"):
        load_catalog(tmp_path / "nope.toml")
    with pytest.raises(InputFileError, match="not valid TOML"):
        load_catalog(_write(tmp_path, "[[layers]\nkind="))
