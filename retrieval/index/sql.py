"""Where the catalog's tables live: a SQLite file in the data directory (one machine, the
default), or a schema of the PostgreSQL database in `DATABASE_URL`, shared by every host.

The catalog and the stores beside it write one SQL with `?` placeholders and portable upserts
(`upsert`); this module adapts placeholders and column types to PostgreSQL. Each database is
used through one connection per process, serialised by a lock: statements are short, and a
search makes a handful of them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from retrieval.errors import StoreUnavailableError

log = logging.getLogger(__name__)

Row = Mapping[str, Any]
Statement = tuple[str, Iterable[Any]]
T = TypeVar("T")


class Database(Protocol):
    kind: str  # "sqlite" | "postgres"

    def query(self, sql: str, args: Iterable[Any] = ()) -> list[Row]: ...
    def query_alone(self, sql: str, args: Iterable[Any] = ()) -> list[Row]: ...
    def transact(self, statements: list[Statement]) -> None: ...
    def create(self, ddl: Sequence[str]) -> None: ...
    def columns(self, table: str) -> set[str]: ...
    def add_columns(self, table: str, columns: Mapping[str, str]) -> None: ...
    def close(self) -> None: ...


def upsert(table: str, keys: Sequence[str], values: Mapping[str, Any]) -> Statement:
    """INSERT, or UPDATE the row with the same keys: one statement both engines accept."""
    cols = list(values)
    quoted = ", ".join(_q(c) for c in cols)
    marks = ", ".join("?" * len(cols))
    rest = [c for c in cols if c not in keys]
    action = (
        "DO UPDATE SET " + ", ".join(f"{_q(c)}=excluded.{_q(c)}" for c in rest)
        if rest
        else "DO NOTHING"
    )
    sql = (
        f"INSERT INTO {table} ({quoted}) VALUES ({marks}) "
        f"ON CONFLICT ({', '.join(_q(k) for k in keys)}) {action}"
    )
    return sql, tuple(values.values())


def _q(name: str) -> str:
    return f'"{name}"' if name in {"end"} else name


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "postgresql+"))


def libpq_url(url: str) -> str:
    """DATABASE_URL as libpq reads it (SQLAlchemy's `postgresql+psycopg://` form accepted too)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


def schema_name(collection: str) -> str:
    """Each collection's catalog in its own PostgreSQL schema, beside the bot's tables."""
    return "catalog_" + re.sub(r"[^a-z0-9_]", "_", collection.lower())[:50]


def unreachable(exc: Exception) -> StoreUnavailableError:
    """The first line of libpq's message: host and port, never the password."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreUnavailableError(f"PostgreSQL (DATABASE_URL) is unreachable: {first}")


def lock_key(*parts: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SqliteDatabase:
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=60, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")

    def query(self, sql: str, args: Iterable[Any] = ()) -> list[Row]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    def query_alone(self, sql: str, args: Iterable[Any] = ()) -> list[Row]:
        return self.query(sql, args)  # local and quick: one connection is enough

    def transact(self, statements: list[Statement]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._db.execute(sql, tuple(args))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def create(self, ddl: Sequence[str]) -> None:
        self.transact([(sql, ()) for sql in ddl])

    def columns(self, table: str) -> set[str]:
        return {r["name"] for r in self.query(f"PRAGMA table_info({table})")}

    def add_columns(self, table: str, columns: Mapping[str, str]) -> None:
        """Columns added after a table was first created (SQLite has no ADD COLUMN IF NOT
        EXISTS: the ones already there are skipped, in the same write transaction)."""
        with self._lock:
            have = self.columns(table)
            self.transact(
                [(f"ALTER TABLE {table} ADD COLUMN {name} {decl}", ())
                 for name, decl in columns.items() if name not in have]
            )  # fmt: skip

    def close(self) -> None:
        with self._lock:
            self._db.close()


_TYPES = [
    (re.compile(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),  # PostgreSQL's REAL is 4 bytes: not a timestamp
]  # fmt: skip


def postgres_ddl(sql: str) -> str:
    for pattern, replacement in _TYPES:
        sql = pattern.sub(replacement, sql)
    return sql


def postgres_sql(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresDatabase:
    """One schema of a PostgreSQL database. A dropped connection (a server restart, a failover)
    is opened again once per statement before the error reaches the caller."""

    kind = "postgres"

    def __init__(self, url: str, schema: str) -> None:
        self.url = libpq_url(url)
        self.schema = schema
        self._lock = threading.RLock()
        self._conn: Any = None
        with self._lock:
            self._connection()

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> Any:
        import psycopg
        from psycopg.rows import dict_row

        try:
            conn = psycopg.connect(
                self.url, autocommit=True, row_factory=dict_row, connect_timeout=10
            )
        except psycopg.OperationalError as exc:
            raise unreachable(exc) from exc
        with conn.transaction():  # two hosts starting at once must not race on CREATE SCHEMA
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(self.schema, "ddl"),))
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        conn.execute(f'SET search_path TO "{self.schema}"')
        return conn

    def _run(self, work: Callable[[Any], T]) -> T:
        import psycopg

        with self._lock:
            try:
                return work(self._connection())
            except psycopg.OperationalError:
                if self._conn is not None and not self._conn.closed:
                    raise  # the statement failed, not the connection
                log.warning("catalog: PostgreSQL connection lost; reconnecting")
                self._conn = None
                return work(self._connection())

    def query(self, sql: str, args: Iterable[Any] = ()) -> list[Row]:
        def work(conn: Any) -> list[Row]:
            cur = conn.execute(postgres_sql(sql), tuple(args))
            return cur.fetchall() if cur.description else []

        return self._run(work)

    def query_alone(self, sql: str, args: Iterable[Any] = ()) -> list[Row]:
        conn = self._connect()
        try:
            return list(conn.execute(postgres_sql(sql), tuple(args)).fetchall())
        finally:
            conn.close()

    def transact(self, statements: list[Statement]) -> None:
        def work(conn: Any) -> None:
            with conn.transaction(), conn.cursor() as cur:
                for sql, group in _runs(statements):
                    if len(group) == 1:
                        cur.execute(postgres_sql(sql), group[0])
                    else:
                        cur.executemany(postgres_sql(sql), group)

        self._run(work)

    def create(self, ddl: Sequence[str]) -> None:
        key = lock_key(self.schema, "ddl")
        self.transact(
            [("SELECT pg_advisory_xact_lock(?)", (key,))] + [(postgres_ddl(s), ()) for s in ddl]
        )

    def columns(self, table: str) -> set[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            (self.schema, table),
        )
        return {r["column_name"] for r in rows}

    def add_columns(self, table: str, columns: Mapping[str, str]) -> None:
        """Columns added after a table was first created: every host may run this at once."""
        self.create(
            [f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {n} {d}" for n, d in columns.items()]
        )

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _runs(statements: list[Statement]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Consecutive statements with the same SQL, grouped: one executemany (pipelined) each."""
    out: list[tuple[str, list[tuple[Any, ...]]]] = []
    for sql, args in statements:
        if out and out[-1][0] == sql:
            out[-1][1].append(tuple(args))
        else:
            out.append((sql, [tuple(args)]))
    return out
