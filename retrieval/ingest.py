"""Ingest: load -> clean -> identify -> chunk -> embed what is new -> write, incrementally.

Crash safety (a `kill -9` at any point, then a rerun, leaves no duplicates and nothing missing):
chunk ids are deterministic (`<article_id>-<n>`) and written with upsert; before any vector of
an article is written, the catalog marks it pending and raises its chunk high-water mark; only
after the vectors are stored and stale ones deleted does one transaction make it ready and map
its source. A rerun first clears articles left pending, then ingests them again from source.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .catalog import chunk_id
from .chunk import chunk_spans
from .clean import clean_article, normalize
from .embed import EmbedPool
from .errors import InputError
from .ids import article_id, content_hash, text_hash
from .load import LoadLimits, is_url, iter_inputs
from .models import Article, Chunk, Document, Failure, IngestReport

if TYPE_CHECKING:
    from .index import Index

Progress = Callable[[str, int, int], None]  # (phase, done, total)

BATCH = 16  # chunks per embedding job: small enough to keep both workers fed


@dataclass
class _Work:
    article: Article
    sources: list[str]
    kind: str  # "added" | "updated"
    chunks: list[Chunk] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    vectors: list[np.ndarray | None] = field(default_factory=list)
    missing: int = 0
    replaces: set[str] = field(default_factory=set)


def prepare(doc: Document, detector: Any) -> Article:
    """Clean one Document into an Article with its stable id and content hash."""
    if doc.preclean:
        text = "\n\n".join(p.strip() for p in normalize(doc.text).split("\n\n") if p.strip())
        title = normalize(doc.title).strip()
        url, date = doc.url, doc.date
    else:
        cleaned = clean_article(doc.text, detector, markdown=doc.markdown)
        text, title = cleaned.text, (cleaned.title or normalize(doc.title).strip())
        url = doc.url or cleaned.url
        date = doc.date or cleaned.date
    if not text.strip():
        raise InputError("no article text left after removing page boilerplate")
    title = title[:300]
    lang = doc.lang.split("-")[0].lower() if doc.lang else detector.detect(text[:1500])
    chash = content_hash(title, text)
    return Article(
        article_id=article_id(doc.key, url, chash),
        title=title,
        text=text,
        url=url,
        source=doc.source,
        date=date,
        lang=lang,
        content_hash=chash,
    )


def make_chunks(article: Article, index: Index) -> list[Chunk]:
    s = index.settings
    spans = chunk_spans(
        article.text, index.embedder.count_tokens, s.chunk_tokens, s.chunk_overlap_tokens
    )
    out = []
    for n, (start, end) in enumerate(spans):
        text = article.text[start:end]
        lang = index.detector.detect(text[:400]) if len(text) >= 40 else ""
        out.append(
            Chunk(
                chunk_id=chunk_id(article.article_id, n),
                article_id=article.article_id,
                number=n,
                text=text,
                start=start,
                end=end,
                lang=lang or article.lang,
                title=article.title,
                url=article.url,
                source=article.source,
                date=article.date,
            )
        )
    return out


class Ingestor:
    def __init__(self, index: Index, progress: Progress | None = None) -> None:
        self.index = index
        self.catalog = index.catalog
        self.store = index.store
        self.progress = progress or (lambda phase, done, total: None)

    def run(self, inputs: list[str], prune: bool = False) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        with self.index.write_lock():
            self.index.refresh()
            self._recover_pending()
            work, seen = self._plan(inputs, report)
            self._embed_and_write(work, report)
            if prune:
                self._prune(inputs, seen, report)
            for w in work:
                for old in w.replaces:
                    if not self.catalog.sources_of(old):
                        self._delete(old, report, count_removed=False)
            self.index.commit_generation()
        report.seconds = time.perf_counter() - started
        return report

    # --- phase 1: load, clean, decide what changed --------------------------------------------
    def _plan(self, inputs: list[str], report: IngestReport) -> tuple[list[_Work], set[str]]:
        s = self.index.settings
        limits = LoadLimits(
            max_file_bytes=int(s.max_file_mb * 1_000_000),
            fetch_timeout=s.fetch_timeout,
            fetch_max_bytes=int(s.fetch_max_mb * 1_000_000),
            allow_private_urls=s.allow_private_urls,
        )
        work: dict[str, _Work] = {}
        by_hash: dict[str, str] = {}
        seen: set[str] = set()
        loaded = 0
        for item in iter_inputs(inputs, limits):
            loaded += 1
            self.progress("reading", loaded, 0)
            if isinstance(item, Failure):
                report.failed.append(item)
                seen.add(item.source)  # a failing source is still there: never prune it
                continue
            seen.add(item.source)
            report.warnings.extend(f"{item.source}: {w}" for w in item.warnings)
            try:
                article = prepare(item, self.index.detector)
            except InputError as exc:
                report.failed.append(Failure(item.source, str(exc)))
                continue
            self._classify(article, work, by_hash, report)
        return list(work.values()), seen

    def _classify(
        self, article: Article, work: dict[str, _Work], by_hash: dict[str, str], report: IngestReport
    ) -> None:
        cat = self.catalog
        aid, source = article.article_id, article.source
        prev = cat.source_article(source)
        existing = cat.article(aid)
        if aid in work:  # the same article again in this run (another file, same identity)
            work[aid].sources.append(source)
            return
        if existing is not None and existing["state"] == "ready" and existing["content_hash"] == article.content_hash:
            if prev != aid:
                cat.map_source(source, aid)
                if prev:
                    self._delete_if_orphan(prev, report)
            report.unchanged.append(aid)
            return
        dup = by_hash.get(article.content_hash)
        if dup:
            work[dup].sources.append(source)
            return
        dup = cat.article_with_hash(article.content_hash)
        if dup and dup != aid:  # same text under another identity: store it once
            if prev != dup:
                cat.map_source(source, dup)
            report.unchanged.append(dup)
            return
        replaced = existing is not None and existing["state"] == "ready"
        w = _Work(article, [source], "updated" if (replaced or (prev and prev != aid)) else "added")
        if prev and prev != aid:
            w.replaces.add(prev)
        work[aid] = w
        by_hash[article.content_hash] = aid

    # --- phase 2: chunk, embed what is new, write ---------------------------------------------
    def _embed_and_write(self, work: list[_Work], report: IngestReport) -> None:
        todo: list[tuple[int, int, str]] = []  # (work index, chunk index, text) to embed
        first_of_text: dict[str, tuple[int, int]] = {}
        copies: list[tuple[int, int, int, int]] = []  # chunk gets the vector of another chunk
        for wi, w in enumerate(work):
            w.chunks = make_chunks(w.article, self.index)
            w.hashes = [text_hash(c.embed_text) for c in w.chunks]
            w.vectors = [None] * len(w.chunks)
            reuse = self._reusable(w)
            for ci, h in enumerate(w.hashes):
                if h in reuse:
                    w.vectors[ci] = reuse[h]
                elif h in first_of_text:
                    copies.append((wi, ci, *first_of_text[h]))
                else:
                    first_of_text[h] = (wi, ci)
                    todo.append((wi, ci, w.chunks[ci].embed_text))
            w.missing = sum(v is None for v in w.vectors)
        total = len(todo)
        report.chunks_embedded = total
        self.progress("embedding", 0, total)

        waiting_copies: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for wi, ci, swi, sci in copies:
            waiting_copies.setdefault((swi, sci), []).append((wi, ci))

        workers = self.index.settings.embed_workers if total >= 4 * BATCH else 1
        done = 0
        with EmbedPool(self.index.embedder, workers) as pool:
            in_flight: dict[Future[np.ndarray], list[tuple[int, int, str]]] = {}
            batches = [todo[i : i + BATCH] for i in range(0, len(todo), BATCH)]
            next_batch = 0
            written: set[int] = set()
            for wi, w in enumerate(work):
                if w.missing == 0:
                    self._write(w, report)
                    written.add(wi)
            while next_batch < len(batches) or in_flight:
                while next_batch < len(batches) and len(in_flight) < max(2, 2 * pool.workers):
                    b = batches[next_batch]
                    in_flight[pool.submit([t for _, _, t in b])] = b
                    next_batch += 1
                finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
                for fut in finished:
                    batch = in_flight.pop(fut)
                    vecs = fut.result()
                    for (wi, ci, _), vec in zip(batch, vecs, strict=True):
                        for twi, tci in [(wi, ci), *waiting_copies.get((wi, ci), [])]:
                            work[twi].vectors[tci] = vec
                            work[twi].missing -= 1
                    done += len(batch)
                    self.progress("embedding", done, total)
                for wi, w in enumerate(work):
                    if wi not in written and w.missing == 0:
                        self._write(w, report)
                        written.add(wi)

    def _reusable(self, w: _Work) -> dict[str, np.ndarray]:
        """Vectors of this article's previous chunks whose text did not change."""
        old = self.catalog.chunk_hashes(w.article.article_id)
        wanted = {h: old[h] for h in w.hashes if h in old}
        if not wanted:
            return {}
        vecs = self.store.vectors(list(wanted.values()))
        return {h: vecs[cid] for h, cid in wanted.items() if cid in vecs}

    def _write(self, w: _Work, report: IngestReport) -> None:
        a = w.article
        hwm = self.catalog.begin_article(a, len(w.chunks))
        self.store.upsert(w.chunks, np.stack([v for v in w.vectors if v is not None]))
        stale = [chunk_id(a.article_id, n) for n in range(len(w.chunks), hwm)]
        if stale:
            self.store.delete(stale)
            report.chunks_removed += len(stale)
        self.catalog.commit_article(a, w.chunks, w.hashes)
        for source in w.sources:
            self.catalog.map_source(source, a.article_id)
        report.chunks_added += len(w.chunks)
        (report.updated if w.kind == "updated" else report.added).append(a.article_id)

    # --- removal --------------------------------------------------------------------------------
    def _recover_pending(self) -> None:
        """Articles a killed run left half-written: remove them; their sources bring them back."""
        for row in self.catalog.pending():
            self.store.delete([chunk_id(row["article_id"], n) for n in range(row["hwm"])])
            self.catalog.delete_article(row["article_id"])

    def _prune(self, inputs: list[str], seen: set[str], report: IngestReport) -> None:
        """Forget sources that are gone: files that no longer exist, and anything under the given
        directories that this run did not see."""
        roots = [os.path.abspath(Path(i).expanduser()) for i in inputs if not is_url(i)]
        for row in self.catalog.sources():
            source = row["source"]
            if source in seen or is_url(source):
                continue
            path = source.split("#", 1)[0]
            under_root = any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)
            if under_root or not Path(path).exists():
                self.catalog.unmap_source(source)
                self._delete_if_orphan(row["article_id"], report)

    def _delete_if_orphan(self, aid: str, report: IngestReport) -> None:
        if not self.catalog.sources_of(aid):
            self._delete(aid, report, count_removed=True)

    def _delete(self, aid: str, report: IngestReport, count_removed: bool) -> None:
        row = self.catalog.article(aid)
        if row is None:
            return
        self.store.delete([chunk_id(aid, n) for n in range(max(row["hwm"], row["chunks"]))])
        self.catalog.delete_article(aid)
        report.chunks_removed += row["chunks"]
        if count_removed:
            report.removed.append(aid)
