"""The machinery of an ingest: plan what changed, embed each distinct new text once, write
each article as soon as its vectors are in, prune what is gone. `ingest.py` holds the verbs."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.embedding.embedders import EmbedPool
from retrieval.errors import InputError
from retrieval.ids import chunk_id, file_of_source, origin, scoped_id, sentence_id, text_hash
from retrieval.index.duplicates import Copy, DuplicateFinder
from retrieval.index.parts import Index
from retrieval.index.prepare import fingerprint, make_chunks, prepare
from retrieval.index.query_center import update_query_center
from retrieval.sources.load import LoadLimits, is_url, iter_inputs
from retrieval.text.sentences import sentence_units
from retrieval.types import Article, Chunk, Document, Failure, IngestReport

Progress = Callable[[str, int, int], None]  # (phase, done, total)

BATCH = 16  # texts per embedding job: small enough to keep both workers fed


@dataclass
class Work:
    article: Article
    sources: list[tuple[str, str]]  # (source, fingerprint of its raw document)
    kind: str  # "added" | "updated"
    chunks: list[Chunk] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    sentences: list[list[tuple[int, int]]] = field(default_factory=list)
    sentence_hashes: list[list[str]] = field(default_factory=list)
    needs: set[str] = field(default_factory=set)
    replaces: set[str] = field(default_factory=set)
    written: bool = False


class Ingestor:
    pool: EmbedPool

    def __init__(
        self, index: Index, progress: Progress | None = None, stop: threading.Event | None = None
    ) -> None:
        """`stop`, once set (a bot shutting down), ends the run between two embedding batches:
        what is written stays, consistent; the rest is for the next run, and prune is skipped."""
        self.stop = stop or threading.Event()
        self.index = index
        self.catalog = index.catalog
        self.store = index.store
        self.progress = progress or (lambda phase, done, total: None)
        self.dups: DuplicateFinder | None = None  # the index's, taken once the run holds the lock

    def run(
        self,
        inputs: list[str],
        prune: bool = False,
        documents: Iterable[Document | Failure] | None = None,
        shelf: str = "",
    ) -> IngestReport:
        """Ingest `inputs` (paths, URLs) or, when given, `documents` already loaded (a feed's
        entries, each on its own shelf). `shelf` puts every input on that shelf."""
        started = time.perf_counter()
        report = IngestReport()
        with (
            self.index.write_lock(),
            EmbedPool(self.index.embedder, self.index.settings.embed_workers) as pool,
        ):
            self.pool = pool
            self.index.refresh()
            self.dups = self.index.duplicates
            if self.dups is not None:
                self.dups.begin_run()
            recovered = self._recover_pending()
            items = documents
            if items is None:
                items = iter_inputs(inputs, LoadLimits.from_settings(self.index.settings))
            if shelf:
                items = (replace(i, shelf=shelf) if isinstance(i, Document) else i for i in items)
            work, seen = self._plan(items, report)
            self.embed_and_write(work, report)
            report.stopped = self.stop.is_set()
            report.unfinished = sum(1 for w in work if not w.written)
            if prune and not report.stopped:  # a partial run has not seen everything
                self._prune(inputs, seen, report)
            for w in work:
                if not w.written:
                    continue
                for old in w.replaces:
                    if not self.catalog.sources_of(old):
                        self._delete(old, report, count_removed=False)
            if (
                recovered
                or report.added
                or report.updated
                or report.removed
                or report.chunks_removed
            ):
                written = [w.article.lang for w in work if w.written]
                update_query_center(self.index, written=None if recovered else written)
                self.index.publish()
        report.seconds = time.perf_counter() - started
        return report

    # --- phase 1: load, clean, decide what changed --------------------------------------------
    def _plan(
        self, items: Iterable[Document | Failure], report: IngestReport
    ) -> tuple[list[Work], set[str]]:
        work: dict[str, Work] = {}
        by_hash: dict[str, str] = {}
        seen: set[str] = set()
        loaded = changed = 0
        for item in items:
            if self.stop.is_set():
                break
            loaded += 1
            self.progress("reading", loaded, 0)
            if isinstance(item, Failure):
                report.fail(item)
                # A source that failed to read is still there: never prune it, nor the records
                # of a JSON/JSONL file that failed as a whole ("path", "path:12" for one line).
                seen.add(item.source)
                seen.add(file_of_source(item.source))
                continue
            seen.add(item.source)
            report.warnings.extend(f"{item.source}: {w}" for w in item.warnings)
            fp = fingerprint(item)
            known = self.catalog.unchanged_source(item.source, fp)
            if known:  # same raw input as last time: no cleaning, no language detection
                report.unchanged.append(known)
                continue
            changed += 1
            if changed == 2:  # more than one article to embed: start the workers meanwhile
                self.pool.warm()
            dropped: list[str] = []
            try:
                article = prepare(item, self.index.detector, dropped)
            except InputError as exc:
                report.fail(Failure(item.source, str(exc)))
                continue
            report.warnings.extend(f"{item.source}: {w}" for w in dropped)
            self._classify(article, fp, work, by_hash, report)
        return list(work.values()), seen

    def _classify(
        self,
        article: Article,
        fp: str,
        work: dict[str, Work],
        by_hash: dict[str, str],
        report: IngestReport,
    ) -> None:
        cat = self.catalog
        aid, source = article.article_id, article.source
        prev = cat.source_article(source)
        existing = cat.article(aid)
        if aid in work:  # the same article again in this run (another file, same identity)
            work[aid].sources.append((source, fp))
            return
        if (
            existing is not None
            and existing["state"] == "ready"
            and existing["content_hash"] == article.content_hash
            and existing["shelf"] == article.shelf
        ):
            cat.map_source(source, aid, fp)
            if prev and prev != aid:
                self._delete_if_orphan(prev, report)
            report.unchanged.append(aid)
            return
        if existing is not None and not self._own(aid, source):
            # A record of another file or site with a stored article's identity (`"id": "1"`,
            # its URL): stored as its own article, never as an update of that one.
            report.warnings.append(f"{source}: names the identity of an article from elsewhere: "
                                   "stored as an article of its own")  # fmt: skip
            mine = replace(article, article_id=scoped_id(aid, origin(source)))
            self._classify(mine, fp, work, by_hash, report)
            return
        dup = by_hash.get(f"{article.shelf}:{article.content_hash}")
        if dup:
            work[dup].sources.append((source, fp))
            return
        dup = cat.article_with_hash(article.content_hash, article.shelf)
        if dup and dup != aid:  # same text under another identity: store it once
            cat.map_source(source, dup, fp)
            if self.dups is not None and article.url:
                self.dups.record_copy(source, article, Copy(dup, 1.0))
            report.unchanged.append(dup)
            return
        replaced = existing is not None and existing["state"] == "ready"
        kind = "updated" if (replaced or (prev and prev != aid)) else "added"
        if self.dups is not None:
            copy, sig = self.dups.find(article)
            if copy is not None and kind == "added":  # the same story from another outlet
                cat.map_source(source, copy.article_id, fp)
                self.dups.record_copy(source, article, copy)
                report.duplicates.append(f"{source} = {copy.article_id}")
                return
            self.dups.remember(aid, sig, article.shelf)
        w = Work(article, [(source, fp)], kind)
        if prev and prev != aid:
            w.replaces.add(prev)
        work[aid] = w
        by_hash[f"{article.shelf}:{article.content_hash}"] = aid  # one shelf's copies merge

    def _own(self, article_id: str, source: str) -> bool:
        """An article is updated only from the origin (site or file) that stored it."""
        origins = {origin(s) for s in self.catalog.sources_of(article_id) or []}
        return not origins or origin(source) in origins

    # --- phase 2: chunk, embed what is new, write ---------------------------------------------
    def write_all(self, work: list[Work], report: IngestReport) -> None:
        """Embed and write `work` with a pool of its own (reindex: every stored article again)."""
        with EmbedPool(self.index.embedder, self.index.settings.embed_workers) as pool:
            self.pool = pool
            self.embed_and_write(work, report)

    def embed_and_write(self, work: list[Work], report: IngestReport) -> None:
        """Every distinct text (chunk or sentence) is embedded once; vectors of texts the article
        already had are reused; an article is written as soon as all its vectors are there."""
        sentence_vectors = self.index.settings.sentence_vectors
        have: dict[str, np.ndarray] = {}
        needed: dict[str, str] = {}  # text hash -> text, in first-seen order
        refs: dict[str, int] = {}
        for w in work:
            w.chunks = make_chunks(w.article, self.index)
            w.hashes = [text_hash(c.embed_text) for c in w.chunks]
            w.sentences = [sentence_units(c.text) if sentence_vectors else [] for c in w.chunks]
            w.sentence_hashes = [
                [text_hash(c.text[a:b]) for a, b in spans]
                for c, spans in zip(w.chunks, w.sentences, strict=True)
            ]
            have.update(self._reusable(w))
            texts = {h: c.embed_text for h, c in zip(w.hashes, w.chunks, strict=True)}
            for c, spans, hashes in zip(w.chunks, w.sentences, w.sentence_hashes, strict=True):
                texts.update({h: c.text[a:b] for h, (a, b) in zip(hashes, spans, strict=True)})
            w.needs = set(texts)
            for h, t in texts.items():
                refs[h] = refs.get(h, 0) + 1
                if h not in have:
                    needed.setdefault(h, t)
        todo = list(needed.items())
        total = len(todo)
        report.chunks_embedded = len({h for w in work for h in w.hashes if h in needed})
        report.texts_embedded = total
        self.progress("embedding", 0, total)

        pending = list(range(len(work)))

        def write_ready() -> None:
            still = []
            for wi in pending:
                w = work[wi]
                if w.needs <= have.keys():
                    self._write(w, have, report)
                    for h in w.needs:  # free vectors no other article needs
                        refs[h] -= 1
                        if refs[h] == 0:
                            have.pop(h, None)
                else:
                    still.append(wi)
            pending[:] = still

        write_ready()
        small = total < 4 * BATCH  # not worth starting worker processes for
        done = 0
        pool = self.pool
        in_flight: dict[Future[np.ndarray], list[tuple[str, str]]] = {}
        batches = [todo[i : i + BATCH] for i in range(0, total, BATCH)]
        next_batch = 0
        while (next_batch < len(batches) and not self.stop.is_set()) or in_flight:
            while (
                next_batch < len(batches)
                and len(in_flight) < max(2, 2 * pool.workers)
                and not self.stop.is_set()
            ):
                batch = batches[next_batch]
                in_flight[pool.submit([t for _, t in batch], in_process=small)] = batch
                next_batch += 1
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for fut in finished:
                batch = in_flight.pop(fut)
                for (h, _), vec in zip(batch, fut.result(), strict=True):
                    have[h] = vec
                done += len(batch)
                self.progress("embedding", done, total)
            write_ready()

    def _reusable(self, w: Work) -> dict[str, np.ndarray]:
        """Vectors of this article's previous chunks (and their sentences) whose text is unchanged."""
        old = self.catalog.chunk_hashes(w.article.article_id)
        reused = {h: old[h] for h in w.hashes if h in old}
        if not reused:
            return {}
        chunk_vecs = self._raw(self.store.stored([cid for cid, _ in reused.values()]))
        out = {h: chunk_vecs[cid] for h, (cid, _) in reused.items() if cid in chunk_vecs}
        if self.index.settings.sentence_vectors:
            old_text = {r.chunk_id: r.text for r in self.catalog.chunks_of(w.article.article_id)}
            sids: dict[str, str] = {}
            for cid, spans in reused.values():
                for n, (a, b) in enumerate(spans):
                    sids[sentence_id(cid, n)] = text_hash(old_text.get(cid, "")[a:b])
            got = self._raw(self.store.stored(list(sids), sentences=True))
            out.update({sids[sid]: vec for sid, vec in got.items()})
        return out

    def _raw(self, stored: dict[str, tuple[np.ndarray, float, str]]) -> dict[str, np.ndarray]:
        """The embedder's own vectors back from stored (centered) ones."""
        if not stored:
            return {}
        ids = list(stored)
        raw = self.index.centering.raw(
            np.stack([stored[i][0] for i in ids]),
            [stored[i][1] for i in ids],
            [stored[i][2] for i in ids],
        )
        return dict(zip(ids, raw, strict=True))

    def _write(self, w: Work, have: dict[str, np.ndarray], report: IngestReport) -> None:
        a = w.article
        before = self.catalog.article(a.article_id)
        hwm, existed = self.catalog.begin_article(a, len(w.chunks))
        if existed:  # a new article has no old sentences (a killed run's are cleared on restart)
            self.store.delete_sentences_of(a.article_id, [a.shelf])
        if before is not None and before["shelf"] != a.shelf:  # moved: off its old shelf first
            self.store.delete([chunk_id(a.article_id, n) for n in range(hwm)], [before["shelf"]])
            self.store.delete_sentences_of(a.article_id, [before["shelf"]])
        centering = self.index.centering
        vecs, norms = centering.apply(
            np.stack([have[h] for h in w.hashes]), [c.lang for c in w.chunks]
        )
        self.store.upsert(w.chunks, vecs, [{"cn": n} for n in norms])
        sids: list[str] = []
        svecs: list[np.ndarray] = []
        smeta: list[dict[str, Any]] = []
        for c, spans, hashes in zip(w.chunks, w.sentences, w.sentence_hashes, strict=True):
            for n, ((s, e), h) in enumerate(zip(spans, hashes, strict=True)):
                sids.append(sentence_id(c.chunk_id, n))
                svecs.append(have[h])
                smeta.append(
                    {
                        "article_id": a.article_id,
                        "chunk_id": c.chunk_id,
                        "lang": c.lang,
                        "date_num": c.metadata()["date_num"],
                        "start": s,
                        "end": e,
                    }
                )
        if sids:
            svecs_c, snorms = centering.apply(np.stack(svecs), [m["lang"] for m in smeta])
            for m, norm in zip(smeta, snorms, strict=True):
                m["cn"] = norm
            self.store.upsert_sentences(sids, svecs_c, smeta, a.shelf)
        stale = [chunk_id(a.article_id, n) for n in range(len(w.chunks), hwm)]
        if stale:
            self.store.delete(stale, [a.shelf])
            report.chunks_removed += len(stale)
        self.catalog.commit_article(a, w.chunks, w.hashes, w.sentences)
        for source, fp in w.sources:
            self.catalog.map_source(source, a.article_id, fp)
        report.chunks_added += len(w.chunks)
        (report.updated if w.kind == "updated" else report.added).append(a.article_id)
        w.written = True

    # --- removal --------------------------------------------------------------------------------
    def _recover_pending(self) -> int:
        """Articles a killed run left half-written: remove them; their sources bring them back."""
        rows = self.catalog.pending()
        for row in rows:
            delete_article(self.index, row["article_id"], row["hwm"])
        return len(rows)

    def _prune(self, inputs: list[str], seen: set[str], report: IngestReport) -> None:
        """Forget sources that are gone: files that no longer exist, and anything under the given
        directories that this run did not see."""
        roots = [os.path.abspath(Path(i).expanduser()) for i in inputs if not is_url(i)]
        for row in self.catalog.sources():
            source = row["source"]
            if source in seen or is_url(source):
                continue
            path = file_of_source(source)
            if path in seen:
                continue
            under_root = any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)
            # A path is only this machine's to judge: with a shared catalog, another host's
            # uploads and folders are missing here but not gone.
            gone = not self.catalog.shared and not Path(path).exists()
            if under_root or gone:
                self.catalog.unmap_source(source)
                self._delete_if_orphan(row["article_id"], report)

    def _delete_if_orphan(self, aid: str, report: IngestReport) -> None:
        if not self.catalog.sources_of(aid):
            self._delete(aid, report, count_removed=True)

    def _delete(self, aid: str, report: IngestReport, count_removed: bool) -> None:
        row = self.catalog.article(aid)
        if row is None:
            return
        delete_article(self.index, aid, max(row["hwm"], row["chunks"]))
        report.chunks_removed += row["chunks"]
        if count_removed:
            report.removed.append(aid)


def delete_article(index: Index, article_id: str, chunks: int) -> None:
    """An article's chunk vectors (ids below `chunks`), all its sentence vectors, its catalog rows."""
    index.store.delete([chunk_id(article_id, n) for n in range(chunks)])
    index.store.delete_sentences_of(article_id)
    index.catalog.delete_article(article_id)
