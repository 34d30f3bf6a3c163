"""PostGIS as a layer source and as a sink for zoning's tables.

A catalogue layer can live in PostgreSQL/PostGIS::

    [[layers]]
    kind = "eco_redline"
    path = "postgresql://analyst@db.example:5432/zoning"   # never a password here if shared
    layer = "supervision.redline_2024"                      # or: sql = "SELECT … FROM …"

:func:`read_layer` reads it (a table, or a ``SELECT`` run in a read-only transaction) into a
GeoDataFrame with the CRS of the geometries' SRID, and returns a checksum of the rows read, so
the catalogue caches the validated frame by the table's content rather than a file checksum.
:func:`write_tables` writes zoning's result tables (``zoning_redline_ledger`` …) in **one
transaction**: rows of the same run key (a vintage, a run id) are replaced, new tables get
SRID 4490, a spatial index and an index on the key column; when anything fails — a bad frame,
a dropped connection, a killed process — PostgreSQL rolls the whole write back.

The client libraries are the field's own: SQLAlchemy with the psycopg driver, GeoAlchemy2 for
the geometry type, geopandas' ``to_postgis`` for the rows (the pyogrio wheels carry no
PostgreSQL driver). Identifiers and values go through SQLAlchemy, never into SQL strings.

Passwords come from the URL, ``PGPASSWORD`` or a ``.pgpass`` file (libpq reads both) and are
never printed or logged: URLs are shown with :func:`redact_url`, and driver messages are
scrubbed of the password before they reach an error.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.errors import DatabaseError
from zoning.io.sources import is_database_url

if TYPE_CHECKING:
    from sqlalchemy import Select, TextClause

__all__ = [
    "SRID",
    "check_connection",
    "connect",
    "is_database_url",
    "read_layer",
    "read_table",
    "redact_url",
    "table_exists",
    "write_tables",
]

logger = logging.getLogger("zoning.postgis")  # the name users and tests filter on

#: SRID of every table zoning writes (CGCS2000 geographic, as the normalised frames)
SRID = 4490

_IDENT = re.compile(r"^[^\s\"'.;]+(\.[^\s\"'.;]+)?$")
_CONNECT_TIMEOUT_S = 10


def redact_url(url: str) -> str:
    """Return the URL as it may be shown: the password replaced by ``***``.

    Examples
    --------
    >>> redact_url("postgresql://me:s3cret@127.0.0.1:5432/gis")
    'postgresql://me:***@127.0.0.1:5432/gis'
    >>> redact_url("postgresql://me@127.0.0.1/gis")
    'postgresql://me@127.0.0.1/gis'
    """
    return re.sub(r"^([a-z0-9+]+://[^:/@]*):[^@/]*@", r"\1:***@", url.strip(), flags=re.I)


def _password(url: str) -> str | None:
    match = re.match(r"^[a-z0-9+]+://[^:/@]*:([^@/]*)@", url.strip(), flags=re.I)
    return match.group(1) if match and match.group(1) else None


def _scrub(message: str, url: str) -> str:
    """Remove the password (raw and URL-decoded) from a driver message."""
    import os
    from urllib.parse import unquote

    secrets = {_password(url), os.environ.get("PGPASSWORD")}
    for secret in list(secrets):
        if secret:
            secrets.add(unquote(secret))
    for secret in secrets:
        if secret and len(secret) >= 2:
            message = message.replace(secret, "***")
    return " ".join(message.split())


def _parse(url: str) -> Any:
    """Parse ``url`` into a SQLAlchemy URL (psycopg driver), or raise :class:`DatabaseError`."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    shown = redact_url(url)
    if not is_database_url(url):
        raise DatabaseError(
            f"not a PostgreSQL URL: {shown!r}; expected postgresql://USER@HOST:PORT/DATABASE; "
            "fix: write the URL in that form (the password belongs in PGPASSWORD or .pgpass)"
        )
    try:
        parsed = make_url(url.strip())
        port = parsed.port  # parses the port: a non-number raises ValueError
    except (ArgumentError, ValueError) as exc:
        raise DatabaseError(
            f"cannot parse the database URL {shown!r} ({_scrub(str(exc), url)}); expected "
            "postgresql://USER@HOST:PORT/DATABASE with a numeric port; fix the URL"
        ) from None
    if not parsed.database:
        raise DatabaseError(
            f"the database URL {shown!r} names no database; expected "
            "postgresql://USER@HOST:PORT/DATABASE; fix: add /DATABASE at the end"
        )
    if port is not None and not 0 < port < 65536:
        raise DatabaseError(
            f"the database URL {shown!r} has port {port}; expected 1–65535; fix the port"
        )
    return parsed.set(drivername="postgresql+psycopg")


def connect(url: str) -> Any:
    """Create a SQLAlchemy engine for ``url`` (no pooling: each use opens and closes a connection).

    Raises
    ------
    DatabaseError
        The URL is not a PostgreSQL URL or cannot be parsed.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(
        _parse(url),
        poolclass=NullPool,
        connect_args={"connect_timeout": _CONNECT_TIMEOUT_S, "application_name": "zoning"},
    )


@contextmanager
def _database_errors(url: str, doing: str) -> Iterator[None]:
    """Turn driver errors into :class:`DatabaseError` (what, where, the fix; no password)."""
    from sqlalchemy.exc import DBAPIError, NoSuchTableError, SQLAlchemyError

    shown = redact_url(url)
    try:
        yield
    except DatabaseError:
        raise
    except NoSuchTableError as exc:  # pragma: no cover - tables are checked before reflection
        raise DatabaseError(f"table {exc} not found in {shown} while {doing}") from None
    except DBAPIError as exc:
        detail = _scrub(str(exc.orig) if exc.orig is not None else str(exc), url)
        low = detail.lower()
        if exc.connection_invalidated or (
            "connection" in low and ("failed" in low or "refused" in low)
        ):
            hint = (
                "expected a running PostgreSQL server that accepts this user; fix: check host, "
                "port, user and database, and the password (PGPASSWORD or .pgpass)"
            )
        else:
            hint = "nothing was written (the transaction was rolled back)"
        raise DatabaseError(f"database {shown} refused while {doing}: {detail}; {hint}") from None
    except SQLAlchemyError as exc:
        raise DatabaseError(
            f"database {shown} failed while {doing}: {_scrub(str(exc), url)}; nothing was "
            "written (the transaction was rolled back)"
        ) from None


def check_connection(url: str) -> None:
    """Connect to ``url`` once and run ``SELECT 1``: fail before a long job, not after it.

    Raises
    ------
    DatabaseError
        The URL is not a PostgreSQL URL, or the server cannot be reached or refuses the user
        (the message says what and the fix, with no password).
    """
    from sqlalchemy import text

    engine = connect(url)
    try:
        with _database_errors(url, "connecting"), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def _split_name(name: str, url: str) -> tuple[str | None, str]:
    """``"schema.table"`` → ``(schema, table)``; ``"table"`` → ``(None, table)``."""
    if not isinstance(name, str) or not _IDENT.match(name.strip()):
        raise DatabaseError(
            f"table name {name!r} for {redact_url(url)} is not schema.table; expected a table "
            "name such as 'public.redline' (no quotes, spaces or semicolons); fix the name"
        )
    schema, _, table = name.strip().rpartition(".")
    return (schema or None), table


def _reflect(conn: Any, schema: str | None, name: str) -> Any:
    """Reflect the table's SQLAlchemy description.

    GeoAlchemy2 is imported first, so that geometry columns are recognised.
    """
    import geoalchemy2  # noqa: F401  (registers the PostGIS types with the reflection)
    from sqlalchemy import MetaData, Table

    return Table(name, MetaData(), schema=schema, autoload_with=conn)


def _geometry_oids(conn: Any) -> set[int]:
    from sqlalchemy import text

    rows = conn.execute(
        text("SELECT oid FROM pg_type WHERE typname IN ('geometry', 'geography')")
    ).fetchall()
    if not rows:
        raise DatabaseError(
            "the database has no PostGIS geometry type; expected the postgis extension; fix: "
            "CREATE EXTENSION postgis (or `make postgis` for a local server)"
        )
    return {int(r[0]) for r in rows}


def _missing_table(conn: Any, schema: str | None, table: str, url: str) -> DatabaseError:
    from sqlalchemy import inspect

    known = inspect(conn).get_table_names(schema=schema)
    where = f"schema {schema!r}" if schema else "the default schema"
    listed = ", ".join(sorted(known)[:20]) or "(none)"
    return DatabaseError(
        f"table {(schema + '.') if schema else ''}{table} not found in {redact_url(url)}; "
        f"tables in {where}: {listed}; fix: correct `layer` (schema.table) in the catalogue"
    )


def _frame_checksum(df: pd.DataFrame, geoms: np.ndarray) -> str:
    """sha256 of the rows read: column names, attribute values and geometries (EWKB)."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, df.columns)).encode())
    if len(df.columns):
        digest.update(pd.util.hash_pandas_object(df.astype(str), index=False).to_numpy().tobytes())
    for wkb in shapely.to_wkb(geoms, include_srid=True):
        digest.update(b"\x00" if wkb is None else wkb)
    return digest.hexdigest()


def read_layer(
    url: str,
    *,
    layer: str | None = None,
    sql: str | None = None,
    crs: Any = None,
) -> tuple[gpd.GeoDataFrame, str]:
    """Read a PostGIS table (``layer = "schema.table"``) or query (``sql``) into a GeoDataFrame.

    Parameters
    ----------
    url : str
        ``postgresql://USER@HOST:PORT/DATABASE`` (password from the URL, ``PGPASSWORD`` or
        ``.pgpass``).
    layer : str, optional
        The table, ``schema.table`` or ``table``; rows in primary-key order when it has one.
    sql : str, optional
        A ``SELECT`` (or ``WITH … SELECT``) instead of a table, run in a read-only transaction.
    crs : CRS-like, optional
        The CRS of geometries stored without SRID (SRID 0); otherwise the SRID decides.

    Returns
    -------
    (geopandas.GeoDataFrame, str)
        The rows (geometry column ``geometry``) and the sha256 of their content.

    Raises
    ------
    DatabaseError
        Bad URL, unreachable server, refused login, missing table, no geometry column, a
        table without SRID (and no ``crs``), mixed SRIDs. The password is never in the message.
    """
    from sqlalchemy import inspect, literal_column, select, text

    stmt: Select[Any] | TextClause
    if (layer is None) == (sql is None):
        raise DatabaseError(
            f"a PostGIS layer at {redact_url(url)} needs exactly one of `layer` "
            "(schema.table) and `sql` (SELECT …); fix the catalogue entry"
        )
    what = f"table {layer}" if layer is not None else "the query in `sql`"
    if sql is not None and not re.match(r"^\s*(select|with)\b", sql, flags=re.I):
        raise DatabaseError(
            f"`sql` for {redact_url(url)} does not start with SELECT or WITH: "
            f"{sql.strip()[:60]!r}; expected a query that reads rows; fix the query"
        )
    engine = connect(url)
    with _database_errors(url, f"reading {what}"), engine.connect() as raw_conn:
        conn = raw_conn.execution_options(postgresql_readonly=True)
        with conn.begin():
            oids = _geometry_oids(conn)
            if layer is not None:
                schema, name = _split_name(layer, url)
                if not inspect(conn).has_table(name, schema=schema):
                    raise _missing_table(conn, schema, name, url)
                table = _reflect(conn, schema, name)
                stmt = select(literal_column("*")).select_from(table)
                if table.primary_key.columns:
                    stmt = stmt.order_by(*table.primary_key.columns)
            else:
                assert sql is not None  # exactly one of layer and sql, checked above
                stmt = text(sql)
            result = conn.execute(stmt)
            columns = list(result.keys())
            types = [d.type_code for d in result.cursor.description]
            rows = [tuple(r) for r in result.fetchall()]  # plain tuples: fast to frame
    engine.dispose()
    geom_cols = [c for c, t in zip(columns, types, strict=True) if t in oids]
    if not geom_cols:
        raise DatabaseError(
            f"{what} in {redact_url(url)} has no geometry column (columns: "
            f"{', '.join(columns)}); expected one PostGIS geometry column; fix: select it"
        )
    df = pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)
    geom_col = geom_cols[0]
    geoms = shapely.from_wkb(df[geom_col].to_numpy(dtype=object))
    attrs = df.drop(columns=geom_cols)
    checksum = _frame_checksum(attrs, geoms)
    srids = set(shapely.get_srid(geoms[~shapely.is_missing(geoms)]).tolist())
    if len(srids) > 1:
        raise DatabaseError(
            f"{what} in {redact_url(url)} mixes SRIDs {sorted(srids)}; expected one SRID; fix: "
            "ST_Transform the geometries to one SRID"
        )
    srid = srids.pop() if srids else 0
    if srid <= 0 and crs is None:
        raise DatabaseError(
            f"{what} in {redact_url(url)} has geometries without SRID (SRID {srid}); expected "
            "an SRID such as 4490 (CGCS2000); fix: UpdateGeometrySRID on the table, or declare "
            '`crs = "EPSG:4490"` for this layer in the catalogue'
        )
    frame_crs = crs if srid <= 0 else f"EPSG:{srid}"
    geoms = shapely.set_srid(geoms, 0)
    out = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, crs=frame_crs), crs=frame_crs)
    logger.info("read %d rows of %s from %s", len(out), what, redact_url(url))
    return out, checksum


def table_exists(url: str, name: str) -> bool:
    """Tell whether table ``name`` (``schema.table``) exists in the database at ``url``."""
    from sqlalchemy import inspect

    schema, table = _split_name(name, url)
    engine = connect(url)
    with _database_errors(url, f"looking for table {name}"), engine.connect() as conn:
        found: bool = inspect(conn).has_table(table, schema=schema)
    engine.dispose()
    return found


def read_table(url: str, name: str, *, key_column: str | None = None, key: Any = None) -> Any:
    """Read a table zoning wrote (all rows, or those with ``key_column == key``).

    Returns
    -------
    geopandas.GeoDataFrame or pandas.DataFrame
        A GeoDataFrame (EPSG:4490) when the table has a geometry column.
    """
    from sqlalchemy import inspect, literal_column, select

    schema, table_name = _split_name(name, url)
    engine = connect(url)
    with _database_errors(url, f"reading table {name}"), engine.connect() as conn:
        if not inspect(conn).has_table(table_name, schema=schema):
            raise _missing_table(conn, schema, table_name, url)
        oids = _geometry_oids(conn)
        table = _reflect(conn, schema, table_name)
        stmt: Select[Any] = select(literal_column("*")).select_from(table)
        if key_column is not None:
            stmt = stmt.where(table.c[key_column] == key)
        result = conn.execute(stmt)
        columns = list(result.keys())
        types = [d.type_code for d in result.cursor.description]
        rows = [tuple(r) for r in result.fetchall()]
    engine.dispose()
    df = pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)
    geom_cols = [c for c, t in zip(columns, types, strict=True) if t in oids]
    if not geom_cols:
        return df
    geoms = shapely.set_srid(shapely.from_wkb(df[geom_cols[0]].to_numpy(dtype=object)), 0)
    attrs = df.drop(columns=geom_cols)
    return gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, crs=SRID), crs=SRID)


def _sql_type(series: pd.Series) -> Any:
    from sqlalchemy import BigInteger, Boolean, DateTime, Float, Text

    if pd.api.types.is_bool_dtype(series):
        return Boolean()
    if pd.api.types.is_integer_dtype(series):
        return BigInteger()
    if pd.api.types.is_float_dtype(series):
        return Float(precision=53)
    if pd.api.types.is_datetime64_any_dtype(series):
        return DateTime(timezone=False)
    return Text()


def _prepared(frame: pd.DataFrame, key_column: str, key: Any, name: str) -> pd.DataFrame:
    """Prepare the frame to write: the key column first, geometries in EPSG:4490, plain values."""
    out = frame.copy()
    if key_column in out.columns:
        out = out.drop(columns=[key_column])
    out.insert(0, key_column, key)
    if isinstance(out, gpd.GeoDataFrame):
        if out.crs is None:
            raise DatabaseError(
                f"the frame for table {name} has no CRS; expected geometries with a CRS; this "
                "is a bug in the caller: set the CRS before writing"
            )
        if out.crs.to_epsg() != SRID:
            out = out.to_crs(epsg=SRID)
        if out.geometry.name != "geometry":
            out = out.rename_geometry("geometry")
    for col in out.columns:
        if col != "geometry" and out[col].dtype == object:
            out[col] = out[col].map(
                lambda v: v if v is None or isinstance(v, str | int | float | bool) else str(v)
            )
    return out


def _create_table(conn: Any, schema: str | None, name: str, frame: pd.DataFrame, key: str) -> None:
    from geoalchemy2 import Geometry
    from sqlalchemy import Column, Index, MetaData, Table

    columns = [
        Column(col, Geometry("GEOMETRY", srid=SRID, spatial_index=True))
        if col == "geometry" and isinstance(frame, gpd.GeoDataFrame)
        else Column(col, _sql_type(frame[col]))
        for col in frame.columns
    ]
    table = Table(name, MetaData(), *columns, schema=schema)
    Index(f"{name}_{key}_idx", table.c[key])
    table.create(conn)


def _replace_rows(
    conn: Any, url: str, name: str, frame: pd.DataFrame, key_column: str, key: Any
) -> int:
    from sqlalchemy import delete, func, inspect, select

    schema, table_name = _split_name(name, url)
    if schema is None:  # the connection's default schema, named: to_postgis assumes "public"
        schema = conn.execute(select(func.current_schema())).scalar_one()
    frame = _prepared(frame, key_column, key, name)
    if not inspect(conn).has_table(table_name, schema=schema):
        _create_table(conn, schema, table_name, frame, key_column)
    else:
        table = _reflect(conn, schema, table_name)
        missing = [c for c in frame.columns if c not in table.c]
        if missing or key_column not in table.c:
            raise DatabaseError(
                f"table {name} in {redact_url(url)} lacks the columns {missing or [key_column]} "
                f"that zoning writes; expected a table zoning created; fix: drop or rename the "
                "old table, or write to another database (nothing was written)"
            )
        conn.execute(delete(table).where(table.c[key_column] == key))
    if len(frame):
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_postgis(table_name, conn, schema=schema, if_exists="append", index=False)
        else:
            frame.to_sql(table_name, conn, schema=schema, if_exists="append", index=False)
    return len(frame)


def write_tables(
    url: str,
    tables: Mapping[str, pd.DataFrame],
    *,
    key_column: str,
    key: Any,
    after_table: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write result tables in one transaction, replacing the rows of run ``key``.

    Parameters
    ----------
    url : str
        The database.
    tables : mapping of str to (Geo)DataFrame
        ``{"schema.table" or "table": frame}``. GeoDataFrames are written in EPSG:4490 (SRID
        4490, a ``GEOMETRY`` column with a spatial index); a table is created on first use
        with an index on ``key_column``.
    key_column, key : str, object
        The run column (``vintage``, ``run_id``) and this run's value: its rows are deleted
        and written again, so rerunning a vintage leaves one copy.
    after_table : callable, optional
        Called with each table's name after its rows were sent (still inside the
        transaction); for progress messages and for tests that interrupt a write.

    Returns
    -------
    dict of str to int
        Rows written per table.

    Raises
    ------
    DatabaseError
        Anything failed; the database is as it was before the call.
    """
    engine = connect(url)
    written: dict[str, int] = {}
    with _database_errors(url, f"writing {', '.join(tables)}"), engine.begin() as conn:
        for name, frame in tables.items():
            written[name] = _replace_rows(conn, url, name, frame, key_column, key)
            if after_table is not None:
                after_table(name)
    engine.dispose()
    logger.info("wrote %s to %s", written, redact_url(url))
    return written
