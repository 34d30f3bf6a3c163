"""The flat public API of ``import zoning as zn``."""

import pytest


def test_every_public_name_of_the_flat_api_resolves():
    """`import zoning as zn; zn.<name>` works for every name in `zn.__all__` (lazy imports)."""
    import zoning as zn

    missing = [n for n in zn.__all__ if getattr(zn, n, None) is None]
    assert missing == []
    assert zn.run_restoration.__module__ == "zoning.restoration.run"
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        zn.nonexistent  # noqa: B018
