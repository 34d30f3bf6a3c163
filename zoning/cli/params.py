"""Click parameter types shared by the commands: numbers that must be finite and in range.

``float("nan")`` passes every ``x < 0`` check, and a NaN tolerance once turned a prohibited site
into an allowed one (issue 12). Every numeric option of every command therefore goes through
:class:`FiniteFloat`, which refuses NaN, ±infinity and values outside its range with exit 2
(a click usage error) and a message saying what was found, what was expected and the fix.
"""

from __future__ import annotations

import math

import click

__all__ = ["FiniteFloat"]


class FiniteFloat(click.ParamType):
    """A finite float within ``[min, max]`` (either bound optional, both inclusive).

    Parameters
    ----------
    min, max : float, optional
        Inclusive bounds.
    unit : str
        Unit named in messages (``"m"``, ``"km²"``, ``"MB"``).

    Examples
    --------
    >>> FiniteFloat(0, 100, unit="m").convert("12.5", None, None)
    12.5
    """

    name = "number"

    def __init__(self, min: float | None = None, max: float | None = None, *, unit: str = ""):
        self.min = min
        self.max = max
        self.unit = unit

    def _expected(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.min is not None and self.max is not None:
            return f"a finite number from {self.min:g} to {self.max:g}{unit}"
        if self.min is not None:
            return f"a finite number ≥ {self.min:g}{unit}"
        if self.max is not None:
            return f"a finite number ≤ {self.max:g}{unit}"
        return f"a finite number{unit}"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        """Return ``value`` as a float, or fail with a usage error (exit 2)."""
        if isinstance(value, bool):
            self.fail(f"{value!r} is not a number; expected {self._expected()}", param, ctx)
        try:
            x = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.fail(
                f"{value!r} is not a number; expected {self._expected()}; fix: give digits "
                "such as 10 or 2.5",
                param,
                ctx,
            )
        if not math.isfinite(x):
            self.fail(
                f"{value!r} is not a finite number; expected {self._expected()}; fix: give an "
                "ordinary number (NaN and infinity are refused: they would pass range checks "
                "silently)",
                param,
                ctx,
            )
        if (self.min is not None and x < self.min) or (self.max is not None and x > self.max):
            self.fail(f"{value!r} is out of range; expected {self._expected()}", param, ctx)
        return x

    def __repr__(self) -> str:
        """Return ``FiniteFloat(min, max)``."""
        return f"FiniteFloat({self.min!r}, {self.max!r})"
