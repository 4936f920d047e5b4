"""The index as one object with domain verbs: ingest, search, forget, sources, stats, reindex."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import numpy as np

from .catalog import Catalog, chunk_id
from .embed import Embedder, EmbedPool, make_embedder
from .ingest import Ingestor, Progress
from .keyword import KeywordIndex
from .lang import LanguageDetector
from .lock import ReadWriteLock, WriteLock
from .models import Hit, IngestReport
from .search import Filters, search
from .settings import Settings
from .store import ChromaStore

BACKGROUND_SAMPLE = 200


class Index:
    """Wires catalog (SQLite), vectors (Chroma), keywords (BM25), embedder and detector.

    Readers in a long-running process see writes of other processes: every search compares the
    catalog's generation (one SQLite read) and reopens Chroma and the keyword index when it moved.
    """

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
        self.catalog = Catalog(data / "catalog.sqlite3")
        self.store = ChromaStore(
            self.embedder.name,
            path=data / "chroma",
            host=settings.chroma_host,
            port=settings.chroma_port,
            collection=settings.collection,
        )
        self.keyword = KeywordIndex(data / "bm25")
        self._generation: int | None = None
        self._refresh_lock = threading.Lock()
        self._rw = ReadWriteLock()
        self._background: np.ndarray | None = None

    def reading(self) -> Any:
        """Held by a search: a reload (another process wrote) waits until it is done."""
        return self._rw.reading()

    def write_lock(self) -> WriteLock:
        return WriteLock(self.settings.data_dir, self.settings.lock_timeout)

    def refresh(self) -> None:
        """Reopen the store and reload BM25 if another process (or thread) changed the index."""
        gen = self.catalog.generation()
        if gen == self._generation:
            return
        # Searches run in threads: reload once, not once per thread, and not under a search.
        with self._refresh_lock, self._rw.writing():
            if gen == self._generation:
                return
            if self._generation is not None:
                self.store.reopen()
            if not self.keyword.load(gen):
                self.keyword.build(self._keyword_rows(), gen, save=False)
            self._background = None
            self._generation = gen

    def background(self, query_vector: np.ndarray) -> float:
        """The query's mean similarity to a fixed random sample of chunks: its baseline level,
        which is lower for a question in another language than the articles."""
        if self._background is None:
            ids = self.keyword.ids
            sample = random.Random(0).sample(ids, min(BACKGROUND_SAMPLE, len(ids)))
            vectors = self.store.vectors(sample)
            self._background = (
                np.stack(list(vectors.values())) if vectors else np.zeros((0, len(query_vector)))
            )
        if len(self._background) == 0:
            return 0.0
        return float(np.mean(self._background @ query_vector))

    def _keyword_rows(self) -> list[tuple[str, str, str, str, str]]:
        return [
            (r["chunk_id"], r["article_id"], r["lang"], r["date"], f"{r['title']}\n{r['text']}")
            for r in self.catalog.iter_chunk_rows()
        ]

    def commit_generation(self) -> None:
        """After a write (lock held): publish it to readers and rebuild the keyword index."""
        gen = self.catalog.generation() + 1
        rows = self._keyword_rows()
        with self._rw.writing():  # this process's own searches must not see a half-swapped index
            self.keyword.build(rows, gen, save=True)
            self.catalog.set_meta("generation", str(gen))
            self._generation = gen
            self._background = None

    # --- verbs ----------------------------------------------------------------------------------
    def ingest(
        self, inputs: list[str], prune: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        return Ingestor(self, progress).run(inputs, prune=prune)

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: Filters | None = None,
        mode: str = "hybrid",
        **kw: Any,
    ) -> list[Hit]:
        return search(self, query, k or self.settings.top_k, filters, mode=mode, **kw)

    def forget(self, article_id: str) -> bool:
        with self.write_lock():
            self.refresh()
            row = self.catalog.article(article_id)
            if row is None:
                return False
            self.delete_vectors(article_id, max(row["hwm"], row["chunks"]))
            self.catalog.delete_article(article_id)
            self.commit_generation()
            return True

    def delete_vectors(self, article_id: str, chunks: int) -> None:
        """Remove an article's chunk vectors (ids below `chunks`) and all its sentence vectors."""
        self.store.delete([chunk_id(article_id, n) for n in range(chunks)])
        self.store.delete_sentences_of(article_id)

    def sources(self) -> list[dict[str, Any]]:
        return [
            {
                "article_id": r["article_id"],
                "title": r["title"],
                "lang": r["lang"],
                "date": r["date"],
                "chunks": r["chunks"],
                "url": r["url"],
                "source": r["source"],
            }
            for r in self.catalog.articles()
            if r["state"] == "ready"
        ]

    def stats(self) -> dict[str, Any]:
        counts = self.catalog.counts()
        started = time.perf_counter()
        vectors = self.store.count()
        return {
            **counts,
            "vectors": vectors,
            "languages": self.catalog.languages(),
            "embedder": self.embedder.name,
            "store": f"chroma server {self.settings.chroma_host}:{self.settings.chroma_port}"
            if self.settings.chroma_server
            else f"chroma on disk at {self.settings.data_dir / 'chroma'}",
            "data_dir": str(self.settings.data_dir),
            "generation": self.catalog.generation(),
            "reindex_unfinished": self.catalog.get_meta("reindex") == "running",
            "store_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    def verify(self) -> dict[str, Any]:
        """Compare catalog and vector store: every chunk has exactly one vector and vice versa."""
        self.refresh()
        catalog_ids = {r["chunk_id"] for r in self.catalog.iter_chunk_rows()}
        vector_ids = self.store.all_ids()
        return {
            "ok": catalog_ids == vector_ids and not self.catalog.pending(),
            "chunks": len(catalog_ids),
            "vectors": len(vector_ids),
            "vectors_without_chunk": sorted(vector_ids - catalog_ids)[:20],
            "chunks_without_vector": sorted(catalog_ids - vector_ids)[:20],
            "pending_articles": [r["article_id"] for r in self.catalog.pending()],
        }

    def reindex(self, progress: Progress | None = None) -> IngestReport:
        """Re-embed every stored article (e.g. with a new embedder) from the catalog's text."""
        from .ingest import Ingestor, _Work
        from .models import Article

        ing = Ingestor(self, progress)
        report = IngestReport()
        started = time.perf_counter()
        with self.write_lock():
            # Marked first: if this is killed, `footnote stats` says so and a rerun finishes it.
            self.catalog.set_meta("reindex", "running")
            rows = list(self.catalog.all_articles_full())
            self.store.drop()
            self.store.reopen()
            work = [
                _Work(
                    Article(
                        r["article_id"], r["title"], r["text"], r["url"], r["source"],
                        r["date"], r["lang"], r["content_hash"],
                    ),
                    [(src, "") for src in self.catalog.sources_of(r["article_id"]) or [r["source"]]],
                    "updated",
                )
                for r in rows
            ]  # fmt: skip
            with EmbedPool(self.embedder, self.settings.embed_workers) as pool:
                ing.pool = pool
                ing._embed_and_write(work, report)
            self.catalog.set_meta("reindex", "")
            self.commit_generation()
        report.seconds = time.perf_counter() - started
        return report

    def warm(self) -> None:
        """Load the language models and the embedder and open the store before the first question
        (a long-running process calls this in a thread at start)."""
        self.detector.warm()
        self.embedder.embed_queries(["warm-up"])
        self.refresh()

    def close(self) -> None:
        self.store.close()
        self.catalog.close()
