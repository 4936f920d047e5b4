"""The same story from another outlet (a different headline, a few edited sentences, other
boilerplate) is stored once: MinHash signatures of word shingles (datasketch) and its LSH index
find the stored article a new one nearly repeats; the copy becomes an "also published by" link,
with its own text kept beside it, so a copy is named only under a quote its own text holds.

The threshold is calibrated on pairs built from one half of the news-de articles and measured on
the other half (`python -m bench.run --only duplicates`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from retrieval.index.catalog import Catalog
from retrieval.index.sql import upsert
from retrieval.types import Article, Citation

NUM_PERM = 64
SHINGLE_WORDS = 3
THRESHOLD = 0.35  # estimated Jaccard of shingle sets, calibrated: see docs/BENCHMARKS.md
MIN_WORDS = 40  # shorter texts (a notice, a headline-only record) are never merged
SEED = 1
SCHEME = "affine32"  # datasketch 2's default, named: stored signatures are read back with it


def candidate_threshold(threshold: float) -> float:
    """The LSH index is set looser than the decision, so a copy near the threshold is still
    among its candidates; each candidate is then scored on its full signature."""
    return max(0.1, round(threshold * 0.6, 2))


def signature(text: str) -> MinHash | None:
    """MinHash of the text's word 3-grams; None for a text too short to judge."""
    words = re.findall(r"\w+", text.casefold())
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - 2)}
    m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    m.update_batch([s.encode("utf-8") for s in shingles])
    return m


def similarity(a: str, b: str) -> float:
    sa, sb = signature(a), signature(b)
    return float(sa.jaccard(sb)) if sa is not None and sb is not None else 0.0


@dataclass(frozen=True)
class Copy:
    article_id: str  # the stored story it repeats
    similarity: float


class DuplicateFinder:
    """Loaded from the catalog's signatures once and kept by the index (another process's write
    makes the index drop it), so an ingest of one channel post does not read every signature.
    New articles are added as they are planned, so copies within one run are caught too; a
    candidate that is neither from this run nor a ready article (forgotten, or its ingest
    failed) is dropped when met."""

    def __init__(self, catalog: Catalog, threshold: float = THRESHOLD) -> None:
        self.catalog = catalog
        self.threshold = threshold
        self._lsh: MinHashLSH | None = None
        self._sigs: dict[str, MinHash] = {}
        self._run: set[str] = set()
        self._seen_gen = -1  # signatures of writes up to this generation are loaded
        self.rows_read = 0  # signatures read from the catalog (a write costs its own size)

    def begin_run(self) -> None:
        self._run = set()

    def _current(self, article_id: str) -> bool:
        if article_id in self._run:
            return True
        row = self.catalog.article(article_id)
        if row is not None and row["state"] == "ready":
            return True
        if self._lsh is not None and article_id in self._sigs:
            self._lsh.remove(article_id)
        self._sigs.pop(article_id, None)
        return False

    def _load(self) -> MinHashLSH:
        if self._lsh is None:
            self._lsh = MinHashLSH(threshold=candidate_threshold(self.threshold), num_perm=NUM_PERM)
            self._read(since=-1)
        return self._lsh

    def catch_up(self) -> None:
        """After another process wrote: read only the signatures its writes added (their
        generation is newer than the last one read); a forgotten article is dropped when met."""
        if self._lsh is not None and self.catalog.generation() != self._seen_gen:
            self._read(since=self._seen_gen)

    def _read(self, since: int) -> None:
        assert self._lsh is not None
        # Read before the rows: every write up to it has committed its signatures.
        generation = self.catalog.generation()
        for row in self.catalog.query(
            "SELECT s.article_id, s.sig FROM signatures s JOIN articles a USING (article_id) "
            "WHERE a.state='ready' AND s.gen > :since",
            {"since": since},
        ):
            values = np.frombuffer(row["sig"], dtype=np.uint64)
            m = MinHash(num_perm=NUM_PERM, seed=SEED, hashvalues=values, scheme=SCHEME)
            if row["article_id"] in self._sigs:
                self._lsh.remove(row["article_id"])
            self._sigs[row["article_id"]] = m
            self._lsh.insert(row["article_id"], m, check_duplication=False)
            self.rows_read += 1
        self._seen_gen = generation

    def find(self, article: Article) -> tuple[Copy | None, MinHash | None]:
        """The stored article this one nearly repeats (best match), and its signature."""
        sig = signature(article.text)
        if sig is None:
            return None, None
        lsh = self._load()
        best: Copy | None = None
        for key in lsh.query(sig):
            if key == article.article_id:
                continue
            score = float(sig.jaccard(self._sigs[key]))
            better = score >= self.threshold and (best is None or score > best.similarity)
            if better and self._current(key):
                best = Copy(key, score)
        return best, sig

    def remember(self, article_id: str, sig: MinHash | None) -> None:
        if sig is None:
            return
        lsh = self._load()
        if article_id in self._sigs:
            lsh.remove(article_id)
        self._sigs[article_id] = sig
        self._run.add(article_id)
        lsh.insert(article_id, sig, check_duplication=False)
        blob = np.asarray(sig.hashvalues, dtype=np.uint64).tobytes()
        gen = self.catalog.generation() + 1  # the generation this write will publish
        row = {"article_id": article_id, "sig": blob, "gen": gen}
        self.catalog.transact([upsert("signatures", ["article_id"], row)])

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
