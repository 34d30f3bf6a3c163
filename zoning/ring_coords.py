"""Coordinates of hole-free polygons read from GEOS without holding the GIL.

The area kernel (:func:`zoning.polyarea.pack`) and the proof that two features are apart
(:mod:`zoning.stats.interiors_apart`) copy the coordinates of every polygon they read out of
GEOS. ``shapely.get_coordinates`` holds the GIL for the whole copy (unlike ``shapely.area``
or ``shapely.bounds``): on a layer cut along county lines it held it ~0.12 s per
``area_by_unit`` run, during which no other thread of the run could start its next step, and
the two cores idled in turn.

:func:`exterior_coords` makes the same copy with the GIL released: a numba loop calls the
GEOS C API of the library shapely itself loaded (:data:`_FUNCTIONS`, on a GEOS context of
the call's own) on the geometries' GEOS pointers, and writes each ring at its place in one
array. The values are the same doubles, in the same order. A geometry is written only when
GEOS says it is a polygon whose exterior ring has exactly the coordinates the caller gave
(so a hole or a wrong count can never write past the array). Where that library cannot be
identified for sure (another platform than Linux, no GEOS build in shapely's own folder
among several, a version other than shapely's, shapely without ``Geometry._geom``) or a
geometry fails those checks, the copy is ``shapely.get_coordinates``'s, holding the GIL as
before.
"""

from __future__ import annotations

import ctypes
import os
import threading
from functools import lru_cache
from typing import Any

import numpy as np
import shapely

from zoning.jit import kernel_intrinsic, njit  # numba.njit; a broken cache: no cache

__all__ = ["exterior_coords", "nogil_available"]

_lock = threading.Lock()
#: the GEOS functions the copy calls, in the order of ``fns`` (positions below)
_FUNCTIONS = (
    "GEOSGeomTypeId_r",
    "GEOSGetExteriorRing_r",
    "GEOSGetNumCoordinates_r",
    "GEOSGeom_getCoordSeq_r",
    "GEOSCoordSeq_copyToBuffer_r",
)
_TYPE_ID, _EXTERIOR, _NUM_COORDS, _SEQUENCE, _COPY = range(len(_FUNCTIONS))


def exterior_coords(geoms: np.ndarray, num_coords: np.ndarray) -> np.ndarray:
    """Copy the coordinates of hole-free polygons, one after the other, without the GIL.

    Parameters
    ----------
    geoms : ndarray of shapely Polygons
        Polygons without holes (empty ones allowed).
    num_coords : ndarray of int
        ``shapely.get_num_coordinates(geoms)``.

    Returns
    -------
    ndarray of float64, shape (num_coords.sum(), 2)
        x and y of every vertex, ring after ring, as ``shapely.get_coordinates(geoms)``.

    Examples
    --------
    >>> sq = np.array([shapely.box(0, 0, 1, 1), shapely.Polygon(), shapely.box(2, 0, 3, 2)])
    >>> xy = exterior_coords(sq, shapely.get_num_coordinates(sq))
    >>> bool(np.array_equal(xy, shapely.get_coordinates(sq)))
    True
    """
    geoms = np.asarray(geoms, dtype=object)
    num_coords = np.asarray(num_coords, dtype=np.int64)
    if num_coords.shape != geoms.shape or geoms.ndim != 1 or (num_coords < 0).any():
        raise ValueError(
            f"expected one coordinate count >= 0 per geometry; got {num_coords.shape} counts "
            f"for {geoms.shape} geometries"
        )
    api = _geos_api()
    if api is None or len(geoms) == 0:
        return _with_gil(geoms)
    off = np.zeros(len(geoms) + 1, dtype=np.int64)
    np.cumsum(num_coords, out=off[1:])
    out = np.empty((int(off[-1]), 2), dtype=np.float64)
    try:
        ptrs = np.fromiter((g._geom for g in geoms), dtype=np.uint64, count=len(geoms))
    except AttributeError:  # a shapely without Geometry._geom
        return _with_gil(geoms)
    fns, init, finish = api
    ctx = init()
    if not ctx:
        return _with_gil(geoms)
    try:
        failed = _copy_rings(fns, np.uint64(ctx), ptrs, np.uint64(out.ctypes.data), off)
    finally:
        finish(ctx)
    if failed >= 0:  # not a polygon after all, or GEOS refused: the copy shapely makes
        return _with_gil(geoms)
    return out


def nogil_available() -> bool:
    """Tell whether :func:`exterior_coords` reads without the GIL in this process."""
    return _geos_api() is not None


def _with_gil(geoms: np.ndarray) -> np.ndarray:
    """``shapely.get_coordinates`` (holding the GIL), as a contiguous float64 array."""
    return np.ascontiguousarray(shapely.get_coordinates(geoms), dtype=np.float64)


@lru_cache(maxsize=1)
def _geos_api() -> tuple[np.ndarray, Any, Any] | None:
    """Addresses of the GEOS functions, and the context constructor and destructor.

    Only the GEOS C library shapely loaded (the geometries' pointers are its objects): the
    one libgeos_c mapped into this process (Linux), of shapely's own GEOS version.
    """
    with _lock:
        path = _loaded_geos_c()
        if path is None:
            return None
        try:
            lib = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LOCAL)
        except (OSError, AttributeError):
            return None
        try:
            version = lib.GEOSversion
            version.restype = ctypes.c_char_p
            version.argtypes = []
            if version().decode().split("-")[0] != shapely.geos_version_string.split("-")[0]:
                return None
            init = lib.GEOS_init_r
            init.restype = ctypes.c_void_p
            init.argtypes = []
            finish = lib.GEOS_finish_r
            finish.restype = None
            finish.argtypes = [ctypes.c_void_p]
            fns = np.array(
                [ctypes.cast(getattr(lib, n), ctypes.c_void_p).value for n in _FUNCTIONS],
                dtype=np.uint64,
            )
        except AttributeError:  # a GEOS older than 3.10 (no copyToBuffer)
            return None
        return fns, init, finish


def _loaded_geos_c() -> str | None:
    """Path of shapely's GEOS C library, as mapped into this process, or None.

    Other packages bring GEOS builds of their own (fiona, pyogrio and exactextract wheels
    each have one): shapely's is the one in its wheel's ``shapely.libs`` folder, or else the
    only one mapped. None when that is not clear (or not Linux: no ``/proc/self/maps``).
    """
    import shapely.lib

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            fields = [line.split(None, 5) for line in maps if "libgeos_c" in line]
    except OSError:
        return None
    loaded = {os.path.realpath(f[5].strip()) for f in fields if len(f) == 6}
    loaded = {p for p in loaded if os.path.isfile(p)}
    package = os.path.dirname(os.path.realpath(shapely.__file__))
    own = {p for p in loaded if os.path.dirname(p) in (package + ".libs", package)}
    if len(own) == 1:
        return own.pop()
    return loaded.pop() if len(loaded) == 1 and not own else None


def _intrinsics() -> tuple[Any, Any, Any]:
    """Return numba intrinsics that call C functions given by their addresses.

    ``ptr_of(fn, ctx, ptr)`` calls ``void *fn(void *ctx, void *ptr)``; ``int_of(fn, ctx, ptr)``
    calls ``int fn(void *ctx, void *ptr)``; ``copy_xy(fn, ctx, seq, buf)`` calls
    ``int fn(void *ctx, void *seq, double *buf, int hasZ=0, int hasM=0)``. An intrinsic (an
    integer cast to a function pointer) is cached with the kernel that calls it, unlike a
    ctypes function object, with which numba reloads its whole compiler set-up in every process
    (~0.2 s).
    """

    def call(builder: Any, ret_bits: int, params: list[int], args: Any) -> Any:
        from llvmlite import ir

        fnty = ir.FunctionType(ir.IntType(ret_bits), [ir.IntType(b) for b in params])
        target = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(target, list(args[1:]))

    def ptr_of(typingctx: Any, fn: Any, ctx: Any, ptr: Any) -> Any:
        from numba.core import types

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return call(builder, 64, [64, 64], args)

        return types.uint64(types.uint64, types.uint64, types.uint64), codegen

    def int_of(typingctx: Any, fn: Any, ctx: Any, ptr: Any) -> Any:
        from numba.core import types

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return call(builder, 32, [64, 64], args)

        return types.int32(types.uint64, types.uint64, types.uint64), codegen

    def copy_xy(typingctx: Any, fn: Any, ctx: Any, seq: Any, buf: Any) -> Any:
        from llvmlite import ir
        from numba.core import types

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            no = ir.Constant(ir.IntType(32), 0)  # hasZ, hasM: x and y only
            return call(builder, 32, [64, 64, 64, 32, 32], [*args, no, no])

        sig = types.int32(types.uint64, types.uint64, types.uint64, types.uint64)
        return sig, codegen

    return kernel_intrinsic(ptr_of), kernel_intrinsic(int_of), kernel_intrinsic(copy_xy)


_ptr_of, _int_of, _copy_xy = _intrinsics()

_POLYGON = 3  # GEOSGeomTypeId of a Polygon


@njit(cache=True, nogil=True)
def _copy_rings(fns, ctx, ptrs, base, off):
    """Copy polygon ``i``'s exterior ring to ``base + 16 * off[i]``; the first failure, or -1.

    A geometry that is not a polygon, or whose ring has another number of coordinates than
    ``off`` leaves it (a hole), fails before anything is written for it.
    """
    for i in range(ptrs.shape[0]):
        n = off[i + 1] - off[i]
        if _int_of(fns[_TYPE_ID], ctx, ptrs[i]) != _POLYGON:
            return i
        if n == 0:
            continue  # an empty polygon
        ring = _ptr_of(fns[_EXTERIOR], ctx, ptrs[i])
        if ring == 0 or _int_of(fns[_NUM_COORDS], ctx, ring) != n:
            return i
        seq = _ptr_of(fns[_SEQUENCE], ctx, ring)
        if seq == 0 or _copy_xy(fns[_COPY], ctx, seq, base + np.uint64(16 * off[i])) == 0:
            return i
    return -1
