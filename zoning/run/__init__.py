"""``zoning run``: a scenario into one output folder, one small function per step.

:mod:`~zoning.run.execute` (:func:`run_scenario`: staging, lock, log, the order of the steps),
:mod:`~zoning.run.steps` (load, statistics, roll-up, overlaps, indicators, screening,
restoration), :mod:`~zoning.run.outputs` (the write step), :mod:`~zoning.run.checkpoints`
(resume), :mod:`~zoning.run.inputs` (input paths and checksums),
:mod:`~zoning.run.manifest` (``manifest.json`` and publishing).
"""

from zoning.run.execute import RunResult, run_scenario, staging_dir

__all__ = ["RunResult", "run_scenario", "staging_dir"]
