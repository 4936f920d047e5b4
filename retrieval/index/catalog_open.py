"""Which catalog a process opens: the SQLite file in its data directory, or, when `DATABASE_URL`
names PostgreSQL, the collection's schema there, shared by every host. An index built before
its catalog moved to PostgreSQL is copied there once, so an upgrade loses nothing."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from retrieval.index.catalog import Catalog
from retrieval.index.lock import AdvisoryLock
from retrieval.index.sql import (
    PostgresDatabase,
    SqliteDatabase,
    Statement,
    is_postgres,
    schema_name,
)
from retrieval.index.tables import band_signatures
from retrieval.settings import Settings

log = logging.getLogger(__name__)

ADOPTED = "adopted_local_catalog"  # meta key: the copy is made once, never again
TABLES = ["meta", "articles", "sources", "chunks", "signatures", "also_published", "copy_texts",
          "feeds", "feed_items", "feed_failures", "feed_settings"]  # fmt: skip
# Not copied: the words are indexed again in PostgreSQL's own way when the index opens.
NOT_COPIED_META = ("lock:", "keyword_index")


def open_catalog(settings: Settings) -> Catalog:
    local = settings.data_dir / "catalog.sqlite3"
    if not is_postgres(settings.database_url.get_secret_value()):
        return Catalog.local(local)
    schema = schema_name(settings.collection)
    catalog = Catalog(PostgresDatabase(settings.database_url.get_secret_value(), schema))
    if local.exists() and not catalog.get_meta(ADOPTED):
        lock = AdvisoryLock(
            settings.database_url.get_secret_value(), schema, settings.lock_timeout, "catalog copy"
        )
        with lock:
            adopt(catalog, local)
    return catalog


def adopt(catalog: Catalog, path: Path) -> int:
    """Copy a local catalog into an empty shared one (write lock held); the number of articles."""
    if catalog.get_meta(ADOPTED):
        return 0
    copied = 0
    if catalog.query("SELECT 1 FROM articles LIMIT 1"):
        log.warning("catalog: PostgreSQL already holds an index; %s is not copied into it (ingest "
                    "its sources again to add them)", path)  # fmt: skip
    else:
        source = SqliteDatabase(path)
        try:
            copied = _copy(source, catalog)
        finally:
            source.close()
    catalog.set_meta(ADOPTED, f"{path} at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}")
    if copied:
        log.warning("catalog: copied %d articles from %s into PostgreSQL; that file is no longer "
                    "read and may be deleted", copied, path)  # fmt: skip
    return copied


def _copy(source: SqliteDatabase, catalog: Catalog) -> int:
    have = {r["name"] for r in source.query("SELECT name FROM sqlite_master WHERE type='table'")}
    statements: list[Statement] = []
    for table in TABLES:
        if table not in have:
            continue
        for row in source.query(f"SELECT * FROM {table}"):
            if table == "meta" and str(row["key"]).startswith(NOT_COPIED_META):
                continue
            cols = list(row.keys())
            quoted = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join(f":p{i}" for i in range(len(cols)))
            statements.append(
                (f"INSERT INTO {table} ({quoted}) VALUES ({marks}) ON CONFLICT DO NOTHING",
                 {f"p{i}": row[c] for i, c in enumerate(cols)})
            )  # fmt: skip
    if "feeds" in have:  # explicit ids were copied: the next feed must not reuse one
        statements.append(
            ("SELECT setval(pg_get_serial_sequence('feeds', 'feed_id'), "
             "COALESCE((SELECT MAX(feed_id) FROM feeds), 0) + 1, false)", {})
        )  # fmt: skip
    catalog.transact(statements)
    catalog.db.write(band_signatures)  # the copied signatures' buckets (the words: Index)
    return sum(1 for s in statements if s[0].startswith("INSERT INTO articles"))
