"""Bundled rule packs and project types (data files, read with ``importlib.resources``)."""
