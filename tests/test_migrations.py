"""The catalog's migrations run on both engines (issue 25's first step): a catalog created by an
earlier release, without a column added since, gets it when it opens, on SQLite as on a shared
PostgreSQL; opening it again, or from several hosts, changes nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from retrieval.index.catalog import ADDED_COLUMNS, Catalog
from retrieval.index.sql import Database, PostgresDatabase, SqliteDatabase


def database(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if engine == "sqlite":
        return SqliteDatabase(tmp_path / "catalog.sqlite3")
    server = request.getfixturevalue("postgres")
    url = str(server.create_database(f"m{uuid.uuid4().hex[:12]}"))
    return PostgresDatabase(url, "footnote_catalog")


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_an_earlier_releases_catalog_gets_the_columns_added_since(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db = database(engine, request, tmp_path)
    Catalog(db)  # today's schema
    for table, columns in ADDED_COLUMNS.items():
        for name in columns:  # as an earlier release created it
            db.transact([(f"ALTER TABLE {table} DROP COLUMN {name}", ())])
    assert not any(n in db.columns(t) for t, cols in ADDED_COLUMNS.items() for n in cols)
    Catalog(db)
    Catalog(db)  # a second host, or a restart: nothing to do, no error
    for table, columns in ADDED_COLUMNS.items():
        assert set(columns) <= db.columns(table), table
    db.transact([("INSERT INTO sources (source, article_id, seen_at) VALUES (?, ?, ?)",
                  ("a.txt", "x", 1.0))])  # fmt: skip
    assert db.query("SELECT fingerprint FROM sources")[0]["fingerprint"] == ""
    db.close()
