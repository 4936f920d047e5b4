"""Where the catalog's tables live: a SQLite file in the data directory (one machine, the
default), or a schema of the PostgreSQL database in `DATABASE_URL`, shared by every host.

One layer over SQLAlchemy Core for both engines, as the bot's database: statements are SQL with
named parameters (`:name`; a list or tuple value expands into `IN (…)`), upserts are the
`ON CONFLICT` both engines accept, tables are created and changed by named migrations
(`migrations.py`). Reads run in autocommit; a write is one transaction (SQLite: `BEGIN
IMMEDIATE`, so two writers queue instead of failing). A dropped PostgreSQL connection is found
by the pool's ping and opened again.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from retrieval.errors import StoreUnavailableError

log = logging.getLogger(__name__)

Row = Mapping[str, Any]
Params = Mapping[str, Any]
Statement = tuple[str, Params]
T = TypeVar("T")


def upsert(table: str, keys: Sequence[str], values: Mapping[str, Any]) -> Statement:
    """INSERT, or UPDATE the row with the same keys: one statement both engines accept."""
    cols = list(values)
    rest = [c for c in cols if c not in keys]
    action = (
        "DO UPDATE SET " + ", ".join(f"{_q(c)}=excluded.{_q(c)}" for c in rest)
        if rest
        else "DO NOTHING"
    )
    sql = (
        f"INSERT INTO {table} ({', '.join(_q(c) for c in cols)}) "
        f"VALUES ({', '.join(':' + c for c in cols)}) "
        f"ON CONFLICT ({', '.join(_q(k) for k in keys)}) {action}"
    )
    return sql, dict(values)


def _q(name: str) -> str:
    return f'"{name}"' if name in {"end"} else name


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "postgresql+"))


def libpq_url(url: str) -> str:
    """DATABASE_URL as libpq reads it (SQLAlchemy's `postgresql+psycopg://` form accepted too)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


def sqlalchemy_url(url: str) -> str:
    """DATABASE_URL as SQLAlchemy reads it: psycopg 3 for PostgreSQL."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)


def schema_name(collection: str) -> str:
    """Each collection's catalog in its own PostgreSQL schema, beside the bot's tables."""
    return "catalog_" + re.sub(r"[^a-z0-9_]", "_", collection.lower())[:50]


def unreachable(exc: BaseException) -> StoreUnavailableError:
    """The first line of the driver's message: host and port, never the password."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip()
    first = text.splitlines()[0] if text else type(inner).__name__
    return StoreUnavailableError(f"PostgreSQL (DATABASE_URL) is unreachable: {first}")


def lock_key(*parts: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def sqlite_engine(path: Path) -> Engine:
    """A SQLite file in WAL mode; the driver never opens transactions on its own, so a write's
    `BEGIN IMMEDIATE` is ours."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 60, "isolation_level": None},
    )
    return with_wal(engine)


def with_wal(engine: Engine) -> Engine:
    """Every connection of a SQLite engine in WAL mode (readers never wait for the writer) with
    normal syncing: the catalog's engine and the bot's."""

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


class Database:
    """The catalog's database on either engine. Safe to share between threads."""

    def __init__(self, engine: Engine, kind: str, schema: str = "") -> None:
        self.engine = engine
        self.kind = kind  # "sqlite" | "postgres"
        self.schema = schema
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT")

    def query(self, sql: str, params: Params | None = None) -> list[Row]:
        try:
            with self._reads.connect() as c:
                result = c.execute(_text(sql, params), dict(params or {}))
                return [dict(r) for r in result.mappings()] if result.returns_rows else []
        except sa.exc.OperationalError as exc:
            raise self._unavailable(exc) from exc

    def transact(self, statements: Sequence[Statement]) -> None:
        def work(c: Connection) -> None:
            for sql, group in _runs(statements):
                c.execute(_text(sql, group[0]), group if len(group) > 1 else group[0])

        self.write(work)

    def write(self, work: Callable[[Connection], T]) -> T:
        """`work` in one write transaction."""
        try:
            if self.kind == "sqlite":
                with self._reads.connect() as c:
                    c.exec_driver_sql("BEGIN IMMEDIATE")
                    try:
                        out = work(c)
                    except BaseException:
                        c.exec_driver_sql("ROLLBACK")
                        raise
                    c.exec_driver_sql("COMMIT")
                    return out
            with self.engine.begin() as c:
                return work(c)
        except sa.exc.OperationalError as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: sa.exc.OperationalError) -> Exception:
        """A server that cannot be reached is the operator's to fix, said without the URL; a
        statement that failed is a bug or a conflict, passed on as it is."""
        lost = exc.connection_invalidated or "connection" in str(exc.orig).lower()
        return unreachable(exc) if self.kind == "postgres" and lost else exc

    def close(self) -> None:
        self.engine.dispose()


class SqliteDatabase(Database):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(sqlite_engine(path), "sqlite")


class PostgresDatabase(Database):
    """One schema of a PostgreSQL database (its `search_path`)."""

    def __init__(self, url: str, schema: str) -> None:
        engine = sa.create_engine(
            sqlalchemy_url(url),
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            # JIT compiling a keyword search's rank cost 20 ms of a 60 ms query at 1,000,000
            # chunks: the catalog's statements are short, never worth compiling.
            connect_args={"connect_timeout": 10, "options": f"-c search_path={schema} -c jit=off"},
        )
        super().__init__(engine, "postgres", schema)

        @sa.event.listens_for(engine, "invalidate")
        def _lost(*_: Any) -> None:
            log.warning("catalog: PostgreSQL connection lost; reconnecting")

        try:
            with engine.begin() as c:  # two hosts starting at once must not race on it
                c.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(schema, "ddl")}
                )
                c.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        except sa.exc.OperationalError as exc:
            engine.dispose()
            raise unreachable(exc) from exc


def _text(sql: str, params: Params | None) -> Any:
    """The statement, with a list or tuple parameter expanded into `IN (…)`."""
    lists = tuple(k for k, v in (params or {}).items() if isinstance(v, list | tuple))
    return _clause(sql, lists)


@functools.lru_cache(maxsize=1024)
def _clause(sql: str, lists: tuple[str, ...]) -> Any:
    """Parsed once per statement (a search runs the same few dozen again and again)."""
    stmt = sa.text(sql)
    return stmt.bindparams(*(sa.bindparam(k, expanding=True) for k in lists)) if lists else stmt


def _runs(statements: Sequence[Statement]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Consecutive statements with the same SQL and parameter names, grouped: one executemany
    each (several hundred word counts per article)."""
    out: list[tuple[str, list[dict[str, Any]]]] = []
    for sql, params in statements:
        p = dict(params)
        expands = any(isinstance(v, list | tuple) for v in p.values())
        if out and out[-1][0] == sql and not expands and out[-1][1][0].keys() == p.keys():
            out[-1][1].append(p)
        else:
            out.append((sql, [p]))
    return out
