"""Named migrations, recorded in a `migrations` table of the database they changed: the one
mechanism for the catalog and the bot's database, on SQLite and PostgreSQL alike.

A migration runs once per database, in list order, inside the caller's write transaction (so
processes starting together take turns: PostgreSQL by an advisory lock, SQLite by `BEGIN
IMMEDIATE`). Each must also be safe on a database an earlier release created without this
table (create if missing, add a column if missing): that is how an installation of the first
releases is brought up to date in place."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

_meta = sa.MetaData()
migrations_t = sa.Table(
    "migrations", _meta,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("applied_at", sa.Float, nullable=False),
)  # fmt: skip


@dataclass(frozen=True)
class Migration:
    name: str
    run: Callable[[Connection], None]


def apply(c: Connection, migrations: Sequence[Migration]) -> list[str]:
    """Run the migrations this database has not recorded; their names, in order."""
    migrations_t.create(c, checkfirst=True)
    done = set(c.execute(sa.select(migrations_t.c.name)).scalars())
    applied = []
    for m in migrations:
        if m.name in done:
            continue
        m.run(c)
        c.execute(sa.insert(migrations_t).values(name=m.name, applied_at=time.time()))
        applied.append(m.name)
    if applied and done:  # a new database's first migrations are not news
        log.warning("database migrated: %s", ", ".join(applied))
    return applied


def create_tables(metadata: sa.MetaData) -> Callable[[Connection], None]:
    """A migration that creates the tables (and their indexes) that do not exist yet."""

    def run(c: Connection) -> None:
        metadata.create_all(c, checkfirst=True)

    return run


def add_column(table: str, column: str, declaration: str) -> Callable[[Connection], None]:
    """A migration that adds a column an earlier release's table lacks."""

    def run(c: Connection) -> None:
        have = {col["name"] for col in sa.inspect(c).get_columns(table)}
        if column not in have:
            c.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    return run


def pg_lock(c: Connection, key: int) -> None:
    """Processes starting together on PostgreSQL take turns (SQLite: the write transaction)."""
    if c.dialect.name == "postgresql":
        c.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
