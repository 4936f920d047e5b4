"""The parts of one index and the rules that keep them consistent. The verbs live elsewhere:
every write in `ingest.py`, the one read in `search/hybrid.py`, listings in `inventory.py`;
what is measured on the corpus (language centers, a background sample) in `space.py`.

Parts: the catalog (articles, chunks, sources, generation; SQLite, or PostgreSQL shared by hosts),
the vector store (Chroma: chunk and sentence vectors), the keyword index (BM25), the embedder and
the language detector.
Rules: one writer at a time across processes (`write_lock`); a reader reloads when another process
has written (`refresh`, by the catalog's generation); a search never sees a keyword index being
swapped (`reading`); a writer publishes its changes in one step (`publish`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from retrieval.embedding.centering import Centering
from retrieval.embedding.embedders import Embedder, make_embedder
from retrieval.index.catalog_open import open_catalog
from retrieval.index.duplicates import DuplicateFinder
from retrieval.index.keyword import KeywordIndex
from retrieval.index.lock import AdvisoryLock, ReadWriteLock, WriteLock
from retrieval.index.repair import repair_stored
from retrieval.index.space import Background, Space
from retrieval.index.sql import schema_name
from retrieval.index.vectors import ChromaStore
from retrieval.settings import Settings
from retrieval.text.detect import LanguageDetector

log = logging.getLogger(__name__)


class Index:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        detector: LanguageDetector | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings)
        self.detector = detector or LanguageDetector()
        data = settings.data_dir
        data.mkdir(parents=True, exist_ok=True)
        self.catalog = open_catalog(settings)
        repair_stored(self.catalog, self.detector)  # once: what an earlier release let in
        self.store = ChromaStore(
            self.embedder.name,
            path=data / "chroma",
            host=settings.chroma_host,
            port=settings.chroma_port,
            collection=settings.collection,
            space=lambda: self.space.centering.space,
        )
        # A host's BM25 is a cache of the catalog it was built from: named after it when shared.
        shared = f"bm25-{schema_name(settings.collection)}-{self.catalog.identity()[:12]}"
        self.keyword = KeywordIndex(data / (shared if self.catalog.shared else "bm25"))
        self.space = Space(self.catalog, self.embedder)
        self.sample = Background(self.store, lambda: self.keyword.ids)
        self._generation: int | None = None
        self._refresh_lock = threading.Lock()
        self._rw = ReadWriteLock()
        self._duplicates: DuplicateFinder | None = None
        self._rebuilding: threading.Thread | None = None

    # --- readers --------------------------------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator[None]:
        """Held by a search: see this process's current generation, reloading first if another
        process wrote; a reload or publish waits until the search is done."""
        self.refresh()
        with self._rw.reading():
            yield

    def refresh(self) -> None:
        """Reopen the store and reload BM25 if another process (or host) changed the index.
        A reader on another host has no saved BM25 for the new generation: it goes on searching
        with the one it has while a thread rebuilds it (24 s at 100,000 chunks), rather than
        holding every search for that long."""
        gen = self.catalog.generation()
        if gen == self._generation:
            return
        # Searches run in threads: reload once, not once per thread, and not under a search.
        with self._refresh_lock:
            if gen == self._generation:
                return
            loaded = KeywordIndex(self.keyword.path)
            fresh: KeywordIndex | None = loaded if loaded.load(gen) else None
            if fresh is None and self._generation is not None and self.catalog.shared:
                self._rebuild_keyword_later()
            elif fresh is None:
                fresh = loaded
                fresh.build(self._keyword_rows(), gen, save=False)
            with self._rw.writing():
                if self._generation is not None:
                    self.store.reopen()
                if fresh is not None:
                    self.keyword = fresh
                self.changed()
                self._generation = gen

    def _rebuild_keyword_later(self) -> None:
        """Until it is swapped in, new chunks are found by their vectors only, and a forgotten
        chunk's keyword match is dropped with the other ids the catalog no longer has."""
        if self._rebuilding is not None and self._rebuilding.is_alive():
            return  # it checks the generation again when it is done

        def work() -> None:
            try:
                while True:
                    gen = self.catalog.generation()
                    if self.keyword.generation >= gen:
                        return
                    fresh = KeywordIndex(self.keyword.path)
                    fresh.build(self._keyword_rows(alone=True), gen, save=False)
                    with self._rw.writing():
                        if self.keyword.generation < gen:
                            self.keyword = fresh
                            self.sample.drop()
            except Exception:  # the next refresh starts another
                log.exception("rebuilding the keyword index failed")

        self._rebuilding = threading.Thread(target=work, name="keyword-rebuild", daemon=True)
        self._rebuilding.start()

    @property
    def duplicates(self) -> DuplicateFinder | None:
        """The near-duplicate finder, kept between ingests (None when turned off)."""
        if self.settings.duplicate_threshold <= 0:
            return None
        if self._duplicates is None:
            self._duplicates = DuplicateFinder(self.catalog, self.settings.duplicate_threshold)
        self._duplicates.catch_up()  # another process's new signatures only
        return self._duplicates

    @property
    def centering(self) -> Centering:
        """The language centers of this index's embedder and the corpus's query center."""
        return self.space.centering

    def forget_centers(self) -> None:
        """Before re-embedding everything: the next vectors may use new centers."""
        self.space.forget()

    def background(self, query_vector: np.ndarray) -> float:
        """The query's baseline similarity to a fixed sample of stored chunks (space.py)."""
        return self.sample.level(query_vector)

    def changed(self) -> None:
        """The corpus changed: what was measured on it is measured again when next needed."""
        self.space.moved()
        self.sample.drop()

    # --- writers --------------------------------------------------------------------------------
    def write_lock(
        self, name: str = "write", timeout: float | None = None, what: str = ""
    ) -> WriteLock | AdvisoryLock:
        """Held by every writer of this index: in PostgreSQL when hosts share the catalog."""
        wait = self.settings.lock_timeout if timeout is None else timeout
        if self.catalog.shared:
            schema = schema_name(self.settings.collection)
            return AdvisoryLock(
                self.settings.database_url.get_secret_value(), schema, wait, what, name
            )
        return WriteLock(self.settings.data_dir, wait, what, name=f"{name}.lock")

    def publish(self) -> None:
        """After a write (lock held): rebuild the keyword index and tell readers to reload."""
        gen = self.catalog.generation() + 1
        fresh = KeywordIndex(self.keyword.path)
        fresh.build(self._keyword_rows(), gen, save=True)  # searches go on meanwhile
        with self._rw.writing():  # this process's own searches must not see a half-swapped index
            self.keyword = fresh
            self.catalog.set_meta("generation", str(gen))
            self._generation = gen
            self.changed()

    def _keyword_rows(self, alone: bool = False) -> list[tuple[str, str, str, str, str]]:
        return [
            (r["chunk_id"], r["article_id"], r["lang"], r["date"], f"{r['title']}\n{r['text']}")
            for r in self.catalog.iter_chunk_rows(alone=alone)
        ]

    # --- lifecycle ------------------------------------------------------------------------------
    def warm(self) -> None:
        """Load the language models and the embedder and open the store before the first question
        (a long-running process calls this in a thread at start)."""
        self.detector.warm()
        self.embedder.embed_queries(["warm-up"])
        self.refresh()

    def close(self) -> None:
        self.store.close()
        self.catalog.close()
