"""Every write to the index: ingest (with prune), reindex, forget; re-centering follows a write.

Ingest: load -> prepare (clean, identify, chunk) -> embed what is new -> write, incrementally.
Crash safety (a `kill -9` at any point, then a rerun, leaves no duplicates and nothing missing):
chunk ids are deterministic (`<article_id>-<n>`) and written with upsert; before any vector of
an article is written, the catalog marks it pending and raises its chunk high-water mark; only
after the vectors are stored and stale ones deleted does one transaction make it ready and map
its source. A rerun first clears articles left pending, then ingests them again from source.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

from retrieval.errors import EmbedderMismatchError
from retrieval.index.feed_table import FeedStore
from retrieval.index.ingest_steps import Ingestor, Progress, Work, delete_article
from retrieval.index.parts import Index
from retrieval.index.query_center import update_query_center
from retrieval.index.vectors import RAW
from retrieval.shelves import PUBLIC, shelf_name
from retrieval.types import Article, Document, Failure, IngestReport


def ingest(
    index: Index,
    inputs: list[str],
    prune: bool = False,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    shelf: str = PUBLIC,
) -> IngestReport:
    """Add or update the articles in `inputs` (files, directories, URLs) on `shelf` (an article
    stored on another shelf moves); with `prune`, drop articles whose source is gone. One bad
    input is a Failure in the report, never a crash. `stop` ends it early and consistently
    (`report.stopped`)."""
    return Ingestor(index, progress, stop).run(inputs, prune=prune, shelf=shelf_name(shelf))


def ingest_documents(
    index: Index,
    documents: Iterable[Document | Failure],
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> IngestReport:
    """Add or update articles already loaded elsewhere (a feed poll fetched them)."""
    return Ingestor(index, progress, stop).run([], documents=documents)


def reindex(index: Index, progress: Progress | None = None) -> IngestReport:
    """Re-embed every stored article (e.g. with a new embedder) from the catalog's text; an
    index whose vectors only predate language centering is rewritten without re-embedding."""
    ing = Ingestor(index, progress)
    report = IngestReport()
    started = time.perf_counter()
    with index.write_lock():
        if _rewrite_raw_vectors(index, report):
            report.seconds = time.perf_counter() - started
            return report
        # Marked first: if this is killed, `footnote stats` says so and a rerun finishes it.
        index.catalog.set_meta("reindex", "running")
        rows = list(index.catalog.all_articles_full())
        index.store.drop()
        index.store.reopen()
        index.forget_centers()  # the new vectors get the embedder's current centers
        work = [
            Work(
                Article(
                    r["article_id"], r["title"], r["text"], r["url"], r["source"],
                    r["date"], r["lang"], r["content_hash"], shelf=r["shelf"],
                ),
                [(src, "") for src in index.catalog.sources_of(r["article_id"]) or [r["source"]]],
                "updated",
            )
            for r in rows
        ]  # fmt: skip
        ing.write_all(work, report)
        update_query_center(index, force=True)
        index.catalog.set_meta("reindex", "")
        index.publish()
    report.seconds = time.perf_counter() - started
    return report


def _rewrite_raw_vectors(index: Index, report: IngestReport) -> bool:
    """Vectors stored raw by an earlier version, same embedder: center them in place."""
    try:
        old = index.store.stored_space()
    except EmbedderMismatchError:
        return False  # another embedder: everything must be embedded again
    centering = index.centering
    if old != RAW or not centering.active or index.catalog.get_meta("reindex") == "running":
        return False

    def transform(vectors: np.ndarray, metas: list[dict[str, Any]]) -> tuple[Any, list[Any]]:
        langs = [str(m.get("lang", "")) for m in metas]
        raw = vectors * np.asarray([float(m.get("cn", 1.0)) for m in metas])[:, None]
        centered, norms = centering.apply(raw, langs)
        return centered, [{"cn": n} for n in norms]

    report.chunks_added = index.store.convert(transform)
    report.updated = [r["article_id"] for r in index.catalog.articles() if r["state"] == "ready"]
    update_query_center(index, force=True)
    index.publish()
    return True


def forget(index: Index, article_id: str) -> bool:
    """Remove one article; False if there is no such article."""
    with index.write_lock():
        index.refresh()
        row = index.catalog.article(article_id)
        if row is None:
            return False
        delete_article(index, article_id, max(row["hwm"], row["chunks"]))
        # Its feed entries (and those of the copies merged into it) are no longer "seen": a
        # copy from another outlet, or the story itself, can come back on the next poll.
        FeedStore(index.catalog).forget_article(article_id)
        index.publish()
        return True
