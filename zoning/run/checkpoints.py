"""Per-step checkpoints of a run, so an interrupted run resumes where it stopped.

Each finished step's table is kept as Parquet in ``<staging>/.steps`` under a name holding a key
of the step, the run's parameters and the checksums of its inputs; ``--resume`` reuses a
checkpoint only when that key still matches.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Checkpoints", "step_key"]

logger = logging.getLogger("zoning.runner")  # run.log keeps the runner's records by this name


def step_key(*parts: Any) -> str:
    """Hash JSON-able ``parts`` into a short key (16 hex digits).

    Parameters
    ----------
    *parts : Any
        Parameters, input checksums, versions (dumped with sorted keys; others as ``str``).

    Returns
    -------
    str
        The first 16 hex digits of the SHA-256 of their JSON.
    """
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class Checkpoints:
    """Per-step outputs kept in ``<staging>/.steps`` so an interrupted run can resume.

    Parameters
    ----------
    folder : Path
        The checkpoint folder (created).
    base_key : str
        The key of the run (parameters, inputs, version): part of every checkpoint's name.
    """

    def __init__(self, folder: Path, base_key: str):
        self.folder = folder
        self.base_key = base_key
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, step: str, suffix: str) -> Path:
        return self.folder / f"{step}.{step_key(self.base_key, step)}{suffix}"

    def frame(self, step: str, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """Return the checkpointed table of ``step``, computing and keeping it when absent.

        Parameters
        ----------
        step : str
            The step's name (``"stats"``, ``"direct_city"`` …).
        compute : callable
            Computes the (Geo)DataFrame.

        Returns
        -------
        DataFrame or GeoDataFrame
            The step's table.
        """
        path = self._path(step, ".parquet")
        if path.is_file():
            logger.info("step %s: resumed from checkpoint", step)
            import geopandas as gpd

            try:
                frame: pd.DataFrame = gpd.read_parquet(path)
            except ValueError:  # not a GeoParquet file: a plain table
                frame = pd.read_parquet(path)
            return frame
        out = compute()
        tmp = path.with_suffix(".tmp")
        out.to_parquet(tmp)
        os.replace(tmp, path)
        return out
