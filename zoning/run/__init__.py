"""``zoning run``: a scenario into one output folder, one small function per step.

:mod:`~zoning.run.execute` (:func:`run_scenario`: staging, lock, log, the order of the steps),
:mod:`~zoning.run.steps` (load, statistics, roll-up, overlaps, indicators, screening,
restoration), :mod:`~zoning.run.outputs` (the write step), :mod:`~zoning.run.checkpoints`
(resume), :mod:`~zoning.run.inputs` (input paths and checksums),
:mod:`~zoning.run.manifest` (``manifest.json`` and publishing).

The names load on first use: ``zoning stats`` needs only :mod:`~zoning.run.inputs` (the
inputs it checks before writing), not the run's steps, outputs and scenario parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoning.lazy import lazy_names

if TYPE_CHECKING:  # the names, for type checkers; at run time they load on first use
    from zoning.run.execute import RunResult, run_scenario, staging_dir

#: public name -> the module defining it
_API = {"RunResult": "execute", "run_scenario": "execute", "staging_dir": "execute"}

__all__ = ["RunResult", "run_scenario", "staging_dir"]


__getattr__, __dir__ = lazy_names(__name__, _API, globals(), __all__)
