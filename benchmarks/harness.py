"""A small benchmark harness: time our code and the peer approach in the same run, print ratios.

Benchmarks are scripts, not timed tests (machines differ; a test that fails on a busy CI
machine teaches nothing). Each script builds its inputs, calls :func:`measure` for every
contender and :func:`report` once::

    rows = [measure("zoning", ours, repeat=5), measure("geopandas.overlay", peer, repeat=3)]
    report("red-line share, 117 counties", rows, baseline="geopandas.overlay")
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Timing", "measure", "report"]


@dataclass
class Timing:
    """Timings of one contender (seconds) and the value of its last run."""

    name: str
    seconds: list[float] = field(default_factory=list)
    value: Any = None

    @property
    def median(self) -> float:
        """Median wall time in seconds."""
        return statistics.median(self.seconds)


def measure(name: str, fn: Callable[[], Any], *, repeat: int = 3, warmup: int = 0) -> Timing:
    """Run ``fn`` ``warmup`` + ``repeat`` times; keep the wall times of the last ``repeat``."""
    timing = Timing(name)
    for i in range(warmup + repeat):
        gc.collect()
        t0 = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - t0
        if i >= warmup:
            timing.seconds.append(elapsed)
            timing.value = value
    return timing


def report(title: str, rows: list[Timing], *, baseline: str | None = None) -> str:
    """Print (and return) a table of medians, min/max and speed-up against ``baseline``."""
    base = next((r for r in rows if r.name == baseline), None) if baseline else None
    width = max(len(r.name) for r in rows)
    lines = [
        f"== {title}",
        f"{'contender':<{width}}  {'median s':>9}  {'min s':>8}  "
        f"{'max s':>8}  {'runs':>4}  {'speed-up vs ' + baseline if base else ''}",
    ]
    for r in rows:
        ratio = f"{base.median / r.median:8.2f}×" if base and r.median > 0 else ""
        lines.append(
            f"{r.name:<{width}}  {r.median:9.4f}  {min(r.seconds):8.4f}  "
            f"{max(r.seconds):8.4f}  {len(r.seconds):>4}  {ratio}"
        )
    text = "\n".join(lines)
    print(text, flush=True)
    return text
