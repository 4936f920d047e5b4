"""The same story from another outlet (a different headline, a few edited sentences, other
boilerplate) is stored once: its signature's band buckets (`signatures.py`), kept in the catalog,
find the stored article a new one nearly repeats; the copy becomes an "also published by" link,
with its own text kept beside it, so a copy is named only under a quote its own text holds."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from datasketch import MinHash

from retrieval.index.catalog import Catalog
from retrieval.index.signatures import (
    NUM_PERM,
    SCHEME,
    SEED,
    THRESHOLD,
    bucket_rows,
    buckets,
    signature,
)
from retrieval.index.sql import upsert
from retrieval.types import Article, Citation


@dataclass(frozen=True)
class Copy:
    article_id: str  # the stored story it repeats
    similarity: float


class DuplicateFinder:
    """Finds a new article's near-copy among the stored ones through the catalog's band buckets:
    a write adds its own signature and buckets, a forget removes them, and nothing is held in
    memory or read back from the whole archive. Articles of the current run are candidates as
    soon as they are remembered; a candidate that is neither from this run nor a ready article
    (its ingest failed) is passed over."""

    def __init__(self, catalog: Catalog, threshold: float = THRESHOLD) -> None:
        self.catalog = catalog
        self.threshold = threshold
        self._run: dict[str, str] = {}  # article id -> its shelf, of this run's articles
        self.rows_read = 0  # signatures read from the catalog (a write costs its own size)

    def begin_run(self) -> None:
        self._run = {}

    def _current(self, article_id: str, shelf: str) -> bool:
        """A candidate of this run or a ready article, on `shelf`: a copy is stored as a link on
        an article of its own shelf only (on another, one side's readers would lose it, or read
        the other's)."""
        if article_id in self._run:
            return self._run[article_id] == shelf
        row = self.catalog.article(article_id)
        return row is not None and row["state"] == "ready" and row["shelf"] == shelf

    def find(self, article: Article) -> tuple[Copy | None, MinHash | None]:
        """The stored article this one nearly repeats (best match), and its signature."""
        sig = signature(article.text)
        if sig is None:
            return None, None
        rows = self.catalog.query(
            "SELECT s.article_id, s.sig FROM signatures s WHERE s.article_id IN "
            "(SELECT DISTINCT article_id FROM signature_bands WHERE bucket IN :b) "
            "AND s.article_id != :self",
            {"b": buckets(sig), "self": article.article_id},
        )
        self.rows_read += len(rows)
        best: Copy | None = None
        for row in rows:
            values = np.frombuffer(row["sig"], dtype=np.uint64)
            stored = MinHash(num_perm=NUM_PERM, seed=SEED, hashvalues=values, scheme=SCHEME)
            score = float(sig.jaccard(stored))
            better = score >= self.threshold and (best is None or score > best.similarity)
            if better and self._current(row["article_id"], article.shelf):
                best = Copy(row["article_id"], score)
        return best, sig

    def remember(self, article_id: str, sig: MinHash | None, shelf: str) -> None:
        if sig is None:
            return
        self._run[article_id] = shelf
        blob = np.asarray(sig.hashvalues, dtype=np.uint64).tobytes()
        gen = self.catalog.generation() + 1  # the generation this write will publish
        row = {"article_id": article_id, "sig": blob, "gen": gen}
        self.catalog.transact(
            [
                upsert("signatures", ["article_id"], row),
                ("DELETE FROM signature_bands WHERE article_id = :a", {"a": article_id}),
                *bucket_rows(article_id, sig),
            ]
        )

    def record_copy(self, source: str, article: Article, copy: Copy) -> None:
        self.catalog.transact(
            [
                upsert(
                    "also_published",
                    ["source"],
                    {
                        "source": source,
                        "article_id": copy.article_id,
                        "url": article.url,
                        "title": article.title,
                        "date": article.date,
                        "similarity": round(copy.similarity, 3),
                        "added_at": time.time(),
                    },
                ),
                upsert(
                    "copy_texts",
                    ["source"],
                    {"source": source, "article_id": copy.article_id, "text": article.text},
                ),
            ]
        )


def also_published(catalog: Catalog, article_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """{article_id: [{url, title, date, text}]} of the copies stored as links on each article;
    `text` is the copy's own words, flattened once here for `says` (spacing and case aside)."""
    if not article_ids:
        return {}
    rows = catalog.query(
        "SELECT a.article_id, a.url, a.title, a.date, t.text FROM also_published a "
        "LEFT JOIN copy_texts t ON t.source = a.source WHERE a.article_id IN :ids "
        "ORDER BY a.added_at",
        {"ids": list(article_ids)},
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["article_id"], []).append(
            {
                "url": r["url"],
                "title": r["title"],
                "date": r["date"],
                "text": _flat(r["text"] or ""),
            }
        )
    return out


def with_copies(
    citations: list[Citation], copies: dict[str, list[dict[str, Any]]]
) -> list[Citation]:
    """Each citation with the other outlets that published its story (`copies` as
    `also_published` returned them), as far as their own text says what it quotes: an altered
    copy stored first never has the real outlet vouch for the words it changed, and a copy
    without its text (recorded by an earlier release) vouches for nothing."""
    if not copies:
        return citations
    out = []
    for c in citations:
        vouching = [d for d in copies.get(c.article_id, []) if says(d["text"], c.quote)]
        out.append(replace(c, also=tuple((d["url"], d["title"]) for d in vouching)))
    return out


def says(flat_text: str, quote: str) -> bool:
    """Does a copy's own text (as `also_published` flattened it) hold the quoted sentence?"""
    return bool(flat_text) and _flat(quote).strip(" .…") in flat_text


def _flat(text: str) -> str:
    return " ".join(text.split()).casefold()
