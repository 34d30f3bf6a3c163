"""``numba.njit`` whose on-disk cache can fail without failing zoning.

numba caches compiled kernels beside the source (``__pycache__``) or, when that is read-only,
under ``$HOME``. Two things break a plain ``njit(cache=True)`` for good:

* no writable place at all (read-only install, unwritable ``$HOME``): the decorator raises
  ``RuntimeError: cannot cache function …`` at import;
* damaged cache files (a truncated ``.nbc`` or ``.nbi`` from a full disk or a killed compile):
  every call raises ``UnpicklingError`` / ``EOFError``.

:func:`njit` here falls back to compiling without the cache, with a :class:`JitCacheWarning`
saying why (a compile costs about 30 s; the answers are the same). Use it exactly like
``numba.njit``.

Cached machine code is loaded without numba's compile set-up (every typing and lowering
registry, the scan for extension entry points): about 0.15 s of CPU less on the first kernel
a process loads. Only a compile needs that set-up, and numba's compiler does it itself.
Kernels that allocate no NumPy array (:func:`stack_floats` gives small scratch arrays on the
stack) load without numba's array module too.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
import types
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from zoning.errors import ZoningWarning

__all__ = ["JitCacheWarning", "kernel_intrinsic", "njit", "stack_floats", "without_scipy_linalg"]

_T = TypeVar("_T")

#: what numba imports to check that it has a BLAS and a LAPACK (``numba.np.linalg``)
_BLAS_MODULES = ("scipy.linalg.cython_blas", "scipy.linalg.cython_lapack")
#: the numba modules whose import runs that check
_BLAS_CHECKERS = frozenset({"numba.np.arraymath", "numba.np.linalg"})


class JitCacheWarning(ZoningWarning):
    """numba's on-disk cache could not be used; the kernel is compiled without it."""


_FIX = (
    "compiling without the cache (slower start, same results); fix: make the package's "
    "__pycache__ or $HOME writable, or set NUMBA_CACHE_DIR to a writable folder"
)


class _GuardedCache:
    """A numba dispatcher cache whose damaged files mean "not cached" instead of an error."""

    def __init__(self, inner: Any, name: str):
        self._inner = inner
        self._name = name
        self._failed = False

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._inner, attr)

    def _give_up(self, what: str, exc: BaseException) -> None:
        if not self._failed:
            self._failed = True
            warnings.warn(
                f"numba cache of {self._name} in {getattr(self._inner, 'cache_path', '?')} "
                f"cannot be {what} ({type(exc).__name__}: {exc}); expected readable, complete "
                f"cache files; {_FIX}",
                JitCacheWarning,
                stacklevel=4,
            )
        self._inner.disable()

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        if self._failed:
            return None
        light = _light_loader(self._inner)
        try:
            if light is None:
                return self._inner.load_overload(sig, target_context)
            return light(sig, target_context)
        except Exception as exc:  # UnpicklingError, EOFError, ValueError, OSError …
            self._give_up("read", exc)
            return None

    def save_overload(self, sig: Any, data: Any) -> None:
        if self._failed:
            return
        try:
            self._inner.save_overload(sig, data)
        except Exception as exc:  # a damaged index, a full or read-only folder
            self._give_up("written", exc)


def _light_loader(cache: Any) -> Callable[[Any, Any], Any] | None:
    """Return a loader of ``cache``'s machine code that skips numba's full target set-up.

    numba's own ``Cache.load_overload`` first calls ``target_context.refresh()``: it imports
    and installs every typing and lowering registry numba has (unicode, typed containers,
    random, linear algebra, polynomials, datetimes, jitclass …) and scans every installed
    distribution for extension entry points — about 0.1 s of CPU, all of it for *compiling*.
    Code loaded from the cache is already compiled; what it needs at run time is the symbols it
    links to: the NRT (memory management: ``rtsys.initialize``), numba's C helpers (registered
    when the context was made) and, for kernels that hash, the hash secret
    (``numba.cpython.hashing``, imported only when the cached code links to it:
    :func:`_split_loader`). A cache miss returns None, and numba's compiler then refreshes the contexts itself
    (``CompilerBase`` calls ``refresh()`` before it compiles), so a compile still sees every
    registry and extension.

    Returns None when numba's internals are not the ones this knows (the usual load is used).
    """
    load = getattr(cache, "_load_overload", None)
    guard = getattr(cache, "_guard_against_spurious_io_errors", None)
    try:
        from numba.core.runtime import rtsys
    except ImportError:  # pragma: no cover - another numba layout
        return None
    initialize = getattr(rtsys, "initialize", None)
    if load is None or guard is None or initialize is None:
        return None
    split = _split_loader(cache)

    def light(sig: Any, target_context: Any) -> Any:
        initialize(target_context)
        with guard():
            if split is None:
                import numba.cpython.hashing  # noqa: F401 (the hash secret's symbols)

                return load(sig, target_context)
            return split(sig, target_context)

    return light


#: what machine code that hashes links to (numba.cpython.hashing puts these symbols in LLVM)
_HASH_SECRET = b"_numba_hashsecret_"


def _split_loader(cache: Any) -> Callable[[Any, Any], Any] | None:
    """Return numba's ``Cache._load_overload`` in two steps, importing the hash secret if needed.

    The cached entry is read first; only when its machine code links to the hash secret's
    symbols (kernels that hash: sets, dicts, ``hash``) is ``numba.cpython.hashing`` imported
    before the code is linked (it imports numba's random module: about 0.02 s of CPU). None
    when numba's internals are not the ones this knows.
    """
    index_key = getattr(cache, "_index_key", None)
    cache_file: Any = getattr(cache, "_cache_file", None)
    impl: Any = getattr(cache, "_impl", None)
    if index_key is None or not hasattr(cache_file, "load") or not hasattr(impl, "rebuild"):
        return None

    def load(sig: Any, target_context: Any) -> Any:
        if not getattr(cache, "_enabled", True):
            return None
        data = cache_file.load(index_key(sig, target_context.codegen()))
        if data is None:
            return None
        found = _find_bytes(data[0] if isinstance(data, tuple) and data else data)
        if found is None or _HASH_SECRET in found:
            import numba.cpython.hashing  # noqa: F401 (puts the hash secret's symbols in LLVM)
        return impl.rebuild(target_context, data)

    return load


def _find_bytes(library: Any) -> bytes | None:
    """Join the byte strings in ``library`` (numba's serialised code library: nested tuples).

    None when there are none (a layout this does not know: the caller assumes the worst).
    """
    parts: list[bytes] = []
    todo = [library]
    while todo:
        item = todo.pop()
        if isinstance(item, bytes | bytearray):
            parts.append(bytes(item))
        elif isinstance(item, tuple | list):
            todo.extend(item)
    return b"\0".join(parts) if parts else None


def _defer_extensions() -> None:
    """Stand in for numba's ``Dispatcher._compilation_chain_init_hook`` on zoning's kernels.

    numba's hook loads third-party extensions (``numba_extensions`` entry points) before it
    types a call's arguments, scanning the metadata of every installed distribution (about
    0.05 s per process). zoning's kernels take NumPy arrays and numbers, which need no
    extension to be typed; loading their cached code needs none either, and a compile loads
    the extensions anyway (``refresh()`` of the CPU target calls ``entrypoints.init_all``).
    """


def njit(*args: Any, **kwargs: Any) -> Any:
    """Compile with ``numba.njit``, falling back from an unusable cache.

    With ``cache=True`` a cache that cannot be used falls back, with a warning, to an
    uncached compile (see the module docstring).
    """
    numba = _import_numba()

    if len(args) == 1 and callable(args[0]) and not kwargs:  # bare @njit
        return numba.njit(args[0])
    if not kwargs.get("cache"):
        return numba.njit(*args, **kwargs)

    def decorate(fn: Callable[..., Any]) -> Any:
        name = getattr(fn, "__qualname__", repr(fn))
        try:
            dispatcher = numba.njit(*args, **kwargs)(fn)
        except RuntimeError as exc:  # "cannot cache function …: no locator available"
            warnings.warn(
                f"numba cannot cache {name} ({exc}); expected a writable cache folder; {_FIX}",
                JitCacheWarning,
                stacklevel=2,
            )
            return numba.njit(*args, **{k: v for k, v in kwargs.items() if k != "cache"})(fn)
        cache = getattr(dispatcher, "_cache", None)
        if cache is not None and hasattr(cache, "load_overload"):
            dispatcher._cache = _GuardedCache(cache, name)
            if hasattr(dispatcher, "_compilation_chain_init_hook"):
                dispatcher._compilation_chain_init_hook = _defer_extensions
        return dispatcher

    return decorate


def stack_floats(size: int) -> Any:
    """Return a kernel function that gives ``size`` zeroed float64 on its caller's stack.

    ``h = floats()`` inside a kernel gives a pointer (``h[i]`` reads and writes) to memory
    that lives as long as the calling kernel's frame: a small scratch array without NumPy.
    Kernels that allocate NumPy arrays make numba import its array module
    (``numba.np.arrayobj``, about 0.05 s of CPU) when their cached code is loaded.

    Parameters
    ----------
    size : int
        Number of float64 elements.

    Returns
    -------
    numba intrinsic
        Called with no argument inside a kernel; not callable from Python.
    """
    _import_numba()
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    alloca: Any = cgutils.alloca_once  # untyped (numba has no type hints)
    pointer: Any = types.CPointer

    def typer(typingctx: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            double = context.get_value_type(types.float64)
            room = ir.ArrayType(double, size)
            # in the function's entry block (once per call, not per loop turn), zeroed
            ptr = alloca(builder, room, zfill=True)
            return builder.bitcast(ptr, double.as_pointer())

        return pointer(types.float64)(), codegen

    typer.__name__ = f"stack_floats_{size}"
    return intrinsic(typer)


def kernel_intrinsic(typer: Callable[..., Any]) -> Any:
    """``numba.extending.intrinsic(typer)``, with numba imported as :func:`njit` imports it.

    Parameters
    ----------
    typer : callable
        ``typer(typingctx, *argument_types) -> (signature, codegen)``, as numba asks; it may
        import numba's modules and llvmlite when it runs (at a kernel's compile).

    Returns
    -------
    numba intrinsic
        Called inside kernels; not callable from Python.
    """
    _import_numba()
    from numba.extending import intrinsic

    return intrinsic(typer)


class _Refuse:
    """A finder that refuses some top-level packages to one thread (while it imports numba)."""

    def __init__(self, names: set[str]) -> None:
        self.names = frozenset(names)
        self.thread = threading.get_ident()
        self.refused: set[str] = set()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        top = name.partition(".")[0]
        if top in self.names and threading.get_ident() == self.thread:
            self.refused.add(top)
            raise ModuleNotFoundError(f"{name} is imported when first used", name=name)


class _LazyModule(types.ModuleType):
    """Stands in for a module and imports it when one of its names is first asked for."""

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attr)


def _import_numba() -> Any:
    """Import numba without SciPy, and without PyYAML until numba's configuration file needs it.

    numba's import checks the version of SciPy, if installed, by importing it (about 0.015 s
    of CPU, and nothing else in numba's import uses it); zoning requires a SciPy far newer than
    the one numba checks for (``pyproject.toml``), so numba is imported with ``scipy`` refused
    to this thread and skips the check, as it does when SciPy is absent.

    ``numba.core.config`` imports PyYAML at import (about 0.015 s of CPU, mostly a regular
    expression compiled by its reader) only to parse ``.numba_config.yaml`` in the working
    folder, if there is one. When there is none, numba is imported with ``yaml`` refused to
    this thread too, then told the truth: ``_HAVE_YAML`` says whether PyYAML is installed, and
    its ``yaml`` name is a stand-in that imports PyYAML when numba's configuration is re-read
    and finds a file (numba re-reads it before every compile). With a configuration file, or
    PyYAML already imported, numba imports PyYAML as usual. numba already imported is returned.
    """
    if "numba" in sys.modules:
        import numba

        return numba
    names = {"scipy"}
    if "yaml" not in sys.modules and not os.path.isfile(".numba_config.yaml"):
        names.add("yaml")
    refuse = _Refuse(names)
    sys.meta_path.insert(0, refuse)
    try:
        import numba
    finally:
        sys.meta_path.remove(refuse)
    config = sys.modules.get("numba.core.config")
    if (
        "yaml" in refuse.refused
        and config is not None
        and getattr(config, "_HAVE_YAML", None) is False
    ):
        if importlib.util.find_spec("yaml") is not None:
            config.yaml = _LazyModule("yaml")  # type: ignore[attr-defined]
            config._HAVE_YAML = True  # type: ignore[attr-defined]
    return numba


def without_scipy_linalg(task: Callable[[], _T]) -> _T:
    """Run ``task`` (the first load of a kernel) sparing numba's BLAS check the scipy.linalg import.

    A kernel numba has to compile sets up its CPU target, which imports ``numba.np.arraymath``;
    that module checks at import that a BLAS is there by importing
    ``scipy.linalg.cython_blas`` and ``scipy.linalg.cython_lapack``, and so the whole
    ``scipy.linalg`` package: about 0.17 s of CPU, for linear algebra that zoning's kernels
    never use. The two Cython modules alone load in about 0.02 s. Here, should ``task`` import
    ``numba.np.arraymath`` or ``numba.np.linalg`` on this thread, the two modules are first
    loaded by themselves, under their own names, and they are forgotten once ``task`` ends, so
    that a later ``import scipy.linalg.cython_blas`` goes through the package as usual and gets
    the same module. numba's check finds what it looks for and passes as before
    (``numba.np.arraymath._HAVE_BLAS``). A kernel loaded from numba's cache imports neither
    (:func:`njit`'s light loader), and then nothing of SciPy is loaded at all. When
    ``scipy.linalg`` is already loaded, or the modules cannot be found, ``task`` simply runs.

    Parameters
    ----------
    task : callable
        Called once with no arguments.

    Returns
    -------
    object
        What ``task`` returned.
    """
    if "scipy.linalg" in sys.modules:
        return task()
    spare = _SpareLinalg()
    sys.meta_path.insert(0, spare)
    try:
        return task()
    finally:
        sys.meta_path.remove(spare)
        for name, module in spare.added:
            if sys.modules.get(name) is module and "scipy.linalg" not in sys.modules:
                del sys.modules[name]


class _SpareLinalg:
    """A finder that loads numba's BLAS modules alone just before numba's check imports them.

    It finds nothing itself: when one thread first imports a module that runs numba's BLAS
    check (:data:`_BLAS_CHECKERS`), it loads :data:`_BLAS_MODULES` by themselves
    (:func:`_load_alone`) and lets the usual finders go on.
    """

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.added: list[tuple[str, Any]] = []
        self._done = False

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name in _BLAS_CHECKERS and not self._done and threading.get_ident() == self.thread:
            self._done = True
            self.added = _load_alone(_BLAS_MODULES)


def _load_alone(names: tuple[str, ...]) -> list[tuple[str, Any]]:
    """Load the extension modules ``names`` of one package without importing the package.

    Returns the (name, module) pairs put in :data:`sys.modules`; nothing when one of them
    cannot be found or loaded (the usual import then happens instead).
    """
    import importlib.machinery
    import importlib.util

    added: list[tuple[str, Any]] = []
    try:
        package = names[0].rpartition(".")[0]
        top, _, sub = package.partition(".")
        top_spec = importlib.util.find_spec(top)  # the top package only (scipy's is light)
        if top_spec is None or not top_spec.submodule_search_locations:
            return []
        where = [os.path.join(loc, *sub.split(".")) for loc in top_spec.submodule_search_locations]
        specs = [importlib.machinery.PathFinder.find_spec(name, where) for name in names]
        loaders = [getattr(spec, "loader", None) for spec in specs]
        if not all(isinstance(x, importlib.machinery.ExtensionFileLoader) for x in loaders):
            return []
        for spec in specs:
            if spec is None or spec.loader is None or spec.name in sys.modules:
                continue
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            added.append((spec.name, module))
            spec.loader.exec_module(module)
    except Exception:  # a layout this does not know: let numba import as it always did
        for name, _ in added:
            sys.modules.pop(name, None)
        return []
    return added
