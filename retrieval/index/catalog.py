"""The ingest manifest: articles, where they came from, their chunks, and a generation counter
that tells readers in other processes (and on other hosts) that the index changed. It lives in
SQLite in the data directory, or in PostgreSQL when several hosts share one index (`sql.py`).

Chroma holds the vectors; the catalog is what makes ingest incremental (content hashes, source
mapping), lists sources without scanning vectors, feeds the keyword index, and records a
high-water mark of chunk numbers before any vector is written, so a killed ingest can always
remove the chunks it may have left behind.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from retrieval.index.keyword import VERSION as KEYWORDS
from retrieval.index.keyword import KeywordIndex
from retrieval.index.sql import Database, Row, SqliteDatabase, Statement, upsert
from retrieval.types import Article, Chunk

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY,
    title TEXT NOT NULL, url TEXT NOT NULL, source TEXT NOT NULL, date TEXT NOT NULL,
    lang TEXT NOT NULL, content_hash TEXT NOT NULL, text TEXT NOT NULL,
    chunks INTEGER NOT NULL DEFAULT 0,
    hwm INTEGER NOT NULL DEFAULT 0,          -- highest chunk count ever written to the store
    state TEXT NOT NULL DEFAULT 'pending',   -- 'pending' while vectors are being written
    updated_at REAL NOT NULL
)""",
    """CREATE INDEX IF NOT EXISTS articles_hash ON articles (content_hash)""",
    """CREATE TABLE IF NOT EXISTS sources (
    source TEXT PRIMARY KEY, article_id TEXT NOT NULL, seen_at REAL NOT NULL,
    fingerprint TEXT NOT NULL DEFAULT ''    -- hash of the raw document, to skip unchanged input
)""",
    """CREATE INDEX IF NOT EXISTS sources_article ON sources (article_id)""",
    """CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, article_id TEXT NOT NULL, number INTEGER NOT NULL,
    text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, lang TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    sentences TEXT NOT NULL DEFAULT ''      -- sentence spans in the chunk: "s:e,s:e,..."
)""",
    """CREATE INDEX IF NOT EXISTS chunks_article ON chunks (article_id)""",
    """CREATE INDEX IF NOT EXISTS chunks_hash ON chunks (text_hash)""",
    """CREATE TABLE IF NOT EXISTS signatures (     -- MinHash of each article's text (near-duplicates)
    article_id TEXT PRIMARY KEY, sig BLOB NOT NULL,
    gen INTEGER NOT NULL DEFAULT 0             -- the generation its write published
)""",
    """CREATE TABLE IF NOT EXISTS also_published ( -- copies of a story stored once, as links on it
    source TEXT PRIMARY KEY, article_id TEXT NOT NULL, url TEXT NOT NULL, title TEXT NOT NULL,
    date TEXT NOT NULL, similarity REAL NOT NULL, added_at REAL NOT NULL
)""",
    """CREATE INDEX IF NOT EXISTS also_article ON also_published (article_id)""",
    """CREATE TABLE IF NOT EXISTS copy_texts (     -- each copy's own words: it vouches for those only
    source TEXT PRIMARY KEY, article_id TEXT NOT NULL, text TEXT NOT NULL
)""",
]


# Columns added to a table after its first release: {table: {column: declaration}}. A new one
# goes here (and into SCHEMA for new catalogs); both engines get it when a catalog opens.
ADDED_COLUMNS: dict[str, dict[str, str]] = {
    "sources": {"fingerprint": "TEXT NOT NULL DEFAULT ''"},
    "chunks": {"sentences": "TEXT NOT NULL DEFAULT ''"},
    "signatures": {"gen": "INTEGER NOT NULL DEFAULT 0"},
}


class Catalog:
    def __init__(self, db: Database) -> None:
        self.db = db
        db.create(SCHEMA)
        self._migrate()
        self.keyword = KeywordIndex(db)

    @classmethod
    def local(cls, path: Path) -> Catalog:
        return cls(SqliteDatabase(path))

    @property
    def shared(self) -> bool:
        """Kept in PostgreSQL for every host, not in this machine's data directory."""
        return self.db.kind == "postgres"

    def _migrate(self) -> None:
        """Add the columns introduced after a catalog was created, on either engine (a shared
        PostgreSQL catalog of an earlier release gets them as the local SQLite file does)."""
        for table, columns in ADDED_COLUMNS.items():
            missing = {n: d for n, d in columns.items() if n not in self.db.columns(table)}
            if missing:
                self.db.add_columns(table, missing)

    def close(self) -> None:
        self.db.close()

    def _q(self, sql: str, args: Iterable[Any] = ()) -> list[Row]:
        return self.db.query(sql, args)

    def _tx(self, statements: list[Statement]) -> None:
        self.db.transact(statements)

    # Stores that keep their tables in the same database (feeds, duplicates) use these.
    def query(self, sql: str, args: Iterable[Any] = ()) -> list[Row]:
        return self._q(sql, args)

    def transact(self, statements: list[Statement]) -> None:
        self._tx(statements)

    def create(self, ddl: list[str]) -> None:
        self.db.create(ddl)

    # --- meta -----------------------------------------------------------------------------
    def get_meta(self, key: str, default: str = "") -> str:
        rows = self._q("SELECT value FROM meta WHERE key=?", (key,))
        return rows[0]["value"] if rows else default

    def set_meta(self, key: str, value: str) -> None:
        self._tx([upsert("meta", ["key"], {"key": key, "value": value})])

    def identity(self) -> str:
        """A random id made once per catalog: a host's cached keyword index belongs to this
        catalog only (a recreated database counts its generations from 0 again)."""
        got = self.get_meta("catalog_id")
        if not got:
            self._tx([("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                       ("catalog_id", uuid.uuid4().hex))])  # fmt: skip
            got = self.get_meta("catalog_id")
        return got

    def generation(self) -> int:
        return int(self.get_meta("generation", "0"))

    # --- articles and sources ---------------------------------------------------------------
    def article(self, article_id: str) -> Row | None:
        rows = self._q("SELECT * FROM articles WHERE article_id=?", (article_id,))
        return rows[0] if rows else None

    def article_with_hash(self, content_hash: str) -> str | None:
        rows = self._q(
            "SELECT article_id FROM articles WHERE content_hash=? AND state='ready' LIMIT 1",
            (content_hash,),
        )
        return rows[0]["article_id"] if rows else None

    def source_article(self, source: str) -> str | None:
        rows = self._q("SELECT article_id FROM sources WHERE source=?", (source,))
        return rows[0]["article_id"] if rows else None

    def sources(self) -> list[Row]:
        return self._q("SELECT * FROM sources ORDER BY source")

    def sources_of(self, article_id: str) -> list[str]:
        return [
            r["source"]
            for r in self._q("SELECT source FROM sources WHERE article_id=?", (article_id,))
        ]

    def map_source(self, source: str, article_id: str, fingerprint: str = "") -> None:
        self._tx(
            [
                upsert(
                    "sources",
                    ["source"],
                    {
                        "source": source,
                        "article_id": article_id,
                        "seen_at": time.time(),
                        "fingerprint": fingerprint,
                    },
                ),
                # A source that was a copy of another story and now maps elsewhere is no longer
                # "also published" there.
                (
                    "DELETE FROM also_published WHERE source=? AND article_id!=?",
                    (source, article_id),
                ),
                ("DELETE FROM copy_texts WHERE source=? AND article_id!=?", (source, article_id)),
            ]
        )

    def unchanged_source(self, source: str, fingerprint: str) -> str | None:
        """The article of `source` if its raw document is the one already ingested."""
        rows = self._q(
            "SELECT s.article_id FROM sources s JOIN articles a USING (article_id) "
            "WHERE s.source=? AND s.fingerprint=? AND a.state='ready'",
            (source, fingerprint),
        )
        return rows[0]["article_id"] if rows else None

    def unmap_source(self, source: str) -> None:
        self._tx(
            [
                ("DELETE FROM sources WHERE source=?", (source,)),
                ("DELETE FROM also_published WHERE source=?", (source,)),
                ("DELETE FROM copy_texts WHERE source=?", (source,)),
            ]
        )

    def pending(self) -> list[Row]:
        return self._q("SELECT * FROM articles WHERE state='pending'")

    def begin_article(self, article: Article, planned_chunks: int) -> tuple[int, bool]:
        """Record the article as pending and raise its high-water mark before vectors are written.
        Returns (high-water mark, whether the article existed before)."""
        old = self.article(article.article_id)
        hwm = max(planned_chunks, old["hwm"] if old else 0)
        if old is None:
            self._tx(
                [
                    (
                        "INSERT INTO articles (article_id, title, url, source, date, lang, "
                        "content_hash, text, chunks, hwm, state, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'pending', ?)",
                        (
                            article.article_id, article.title, article.url, article.source,
                            article.date, article.lang, "", "", hwm, time.time(),
                        ),
                    )
                ]
            )  # fmt: skip
        else:
            self._tx([("UPDATE articles SET hwm=? WHERE article_id=?", (hwm, article.article_id))])
        return hwm, old is not None

    def commit_article(
        self,
        article: Article,
        chunks: list[Chunk],
        text_hashes: list[str],
        sentences: list[list[tuple[int, int]]] | None = None,
    ) -> None:
        """Make the article ready with exactly these chunks, in one transaction."""
        spans = sentences or [[] for _ in chunks]
        old = [r["chunk_id"] for r in self._q(
            "SELECT chunk_id FROM chunks WHERE article_id=?", (article.article_id,))]  # fmt: skip
        rows = [
            (
                "INSERT INTO chunks (chunk_id, article_id, number, text, start, \"end\", lang, "
                "text_hash, sentences) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    c.chunk_id, c.article_id, c.number, c.text, c.start, c.end, c.lang, h,
                    ",".join(f"{a}:{b}" for a, b in sp),
                ),
            )
            for c, h, sp in zip(chunks, text_hashes, spans, strict=True)
        ]  # fmt: skip
        self._tx(
            [
                ("DELETE FROM chunks WHERE article_id=?", (article.article_id,)),
                (
                    "UPDATE articles SET title=?, url=?, source=?, date=?, lang=?, content_hash=?, "
                    "text=?, chunks=?, hwm=?, state='ready', updated_at=? WHERE article_id=?",
                    (
                        article.title, article.url, article.source, article.date, article.lang,
                        article.content_hash, article.text, len(chunks), len(chunks), time.time(),
                        article.article_id,
                    ),
                ),
                *rows,
                *self.keyword.replace(old, [(c, article.title, article.date) for c in chunks]),
            ]
        )  # fmt: skip

    def delete_article(self, article_id: str) -> None:
        old = [r["chunk_id"] for r in self._q(
            "SELECT chunk_id FROM chunks WHERE article_id=?", (article_id,))]  # fmt: skip
        self._tx(
            [
                *self.keyword.replace(old, []),
                ("DELETE FROM chunks WHERE article_id=?", (article_id,)),
                ("DELETE FROM sources WHERE article_id=?", (article_id,)),
                ("DELETE FROM signatures WHERE article_id=?", (article_id,)),
                ("DELETE FROM also_published WHERE article_id=?", (article_id,)),
                ("DELETE FROM copy_texts WHERE article_id=?", (article_id,)),
                ("DELETE FROM articles WHERE article_id=?", (article_id,)),
            ]
        )

    def articles(self) -> list[Row]:
        return self._q(
            "SELECT article_id, title, url, source, date, lang, chunks, state FROM articles "
            "ORDER BY date DESC, title"
        )

    def all_articles_full(self) -> Iterator[Row]:
        yield from self._q("SELECT * FROM articles WHERE state='ready' ORDER BY article_id")

    # --- chunks ---------------------------------------------------------------------------
    def chunks_by_id(self, ids: list[str]) -> dict[str, Chunk]:
        out: dict[str, Chunk] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            for r in self._q(
                "SELECT c.*, a.title, a.url, a.source, a.date FROM chunks c "
                f"JOIN articles a USING (article_id) WHERE c.chunk_id IN ({marks})",
                part,
            ):
                out[r["chunk_id"]] = _chunk(r)
        return out

    def chunks_of(self, article_id: str) -> list[Chunk]:
        return [
            _chunk(r)
            for r in self._q(
                "SELECT c.*, a.title, a.url, a.source, a.date FROM chunks c "
                "JOIN articles a USING (article_id) WHERE c.article_id=? ORDER BY number",
                (article_id,),
            )
        ]

    def chunk_hashes(self, article_id: str) -> dict[str, tuple[str, list[tuple[int, int]]]]:
        """text_hash -> (chunk_id, sentence spans) of the article's chunks, to reuse vectors."""
        return {
            r["text_hash"]: (r["chunk_id"], parse_spans(r["sentences"]))
            for r in self._q(
                "SELECT chunk_id, text_hash, sentences FROM chunks WHERE article_id=?",
                (article_id,),
            )
        }

    def sentence_spans(self, chunk_ids: list[str]) -> dict[str, list[tuple[int, int]]]:
        out: dict[str, list[tuple[int, int]]] = {}
        for i in range(0, len(chunk_ids), 500):
            part = chunk_ids[i : i + 500]
            marks = ",".join("?" * len(part))
            for r in self._q(
                f"SELECT chunk_id, sentences FROM chunks WHERE chunk_id IN ({marks})", part
            ):
                out[r["chunk_id"]] = parse_spans(r["sentences"])
        return out

    def iter_chunk_rows(self, alone: bool = False) -> list[Row]:
        """Every ready chunk; `alone`: on a connection of its own, so that a long read in a
        background thread does not hold up the searches' short ones."""
        sql = (
            "SELECT c.chunk_id, c.article_id, c.text, c.lang, a.title, a.date FROM chunks c "
            "JOIN articles a USING (article_id) WHERE a.state='ready' ORDER BY c.chunk_id"
        )
        return self.db.query_alone(sql) if alone else self._q(sql)

    def keywords_current(self) -> bool:
        return self.get_meta("keyword_index") == KEYWORDS

    def fill_keywords(self, batch: int = 2000) -> int:
        """Index every ready chunk's words again (an upgraded catalog, a new analysis): once,
        by the writer (lock held), a page of chunks per transaction; the mark is set last, so
        an interrupted fill starts over. Returns how many chunks were indexed."""
        self._tx(
            [*self.keyword.clear(), upsert("meta", ["key"], {"key": "keyword_index", "value": ""})]
        )
        done, after = 0, ""
        while True:
            rows = self._q(
                "SELECT c.*, a.title, a.url, a.source, a.date FROM chunks c "
                "JOIN articles a USING (article_id) WHERE a.state='ready' AND c.chunk_id > ? "
                "ORDER BY c.chunk_id LIMIT ?",
                (after, batch),
            )
            if not rows:
                break
            self._tx(self.keyword.replace([], [(_chunk(r), r["title"], r["date"]) for r in rows]))
            done += len(rows)
            after = rows[-1]["chunk_id"]
        self.set_meta("keyword_index", KEYWORDS)
        return done

    # --- blobs (vectors) in meta ------------------------------------------------------------
    def get_blob(self, key: str) -> bytes | None:
        value = self.get_meta(key)
        return base64.b64decode(value) if value else None

    def set_blob(self, key: str, data: bytes | None) -> None:
        self.set_meta(key, base64.b64encode(data).decode("ascii") if data else "")

    def sample_sentences(self, per_language: int, seed: int = 0) -> dict[str, list[str]]:
        """Up to `per_language` sentences of each language, the same ones every time."""
        import random

        out: dict[str, list[str]] = {}
        rows = self._q(
            "SELECT c.lang, c.text, c.sentences FROM chunks c JOIN articles a USING (article_id) "
            "WHERE a.state='ready' ORDER BY c.chunk_id"
        )
        by_lang: dict[str, list[str]] = {}
        for r in rows:
            for a, b in parse_spans(r["sentences"]):
                text = r["text"][a:b].strip()
                if len(text) >= 20:
                    by_lang.setdefault(r["lang"], []).append(text)
        for lang, texts in by_lang.items():
            rng = random.Random(f"{seed}:{lang}")
            out[lang] = rng.sample(texts, min(per_language, len(texts)))
        return out

    def counts(self) -> dict[str, int]:
        a = self._q(
            "SELECT COUNT(*) n, COALESCE(SUM(chunks),0) c FROM articles WHERE state='ready'"
        )[0]
        p = self._q("SELECT COUNT(*) n FROM articles WHERE state='pending'")[0]
        s = self._q("SELECT COUNT(*) n FROM sources")[0]
        return {"articles": a["n"], "chunks": a["c"], "pending": p["n"], "sources": s["n"]}

    def languages(self) -> dict[str, int]:
        return {
            r["lang"] or "?": r["n"]
            for r in self._q(
                "SELECT lang, COUNT(*) n FROM articles WHERE state='ready' GROUP BY lang ORDER BY n DESC"
            )
        }


def parse_spans(value: str) -> list[tuple[int, int]]:
    if not value:
        return []
    out = []
    for part in value.split(","):
        a, b = part.split(":")
        out.append((int(a), int(b)))
    return out


def _chunk(r: Row) -> Chunk:
    return Chunk(
        chunk_id=r["chunk_id"],
        article_id=r["article_id"],
        number=r["number"],
        text=r["text"],
        start=r["start"],
        end=r["end"],
        lang=r["lang"],
        title=r["title"],
        url=r["url"],
        source=r["source"],
        date=r["date"],
    )
