"""The catalog's tables (articles, sources, chunks, near-duplicate signatures and copies, feeds)
and the named migrations that create and change them, on SQLite and PostgreSQL alike
(`migrations.py`). A new column is a new migration at the end of `MIGRATIONS`, and is declared
in its table here for catalogs created after it."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from datasketch import MinHash
from sqlalchemy.engine import Connection

from retrieval.index import keyword
from retrieval.index.migrations import Migration, add_column, create_tables
from retrieval.index.signatures import NUM_PERM, SCHEME, SEED, buckets

meta = sa.MetaData()
Text = sa.Text


def _text(name: str, **kw: object) -> sa.Column[str]:
    return sa.Column(name, Text, nullable=False, **kw)  # type: ignore[arg-type]


def _blank(name: str) -> sa.Column[str]:
    return sa.Column(name, Text, nullable=False, server_default="")


def _int(name: str, default: str | None = None) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, nullable=False, server_default=default)


def _time(name: str, default: str | None = None) -> sa.Column[float]:
    return sa.Column(name, sa.Float, nullable=False, server_default=default)


sa.Table("meta", meta, _text("key", primary_key=True), _text("value"))
sa.Table(
    "articles", meta,
    _text("article_id", primary_key=True), _text("title"), _text("url"), _text("source"),
    _text("date"), _text("lang"), _text("content_hash"), _text("text"),
    _int("chunks", "0"),
    _int("hwm", "0"),  # highest chunk count ever written to the store
    sa.Column("state", Text, nullable=False, server_default="pending"),  # 'pending' while writing
    _time("updated_at"),
    sa.Column("shelf", Text, nullable=False, server_default="public"),  # shelves.py
    sa.Index("articles_hash", "content_hash"),
    # A write finds the few pending articles without a scan; partial, so that no query about
    # ready articles (all of them) is planned on it.
    sa.Index("articles_pending", "state", sqlite_where=sa.text("state = 'pending'"),
             postgresql_where=sa.text("state = 'pending'")),
    # A search within a period finds the period's chunks without a scan (search/hybrid.py).
    sa.Index("articles_date", "date"),
    sa.Index("articles_shelf", "shelf"),  # `footnote shelves`, a digest of some shelves
    sa.Index("articles_updated", "updated_at"),  # what is new since a moment (followed stories)
)  # fmt: skip
sa.Table(
    "sources", meta,
    _text("source", primary_key=True), _text("article_id"), _time("seen_at"),
    _blank("fingerprint"),  # hash of the raw document, to skip unchanged input
    sa.Index("sources_article", "article_id"),
)  # fmt: skip
sa.Table(
    "chunks", meta,
    _text("chunk_id", primary_key=True), _text("article_id"), _int("number"), _text("text"),
    _int("start"), _int("end"), _text("lang"), _text("text_hash"),
    _blank("sentences"),  # sentence spans in the chunk: "s:e,s:e,..."
    sa.Index("chunks_article", "article_id"), sa.Index("chunks_hash", "text_hash"),
)  # fmt: skip
sa.Table(  # MinHash of each article's text (near-duplicates)
    "signatures", meta,
    _text("article_id", primary_key=True), sa.Column("sig", sa.LargeBinary, nullable=False),
    _int("gen", "0"),  # the generation its write published
)  # fmt: skip
sa.Table(  # band buckets of the signatures: the near-duplicate index, in SQL
    "signature_bands", meta,
    sa.Column("bucket", sa.BigInteger, primary_key=True), _text("article_id", primary_key=True),
    sa.Index("signature_bands_article", "article_id"),
)  # fmt: skip
sa.Table(  # copies of a story stored once, as links on it
    "also_published", meta,
    _text("source", primary_key=True), _text("article_id"), _text("url"), _text("title"),
    _text("date"), _time("similarity"), _time("added_at"),
    sa.Index("also_article", "article_id"),
)  # fmt: skip
sa.Table(  # each copy's own words: it vouches for those only
    "copy_texts", meta, _text("source", primary_key=True), _text("article_id"), _text("text")
)  # fmt: skip
sa.Table(
    "feeds", meta,
    sa.Column("feed_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("url", Text, nullable=False, unique=True), _blank("kind"), _blank("title"),
    _int("every_minutes"), _blank("etag"), _blank("last_modified"), _time("added_at"),
    _time("last_poll", "0"), _time("last_success", "0"), _time("next_poll", "0"),
    _blank("error"), _int("errors", "0"), _int("reported", "0"), _int("articles", "0"),
    sqlite_autoincrement=True,
)  # fmt: skip
sa.Table(  # the entries already taken
    "feed_items", meta,
    sa.Column("feed_id", sa.Integer, primary_key=True), _text("item_key", primary_key=True),
    _text("version"), _blank("article_id"), _time("seen_at"),
)  # fmt: skip
sa.Table(  # an owner's choices per feed
    "feed_settings", meta,
    sa.Column("feed_id", sa.Integer, primary_key=True), _int("ignore_robots", "0"),
    sa.Column("shelf", Text, nullable=False, server_default="public"),
)  # fmt: skip
sa.Table(  # entries that could not be read, tried again later
    "feed_failures", meta,
    sa.Column("feed_id", sa.Integer, primary_key=True), _text("item_key", primary_key=True),
    _text("version"), _int("failures"), _time("retry_at"),
)  # fmt: skip


def band_signatures(c: Connection) -> None:
    """The near-duplicate index moved from each process's memory into the catalog: the stored
    signatures get their band buckets (all again), a page at a time."""
    bands = meta.tables["signature_bands"]
    bands.create(c, checkfirst=True)
    c.execute(sa.delete(bands))
    after = ""
    while True:
        rows = c.execute(
            sa.text("SELECT article_id, sig FROM signatures WHERE article_id > :a "
                    "ORDER BY article_id LIMIT 1000"), {"a": after}
        ).all()  # fmt: skip
        if not rows:
            return
        values = []
        for article_id, blob in rows:
            sig = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME,
                          hashvalues=np.frombuffer(blob, dtype=np.uint64))  # fmt: skip
            values += [{"bucket": b, "article_id": article_id} for b in set(buckets(sig))]
        if values:
            c.execute(sa.insert(bands), values)
        after = rows[-1][0]


def _pending_index(c: Connection) -> None:
    c.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS articles_pending ON articles (state) WHERE state = 'pending'"
    )


def _date_index(c: Connection) -> None:
    c.exec_driver_sql("CREATE INDEX IF NOT EXISTS articles_date ON articles (date)")


def _updated_index(c: Connection) -> None:
    c.exec_driver_sql("CREATE INDEX IF NOT EXISTS articles_updated ON articles (updated_at)")


def _shelves(c: Connection) -> None:
    """Every article stored so far is on the shelf `public`, as every chat saw it until now."""
    add_column("articles", "shelf", "TEXT NOT NULL DEFAULT 'public'")(c)
    c.exec_driver_sql("CREATE INDEX IF NOT EXISTS articles_shelf ON articles (shelf)")


# In order, forever: a released name never changes (it is recorded in each catalog).
MIGRATIONS = [
    Migration("catalog-0001-tables", create_tables(meta)),
    Migration("catalog-0002-sources-fingerprint",
              add_column("sources", "fingerprint", "TEXT NOT NULL DEFAULT ''")),
    Migration("catalog-0003-chunks-sentences",
              add_column("chunks", "sentences", "TEXT NOT NULL DEFAULT ''")),
    Migration("catalog-0004-signatures-gen",
              add_column("signatures", "gen", "INTEGER NOT NULL DEFAULT 0")),
    Migration("catalog-0005-keyword-index", keyword.create),
    Migration("catalog-0006-signature-bands", band_signatures),
    Migration("catalog-0007-articles-pending-index", _pending_index),
    Migration("catalog-0008-articles-date-index", _date_index),
    Migration("catalog-0009-articles-shelf", _shelves),
    Migration("catalog-0010-feed-shelf",
              add_column("feed_settings", "shelf", "TEXT NOT NULL DEFAULT 'public'")),
    Migration("catalog-0011-articles-updated-index", _updated_index),
]  # fmt: skip
