"""The parts of one index and the rules that keep them consistent. The verbs live elsewhere:
every write in `ingest.py`, the one read in `search/hybrid.py`, listings in `inventory.py`;
what is measured on the corpus (language centers, a background sample) in `space.py`.

Parts: the catalog (articles, chunks, sources, generation, and the words and near-duplicate
buckets written with them; SQLite, or PostgreSQL shared by hosts), the vector store (Chroma: chunk
and sentence vectors), the embedder and the language detector.
Rules: one writer at a time across processes (`write_lock`); a reader reloads when another process
has written (`refresh`, by the catalog's generation: it reopens the store; the words are in the
catalog already); a writer publishes its changes in one step (`publish`).
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from retrieval.embedding.centering import Centering
from retrieval.embedding.embedders import Embedder, make_embedder
from retrieval.index.catalog_open import open_catalog
from retrieval.index.duplicates import DuplicateFinder
from retrieval.index.keyword import VERSION as KEYWORDS
from retrieval.index.keyword import KeywordIndex
from retrieval.index.lock import AdvisoryLock, ReadWriteLock, WriteLock
from retrieval.index.repair import repair_stored
from retrieval.index.space import Background, Space
from retrieval.index.sql import schema_name
from retrieval.index.vectors import ChromaStore
from retrieval.settings import Settings
from retrieval.text.detect import LanguageDetector

log = logging.getLogger(__name__)


def remove_old_keyword_files(data: Path) -> None:
    """Releases before keyword search lived in the catalog kept a BM25 index beside it."""
    for old in data.glob("bm25*"):
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
            log.info("removed %s: keyword search now lives in the catalog", old)


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
        self.space = Space(self.catalog, self.embedder)
        self.sample = Background(self.store, self.catalog.keyword.sample)
        self._generation: int | None = None
        self._refresh_lock = threading.Lock()
        self._rw = ReadWriteLock()
        self._duplicates: DuplicateFinder | None = None
        self._languages: tuple[int, dict[str, int]] | None = None
        self._fill_keywords()
        remove_old_keyword_files(data)

    # --- readers --------------------------------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator[None]:
        """Held by a search: see this process's current generation, reloading first if another
        process wrote; a reload or publish waits until the search is done."""
        self.refresh()
        with self._rw.reading():
            yield

    def refresh(self) -> None:
        """Reopen the store if another process (or host) changed the index. Keyword search
        reads the catalog's tables, so a new article's words are already there."""
        gen = self.catalog.generation()
        if gen == self._generation:
            return
        # Searches run in threads: reopen once, not once per thread, and not under a search.
        with self._refresh_lock:
            if gen == self._generation:
                return
            with self._rw.writing():
                if self._generation is not None:
                    self.store.reopen()
                self.changed()
                self._generation = gen

    def languages(self) -> dict[str, int]:
        """Articles per language, read once per generation (not once per question)."""
        gen = self.catalog.generation()
        kept = self._languages
        if kept is None or kept[0] != gen:
            kept = self._languages = (gen, self.catalog.languages())
        return kept[1]

    @property
    def keyword(self) -> KeywordIndex:
        return self.catalog.keyword

    def _fill_keywords(self) -> None:
        """A catalog from a release before keyword search lived in it (or of another analysis)
        gets its words indexed once, by whichever process opens it first."""
        if self.catalog.keywords_current():
            return
        if not self.catalog.query("SELECT 1 FROM chunks LIMIT 1"):
            self.catalog.set_meta("keyword_index", KEYWORDS)  # a new catalog: nothing to index
            return
        with self.write_lock("write", what="indexing the archive's words"):
            if not self.catalog.keywords_current():
                log.warning("indexing the words of every chunk once (an upgraded catalog)")
                done = self.catalog.fill_keywords()
                log.warning("indexed the words of %d chunks", done)

    @property
    def duplicates(self) -> DuplicateFinder | None:
        """The near-duplicate finder, kept between ingests (None when turned off)."""
        if self.settings.duplicate_threshold <= 0:
            return None
        if self._duplicates is None:
            self._duplicates = DuplicateFinder(self.catalog, self.settings.duplicate_threshold)
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
        """After a write (lock held): tell readers the index changed. The words and the chunk
        rows were committed together; what readers keep (the store's handle, the background
        sample, the query center) is refreshed, not rebuilt."""
        gen = self.catalog.generation() + 1
        with self._rw.writing():
            self.catalog.set_meta("generation", str(gen))
            self._generation = gen
            self.changed()

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
