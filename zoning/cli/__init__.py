"""The ``zoning`` command-line interface (a thin click layer over the public API)."""
