"""What an index's vectors are measured against, kept per process and dropped when the index
changes: the language centers and the corpus's query center (centering.py), and a fixed sample
of stored chunks that gives a query its baseline similarity. Each has its own small lock; the
index drops them together after a write (`Index.changed`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from retrieval.embedding.centering import Centering
from retrieval.embedding.centers import from_bytes, to_bytes
from retrieval.embedding.embedders import Embedder
from retrieval.index.catalog import Catalog
from retrieval.index.vectors import ChromaStore

BACKGROUND_SAMPLE = 200
CORPUS_QUERY_CENTER = "corpus_query_center"  # catalog blob: float32 vector (centering.py)


class Space:
    """The language centers of an embedder (kept in the catalog once known, so every process,
    and every later run, stores and searches in the same space) and the corpus's query center."""

    def __init__(self, catalog: Catalog, embedder: Embedder) -> None:
        self.catalog, self.embedder = catalog, embedder
        self._centers: dict[str, np.ndarray] | None = None
        self._centering: Centering | None = None
        # The last Centering made, with the query center blob it was made from.
        self._kept: tuple[bytes | None, Centering] | None = None
        self._lock = threading.Lock()

    @property
    def centering(self) -> Centering:
        with self._lock:
            if self._centering is None:
                if self._centers is None:
                    self._centers = self._language_centers()
                corpus = self.catalog.get_blob(CORPUS_QUERY_CENTER)
                if self._kept is not None and self._kept[0] == corpus:
                    self._centering = self._kept[1]  # the same centers: no new basis (SVD)
                else:
                    self._centering = Centering(
                        self._centers, np.frombuffer(corpus, np.float32) if corpus else None
                    )
                    self._kept = (corpus, self._centering)
            return self._centering

    def moved(self) -> None:
        """The corpus changed: its query center is read again when next needed."""
        with self._lock:
            self._centering = None

    def forget(self) -> None:
        """Before re-embedding everything: the next vectors may use new centers."""
        with self._lock:
            self.catalog.set_blob(f"centers:{self.embedder.name}", None)
            self.catalog.set_blob(CORPUS_QUERY_CENTER, None)
            self._centers = self._centering = self._kept = None

    def _language_centers(self) -> dict[str, np.ndarray]:
        key = f"centers:{self.embedder.name}"
        kept = self.catalog.get_blob(key)
        if kept:
            return from_bytes(kept)
        measure = getattr(self.embedder, "language_centers", None)
        centers = (measure() if measure else None) or {}
        if centers:
            self.catalog.set_blob(key, to_bytes(centers))
        return centers


class Background:
    """A fixed random sample of stored chunks: a (centered) query's mean similarity to it is its
    baseline level, lower for a question in another language than the articles. The sample is
    the chunks with the lowest row keys (hashes of their ids): after a write it is read again
    (one short query) and only its new members' vectors are fetched."""

    def __init__(self, store: ChromaStore, sample: Callable[[int], list[str]]) -> None:
        self.store, self.sample = store, sample
        self._vectors: dict[str, np.ndarray] = {}
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()

    def level(self, query_vector: np.ndarray) -> float:
        matrix = self._matrix
        if matrix is None:
            with self._lock:
                matrix = self._matrix = self._measure(len(query_vector))
        if len(matrix) == 0:
            return 0.0
        return float(np.mean(matrix @ query_vector))

    def _measure(self, dim: int) -> np.ndarray:
        ids = self.sample(BACKGROUND_SAMPLE)
        missing = [i for i in ids if i not in self._vectors]
        fetched = self.store.vectors(missing) if missing else {}
        self._vectors = {
            i: v for i in ids if (v := self._vectors.get(i, fetched.get(i))) is not None
        }
        rows = list(self._vectors.values())
        return np.stack(rows) if rows else np.zeros((0, dim))

    def drop(self) -> None:
        self._matrix = None
