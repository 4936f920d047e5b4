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
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from retrieval.index.keyword import VERSION as KEYWORDS
from retrieval.index.keyword import KeywordIndex, Scope
from retrieval.index.migrations import apply, pg_lock
from retrieval.index.sql import Database, Params, Row, SqliteDatabase, Statement, lock_key, upsert
from retrieval.index.tables import MIGRATIONS
from retrieval.types import Article, Chunk


class Catalog:
    def __init__(self, db: Database) -> None:
        self.db = db
        if not self._migrated():
            db.write(self._migrate)
        self.keyword = KeywordIndex(db)

    @classmethod
    def local(cls, path: Path) -> Catalog:
        return cls(SqliteDatabase(path))

    @property
    def shared(self) -> bool:
        """Kept in PostgreSQL for every host, not in this machine's data directory."""
        return self.db.kind == "postgres"

    def _migrated(self) -> bool:
        """Every migration recorded already: a read, so opening a catalog takes no write lock
        (a listing while an ingest writes does not wait for it)."""
        try:
            done = {r["name"] for r in self.db.query("SELECT name FROM migrations")}
        except sa.exc.DBAPIError:  # no such table yet: an earlier release's catalog, or a new one
            return False
        return all(m.name in done for m in MIGRATIONS)

    def _migrate(self, c: Connection) -> None:
        """The named migrations this catalog lacks (tables.py), on either engine: a shared
        PostgreSQL catalog of an earlier release is brought up to date as a local file is."""
        pg_lock(c, lock_key(self.db.schema, "ddl"))
        apply(c, MIGRATIONS)

    def close(self) -> None:
        self.db.close()

    def _q(self, sql: str, params: Params | None = None) -> list[Row]:
        return self.db.query(sql, params)

    def _tx(self, statements: list[Statement]) -> None:
        self.db.transact(statements)

    # Stores that keep their tables in the same database (feeds, duplicates) use these.
    def query(self, sql: str, params: Params | None = None) -> list[Row]:
        return self._q(sql, params)

    def transact(self, statements: list[Statement]) -> None:
        self._tx(statements)

    # --- meta -----------------------------------------------------------------------------
    def get_meta(self, key: str, default: str = "") -> str:
        rows = self._q("SELECT value FROM meta WHERE key=:key", {"key": key})
        return rows[0]["value"] if rows else default

    def set_meta(self, key: str, value: str) -> None:
        self._tx([upsert("meta", ["key"], {"key": key, "value": value})])

    def meta_once(self, key: str, value: str) -> str:
        """The value stored under `key`; `value` is stored first if there is none. Every process
        and host gets the first one written, whoever wrote it."""
        self._tx([(
            "INSERT INTO meta (key, value) VALUES (:key, :value) ON CONFLICT (key) DO NOTHING",
            {"key": key, "value": value},
        )])  # fmt: skip
        return self.get_meta(key, value)

    def generation(self) -> int:
        return int(self.get_meta("generation", "0"))

    # --- articles and sources ---------------------------------------------------------------
    def article(self, article_id: str) -> Row | None:
        rows = self._q("SELECT * FROM articles WHERE article_id=:a", {"a": article_id})
        return rows[0] if rows else None

    def article_with_hash(self, content_hash: str, shelf: str) -> str | None:
        """A ready article of `shelf` with this text (another shelf's copy is not this one's)."""
        rows = self._q(
            "SELECT article_id FROM articles WHERE content_hash=:h AND state='ready' "
            "AND shelf=:s LIMIT 1",
            {"h": content_hash, "s": shelf},
        )
        return rows[0]["article_id"] if rows else None

    def source_article(self, source: str) -> str | None:
        rows = self._q("SELECT article_id FROM sources WHERE source=:s", {"s": source})
        return rows[0]["article_id"] if rows else None

    def sources(self) -> list[Row]:
        return self._q("SELECT * FROM sources ORDER BY source")

    def sources_of(self, article_id: str) -> list[str]:
        return [
            r["source"]
            for r in self._q("SELECT source FROM sources WHERE article_id=:a", {"a": article_id})
        ]

    def map_source(self, source: str, article_id: str, fingerprint: str = "") -> None:
        moved = {"s": source, "a": article_id}
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
                ("DELETE FROM also_published WHERE source=:s AND article_id!=:a", moved),
                ("DELETE FROM copy_texts WHERE source=:s AND article_id!=:a", moved),
            ]
        )

    def unchanged_source(self, source: str, fingerprint: str) -> str | None:
        """The article of `source` if its raw document is the one already ingested."""
        rows = self._q(
            "SELECT s.article_id FROM sources s JOIN articles a USING (article_id) "
            "WHERE s.source=:s AND s.fingerprint=:f AND a.state='ready'",
            {"s": source, "f": fingerprint},
        )
        return rows[0]["article_id"] if rows else None

    def unmap_source(self, source: str) -> None:
        self._tx(
            [
                ("DELETE FROM sources WHERE source=:s", {"s": source}),
                ("DELETE FROM also_published WHERE source=:s", {"s": source}),
                ("DELETE FROM copy_texts WHERE source=:s", {"s": source}),
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
            row = {
                "article_id": article.article_id, "title": article.title, "url": article.url,
                "source": article.source, "date": article.date, "lang": article.lang,
                "content_hash": "", "text": "", "chunks": 0, "hwm": hwm, "state": "pending",
                "updated_at": time.time(), "shelf": article.shelf,
            }  # fmt: skip
            self._tx([(f"INSERT INTO articles ({', '.join(row)}) "
                       f"VALUES ({', '.join(':' + k for k in row)})", row)])  # fmt: skip
        else:
            self._tx([("UPDATE articles SET hwm=:hwm WHERE article_id=:a",
                       {"hwm": hwm, "a": article.article_id})])  # fmt: skip
        return hwm, old is not None

    def commit_article(
        self,
        article: Article,
        chunks: list[Chunk],
        text_hashes: list[str],
        sentences: list[list[tuple[int, int]]] | None = None,
    ) -> None:
        """Make the article ready with exactly these chunks, in one transaction."""
        self._tx(self.commit_statements(article, chunks, text_hashes, sentences))

    def commit_statements(
        self,
        article: Article,
        chunks: list[Chunk],
        text_hashes: list[str],
        sentences: list[list[tuple[int, int]]] | None = None,
    ) -> list[Statement]:
        """What `commit_article` writes (a bulk loader puts many articles in one transaction)."""
        spans = sentences or [[] for _ in chunks]
        old = self._chunk_ids(article.article_id)
        rows = [
            (
                "INSERT INTO chunks (chunk_id, article_id, number, text, start, \"end\", lang, "
                "text_hash, sentences) VALUES (:chunk_id, :article_id, :number, :text, :start, "
                ":end, :lang, :text_hash, :sentences)",
                {
                    "chunk_id": c.chunk_id, "article_id": c.article_id, "number": c.number,
                    "text": c.text, "start": c.start, "end": c.end, "lang": c.lang,
                    "text_hash": h, "sentences": ",".join(f"{a}:{b}" for a, b in sp),
                },
            )
            for c, h, sp in zip(chunks, text_hashes, spans, strict=True)
        ]  # fmt: skip
        ready = {
            "title": article.title, "url": article.url, "source": article.source,
            "date": article.date, "lang": article.lang, "content_hash": article.content_hash,
            "text": article.text, "chunks": len(chunks), "hwm": len(chunks),
            "updated_at": time.time(), "a": article.article_id, "shelf": article.shelf,
        }  # fmt: skip
        return [
            ("DELETE FROM chunks WHERE article_id=:a", {"a": article.article_id}),
            (
                "UPDATE articles SET title=:title, url=:url, source=:source, date=:date, "
                "lang=:lang, content_hash=:content_hash, text=:text, chunks=:chunks, hwm=:hwm, "
                "state='ready', updated_at=:updated_at, shelf=:shelf WHERE article_id=:a",
                ready,
            ),
            *rows,
            *self.keyword.replace(old, [(c, article.title, article.date) for c in chunks]),
        ]

    def delete_article(self, article_id: str) -> None:
        old = self._chunk_ids(article_id)
        tables = ("chunks", "sources", "signatures", "signature_bands", "also_published",
                  "copy_texts", "articles")  # fmt: skip
        self._tx(
            [
                *self.keyword.replace(old, []),
                *((f"DELETE FROM {t} WHERE article_id=:a", {"a": article_id}) for t in tables),
            ]
        )

    def _chunk_ids(self, article_id: str) -> list[str]:
        rows = self._q("SELECT chunk_id FROM chunks WHERE article_id=:a", {"a": article_id})
        return [r["chunk_id"] for r in rows]

    def articles(self) -> list[Row]:
        return self._q(
            "SELECT article_id, title, url, source, date, lang, chunks, state, shelf FROM articles "
            "ORDER BY date DESC, title"
        )

    def ready_since(self, moment: float, limit: int = 500) -> list[Row]:
        """Articles written (added or updated) after `moment` (a time.time()), oldest first,
        found by the index on `updated_at`: what a follow round has not seen."""
        return self._q(
            "SELECT article_id, title, url, date, lang, shelf, updated_at, chunks FROM articles "
            "WHERE updated_at > :m AND state='ready' ORDER BY updated_at LIMIT :n",
            {"m": moment, "n": limit},
        )

    def shelves(self) -> dict[str, tuple[int, int]]:
        """{shelf: (articles, chunks)} of the ready articles, by name."""
        rows = self._q(
            "SELECT shelf, COUNT(*) AS n, SUM(chunks) AS c FROM articles WHERE state='ready' "
            "GROUP BY shelf ORDER BY shelf"
        )
        return {r["shelf"]: (int(r["n"]), int(r["c"] or 0)) for r in rows}

    def all_articles_full(self) -> Iterator[Row]:
        yield from self._q("SELECT * FROM articles WHERE state='ready' ORDER BY article_id")

    # --- chunks ---------------------------------------------------------------------------
    def chunks_in(self, scope: Scope, limit: int) -> list[str]:
        """At most `limit` ids of chunks within `scope`, found by the articles' date index (a
        period) or the chunks' article index, not by a scan of every chunk."""
        where, args = scope.sql("s")
        return [r["chunk_id"] for r in self._q(
            "SELECT chunk_id FROM (SELECT c.chunk_id, c.lang, c.article_id, a.date FROM chunks c "
            f"JOIN articles a ON a.article_id = c.article_id) s WHERE 1 = 1{where} LIMIT :n",
            {**args, "n": limit},
        )]  # fmt: skip

    def chunks_by_id(self, ids: list[str]) -> dict[str, Chunk]:
        out: dict[str, Chunk] = {}
        for i in range(0, len(ids), 500):
            for r in self._q(
                "SELECT c.*, a.title, a.url, a.source, a.date, a.shelf FROM chunks c "
                "JOIN articles a USING (article_id) WHERE c.chunk_id IN :ids",
                {"ids": ids[i : i + 500]},
            ):
                out[r["chunk_id"]] = _chunk(r)
        return out

    def chunks_of(self, article_id: str) -> list[Chunk]:
        return [
            _chunk(r)
            for r in self._q(
                "SELECT c.*, a.title, a.url, a.source, a.date, a.shelf FROM chunks c "
                "JOIN articles a USING (article_id) WHERE c.article_id=:a ORDER BY number",
                {"a": article_id},
            )
        ]

    def chunk_hashes(self, article_id: str) -> dict[str, tuple[str, list[tuple[int, int]]]]:
        """text_hash -> (chunk_id, sentence spans) of the article's chunks, to reuse vectors."""
        return {
            r["text_hash"]: (r["chunk_id"], parse_spans(r["sentences"]))
            for r in self._q(
                "SELECT chunk_id, text_hash, sentences FROM chunks WHERE article_id=:a",
                {"a": article_id},
            )
        }

    def sentence_spans(self, chunk_ids: list[str]) -> dict[str, list[tuple[int, int]]]:
        out: dict[str, list[tuple[int, int]]] = {}
        for i in range(0, len(chunk_ids), 500):
            for r in self._q(
                "SELECT chunk_id, sentences FROM chunks WHERE chunk_id IN :ids",
                {"ids": chunk_ids[i : i + 500]},
            ):
                out[r["chunk_id"]] = parse_spans(r["sentences"])
        return out

    def iter_chunk_rows(self) -> list[Row]:
        """Every ready chunk (a consistency check, a benchmark: never on the answer path)."""
        return self._q(
            "SELECT c.chunk_id, c.article_id, c.text, c.lang, a.title, a.date FROM chunks c "
            "JOIN articles a USING (article_id) WHERE a.state='ready' ORDER BY c.chunk_id"
        )

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
                "SELECT c.*, a.title, a.url, a.source, a.date, a.shelf FROM chunks c "
                "JOIN articles a USING (article_id) WHERE a.state='ready' AND c.chunk_id > :after "
                "ORDER BY c.chunk_id LIMIT :n",
                {"after": after, "n": batch},
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
        """Up to `per_language` sentences of each language, the same ones every time. Read from
        at most `per_language` chunks of each language (in the order of their text hashes: a
        random sample that does not move), not from the whole archive."""
        import random

        out: dict[str, list[str]] = {}
        by_lang: dict[str, list[str]] = {}
        for lang in [r["lang"] for r in self._q("SELECT DISTINCT lang FROM chunks")]:
            rows = self._q(
                "SELECT c.chunk_id, c.text, c.sentences FROM chunks c "
                "JOIN articles a USING (article_id) WHERE a.state='ready' AND c.lang=:l "
                "ORDER BY c.text_hash LIMIT :n",
                {"l": lang, "n": per_language},
            )
            for r in sorted(rows, key=lambda r: r["chunk_id"]):
                for a, b in parse_spans(r["sentences"]):
                    text = r["text"][a:b].strip()
                    if len(text) >= 20:
                        by_lang.setdefault(lang, []).append(text)
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
        shelf=r["shelf"],
    )
