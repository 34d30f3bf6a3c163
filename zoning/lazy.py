"""Names of a package that load on first use (PEP 562), so a command imports only what it needs.

``zoning stats`` needs a few names of :mod:`zoning.stats` and :mod:`zoning.run`, not their
heavy modules: those packages list their public names with the module that defines each, and
:func:`lazy_names` gives them the module-level ``__getattr__`` and ``__dir__`` that import the
module when a name is first asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str,
    api: Mapping[str, str],
    namespace: MutableMapping[str, Any],
    public: Sequence[str],
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Make the ``__getattr__`` and ``__dir__`` of a package whose names load on first use.

    Parameters
    ----------
    package : str
        The package's name (its ``__name__``).
    api : mapping of str to str
        Public name -> the submodule of ``package`` that defines it.
    namespace : dict
        The package's ``globals()``: a loaded name is stored there, so later lookups do not
        call ``__getattr__`` again.
    public : sequence of str
        The package's ``__all__``.

    Returns
    -------
    tuple of callable
        ``(__getattr__, __dir__)``, to assign at the package's top level.

    Examples
    --------
    >>> import types
    >>> pkg = types.ModuleType("pkg")
    >>> getattr_, dir_ = lazy_names("os", {"join": "path"}, vars(pkg), ["join"])
    >>> getattr_("join").__name__, "join" in vars(pkg)
    ('join', True)
    """

    def __getattr__(name: str) -> Any:
        if name in api:
            value = getattr(importlib.import_module(f"{package}.{api[name]}"), name)
            namespace[name] = value  # later lookups skip this function
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*namespace, *public})

    return __getattr__, __dir__
