"""The one error hierarchy of zoning, and its warnings.

Every error message says three things: what was found, what was expected, and how to fix it.
Each class also inherits the matching built-in exception, so ``except ValueError`` in user
code keeps working (the rasterio / rioxarray pattern).

The CLI maps :class:`ZoningError` to exit code 1 (bad data or input) and
:class:`ZoningUsageError` to exit code 2 (bad usage, e.g. an unknown project type).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "CRSError",
    "CatalogError",
    "CriteriaError",
    "DatabaseError",
    "EmptyInputError",
    "GeometryRepairWarning",
    "InfeasibleError",
    "InputFileError",
    "LayerValidationError",
    "OutputBusyError",
    "OutputExistsError",
    "Problem",
    "ProjectionError",
    "RulePackError",
    "ScenarioError",
    "UnknownProjectTypeError",
    "UnsafeOutputError",
    "ZoningError",
    "ZoningUsageError",
    "ZoningWarning",
]


@dataclass(frozen=True)
class Problem:
    """One problem found while validating a layer, a catalogue, a rule pack or a scenario.

    Parameters
    ----------
    code : str
        Stable machine-readable id, e.g. ``"crs_missing"``, ``"invalid_geometry"``.
    message : str
        Human message: what was found, what was expected, the fix.
    rows : tuple of str
        Row / feature ids concerned (may be empty).
    severity : {"error", "warning"}
        Errors make the object unusable; warnings are reported and repaired.
    """

    code: str
    message: str
    rows: tuple[str, ...] = ()
    severity: str = "error"

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serialisable dictionary."""
        return {
            "code": self.code,
            "message": self.message,
            "rows": list(self.rows),
            "severity": self.severity,
        }


class ZoningError(Exception):
    """Root of all zoning errors (CLI exit code 1)."""

    exit_code = 1


class ZoningUsageError(ZoningError):
    """The command was called wrongly (CLI exit code 2)."""

    exit_code = 2


class InputFileError(ZoningError, OSError):
    """An input file is missing, unreadable, of an unknown format, or too large."""


class EmptyInputError(ZoningError, ValueError):
    """An input holds no features (or no usable ones)."""


class CRSError(ZoningError, ValueError):
    """A CRS is missing, wrong, or unusable for what was asked."""


class ProjectionError(CRSError):
    """Area or length asked for in a CRS unfit for measuring (degrees, Web Mercator)."""


class OutputExistsError(ZoningError, FileExistsError):
    """An output exists and ``overwrite`` was not given."""


class OutputBusyError(ZoningError, BlockingIOError):
    """Another run is writing the same output folder right now."""


class UnsafeOutputError(ZoningError, ValueError):
    """An output path that replacing would destroy inputs or folders (``/``, home, an input)."""


class _ProblemsError(ZoningError, ValueError):
    """An error that carries the full list of problems found."""

    def __init__(self, subject: str, problems: Sequence[Problem]):
        self.subject = subject
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        others = [p for p in self.problems if p.severity != "error"]
        lines = [f"{subject} failed {len(errors)} check(s):"]
        lines += [f"  - {p.message}" for p in errors]
        if others:
            lines.append(f"and {len(others)} repaired or reported problem(s):")
            lines += [f"  - {p.message}" for p in others]
        super().__init__("\n".join(lines))


class LayerValidationError(_ProblemsError):
    """A layer failed validation; ``.problems`` lists every problem found."""


class CatalogError(_ProblemsError):
    """A catalogue TOML is malformed or names unknown kinds / missing files."""


class RulePackError(_ProblemsError):
    """A rule pack is malformed or refers to unknown kinds, zones or project types."""


class ScenarioError(_ProblemsError):
    """A scenario TOML is malformed or refers to missing files or unknown layers."""


class UnknownProjectTypeError(ZoningUsageError, KeyError):
    """A project type id that does not exist; the message suggests the closest ids."""

    def __str__(self) -> str:
        """Return the message unquoted (``KeyError`` would quote it)."""
        return str(self.args[0]) if self.args else ""


class ZoningWarning(UserWarning):
    """Root of zoning warnings (recoverable things that were reported)."""


class GeometryRepairWarning(ZoningWarning):
    """Invalid geometries were repaired with ``make_valid``; the repair log says which."""


class CriteriaError(ZoningError, ValueError):
    """Restoration criteria, weights or pairwise comparisons are unusable (issue 5).

    Examples: weights that do not sum to 1, an AHP matrix with a consistency ratio above 0.1,
    a criterion with no variance, rasters on different grids.
    """


class InfeasibleError(ZoningError, ValueError):
    """A budgeted selection has no solution; ``.shortfall`` says by how much it misses.

    ``shortfall`` maps what is short (``"budget"``, ``"area_ha:<group>"``) to the amount.
    """

    def __init__(self, message: str, shortfall: dict[str, float] | None = None):
        super().__init__(message)
        self.shortfall = dict(shortfall or {})


class DatabaseError(ZoningError, OSError):
    """A PostGIS source or sink failed.

    Bad URL, unreachable server, refused login, missing table, a table without SRID, a failed
    write (rolled back). Messages never carry the password.
    """
