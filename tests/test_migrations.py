"""One migration mechanism for the catalog and the bot, on both engines: named migrations
recorded in the database they changed. A catalog of a release before the mechanism (no
`migrations` table, columns added since missing) is brought up to date when it opens, on
SQLite as on a shared PostgreSQL; opening it again, or from several hosts, changes nothing.
The upgrade from the previous release's real databases is tests/test_upgrade.py."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from retrieval.index.catalog import Catalog
from retrieval.index.sql import Database, PostgresDatabase, SqliteDatabase
from retrieval.index.tables import MIGRATIONS

ADDED_SINCE = {"sources": "fingerprint", "chunks": "sentences", "signatures": "gen"}


def database(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if engine == "sqlite":
        return SqliteDatabase(tmp_path / "catalog.sqlite3")
    server = request.getfixturevalue("postgres")
    url = str(server.create_database(f"m{uuid.uuid4().hex[:12]}"))
    return PostgresDatabase(url, "footnote_catalog")


def columns(db: Database, table: str) -> set[str]:
    with db.engine.connect() as c:
        return {col["name"] for col in sa.inspect(c).get_columns(table)}


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_a_catalog_from_before_the_migrations_table_is_brought_up_to_date(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db = database(engine, request, tmp_path)
    Catalog(db)  # today's schema
    names = [r["name"] for r in db.query("SELECT name FROM migrations ORDER BY name")]
    assert names == sorted(m.name for m in MIGRATIONS)
    # As an early release left it: no record of migrations, the columns added since missing.
    db.transact([("DROP TABLE migrations", {})])
    for table, column in ADDED_SINCE.items():
        db.transact([(f"ALTER TABLE {table} DROP COLUMN {column}", {})])
    assert not any(c in columns(db, t) for t, c in ADDED_SINCE.items())
    Catalog(db)
    Catalog(db)  # a second host, or a restart: nothing to do, no error
    for table, column in ADDED_SINCE.items():
        assert column in columns(db, table), table
    assert len(db.query("SELECT name FROM migrations")) == len(MIGRATIONS)
    db.transact([("INSERT INTO sources (source, article_id, seen_at) VALUES (:s, :a, :t)",
                  {"s": "a.txt", "a": "x", "t": 1.0})])  # fmt: skip
    assert db.query("SELECT fingerprint FROM sources")[0]["fingerprint"] == ""
    db.close()


def test_migration_names_are_unique_and_never_renamed() -> None:
    names = [m.name for m in MIGRATIONS]
    assert len(names) == len(set(names)) and names == sorted(names)
    assert names[:5] == [
        "catalog-0001-tables", "catalog-0002-sources-fingerprint",
        "catalog-0003-chunks-sentences", "catalog-0004-signatures-gen",
        "catalog-0005-keyword-index",
    ]  # fmt: skip
