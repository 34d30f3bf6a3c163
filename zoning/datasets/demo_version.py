"""Which demo build a cache holds (seed and generator version), without importing the builder.

``zoning.datasets.demo_catalog_path`` only needs these two constants to find a cached demo;
the builder (``zoning.datasets.build``) pulls in rasterio and scipy.ndimage (about 1 s), which
a run on a cached demo does not need.
"""

from __future__ import annotations

__all__ = ["DEMO_SEED", "DEMO_VERSION"]

DEMO_SEED = 20240601
#: bump when the generator changes, so caches are rebuilt
DEMO_VERSION = "4"
