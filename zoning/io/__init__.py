"""Every file zoning reads or writes: readers, encodings, sources and the writers of outputs.

The one package of :mod:`zoning` that touches files (``DESIGN.md``). Reading: :func:`read_vector`
(:mod:`~zoning.io.read`: vector data as users have it), :mod:`~zoning.io.encodings` (GBK
shapefiles without ``.cpg``), :mod:`~zoning.io.sources` (what a path may be: local, offline),
:mod:`~zoning.io.postgis` (a database as a source and a sink). Writing, atomic and
byte-identical on rerun: :mod:`~zoning.io.atomic` (files, text, folders), :mod:`~zoning.io.vector`,
:mod:`~zoning.io.tables` (CSV), :mod:`~zoning.io.workbook` (Excel, with
:mod:`~zoning.io.officefile`), :mod:`~zoning.io.gpkg`, :mod:`~zoning.io.geotiff`,
:mod:`~zoning.io.figures`; the output protocol in :mod:`~zoning.io.workspace` (with
:mod:`~zoning.io.outlock` and :mod:`~zoning.io.siblings`); :mod:`~zoning.io.cachefiles` for the
layer cache.

Examples: :mod:`zoning.io.vector`.
"""

from typing import TYPE_CHECKING

from zoning.lazy import lazy_names

if TYPE_CHECKING:  # the names, for type checkers; at run time they load on first use
    from zoning.io.atomic import atomic_directory, atomic_write_bytes, atomic_write_text
    from zoning.io.checksums import sha256_file
    from zoning.io.encodings import detect_dbf_encoding
    from zoning.io.gpkg import GPKG_TIMESTAMP
    from zoning.io.read import Engine, read_vector
    from zoning.io.tables import (
        csv_bytes,
        csv_encoding,
        read_csv_table,
        use_csv_encoding,
        write_csv,
        write_table,
    )
    from zoning.io.vector import write_vector

#: public name -> the module that defines it (``zoning stats`` with a cached catalogue reads
#: and writes no vector file: the readers, GDAL's encodings and the GeoPackage writer stay
#: unloaded)
_API = {
    "atomic_directory": "atomic",
    "atomic_write_bytes": "atomic",
    "atomic_write_text": "atomic",
    "sha256_file": "checksums",
    "detect_dbf_encoding": "encodings",
    "GPKG_TIMESTAMP": "gpkg",
    "Engine": "read",
    "read_vector": "read",
    "csv_bytes": "tables",
    "csv_encoding": "tables",
    "read_csv_table": "tables",
    "use_csv_encoding": "tables",
    "write_csv": "tables",
    "write_table": "tables",
    "write_vector": "vector",
}

__all__ = [
    "GPKG_TIMESTAMP",
    "Engine",
    "atomic_directory",
    "atomic_write_bytes",
    "atomic_write_text",
    "csv_bytes",
    "csv_encoding",
    "detect_dbf_encoding",
    "read_csv_table",
    "read_vector",
    "sha256_file",
    "use_csv_encoding",
    "write_csv",
    "write_table",
    "write_vector",
]

__getattr__, __dir__ = lazy_names(__name__, _API, globals(), __all__)
