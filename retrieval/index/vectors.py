"""Chunk vectors in Chroma: embedded on disk by default, a `chroma run` server when CHROMA_HOST is
set. The only module that imports chromadb.

Each shelf (shelves.py) has its own pair of collections (chunks, sentences): `public` the
original names, any other `<name>__<shelf>`. A search within some shelves queries theirs only,
at the speed of an unfiltered search of their size. One collection with the shelf in each
chunk's metadata would have needed Chroma's `where`, which reads every stored chunk's metadata
(about 1 ms per 1,000 chunks), or its `ids` restriction, slower still for a small shelf
(bench/NOTES.md). Calls that name no shelves reach every shelf's collections."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import EmbedderMismatchError, StoreUnavailableError
from retrieval.index.lock import ReadWriteLock
from retrieval.shelves import PUBLIC
from retrieval.types import Chunk

EMBEDDER_KEY = "footnote_embedder"
SPACE_KEY = "footnote_space"  # how the vectors are stored (centering.py); absent: "raw"
RAW = "raw"
SHELVES_FRESH = 10.0  # seconds a listing of the stored shelves is reused for "every shelf"


class ChromaStore:
    def __init__(
        self,
        embedder_name: str,
        path: Path | None = None,
        host: str = "",
        port: int = 8000,
        collection: str = "footnote",
        space: str | Callable[[], str] = RAW,
    ) -> None:
        self.embedder_name = embedder_name
        self._space = space
        self.path = path
        self.host = host
        self.port = port
        self.collection_name = collection
        self._client: Any = None
        self._cols: dict[str, Any] = {}
        self._max_batch: int | None = None
        # Many threads query at once (the bot); connecting and reopening happen once, and a
        # reopen waits until calls in flight are done (they use the client it closes).
        self._lock = threading.RLock()
        self._calls = ReadWriteLock()
        self._shelves: tuple[float, list[str]] | None = None  # (when listed, names)

    @property
    def space(self) -> str:
        """How vectors are stored (centering.py); known only once the index knows its centers."""
        return self._space() if callable(self._space) else self._space

    # --- connection -------------------------------------------------------------------------
    def _connect(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if self.host:
                # chromadb's HTTP client never closes its sessions, and a reader reopens it after
                # every write elsewhere: with no idle connections kept, none is left open (a
                # connection per call costs nothing measurable on a local network, bench/NOTES.md).
                no_idle = ChromaSettings(
                    anonymized_telemetry=False, chroma_http_max_keepalive_connections=0
                )
                return chromadb.HttpClient(host=self.host, port=self.port, settings=no_idle)
            assert self.path is not None
            self.path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(self.path), settings=chroma_settings)
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError here
            raise StoreUnavailableError(self._unavailable(exc)) from exc

    def _unavailable(self, exc: Exception) -> str:
        where = f"the Chroma server at {self.host}:{self.port}" if self.host else f"{self.path}"
        return (
            f"the vector store ({where}) is not available: {type(exc).__name__}. Try again shortly."
        )

    @property
    def collection(self) -> Any:
        return self._collection(self.collection_name)

    @property
    def sentences(self) -> Any:
        """Sentence-level vectors of the chunks (ids `<chunk_id>-s<n>`), for finer matching."""
        return self._collection(f"{self.collection_name}_sentences")

    def _name(self, shelf: str, sentences: bool = False) -> str:
        """A shelf's collection. Shelf names hold no "_", so no two shelves' names meet."""
        base = self.collection_name if shelf == PUBLIC else f"{self.collection_name}__{shelf}"
        return f"{base}_sentences" if sentences else base

    def shelves(self, fresh: bool = False) -> list[str]:
        """The shelves that have collections here (`public` always), listed at most every
        SHELVES_FRESH seconds unless `fresh`."""
        with self._lock:
            now = time.monotonic()
            if fresh or self._shelves is None or now - self._shelves[0] > SHELVES_FRESH:
                prefix = f"{self.collection_name}__"
                try:
                    names = [c.name for c in self._client_or_connect().list_collections()]
                except Exception as exc:
                    if self.host and _is_connection_error(exc):
                        self._client = None
                        raise StoreUnavailableError(self._unavailable(exc)) from exc
                    raise
                found = {
                    n[len(prefix) :] for n in names
                    if n.startswith(prefix) and not n.endswith("_sentences")
                }  # fmt: skip
                self._shelves = (now, [PUBLIC, *sorted(found - {PUBLIC})])
            return list(self._shelves[1])

    def _among(self, shelves: Iterable[str] | None, fresh: bool = False) -> list[str]:
        """`shelves`, each once; None: every shelf (listed now when `fresh`: a delete must not
        miss a shelf another host has just made)."""
        return list(dict.fromkeys(shelves)) if shelves is not None else self.shelves(fresh)

    def _collection(self, name: str) -> Any:
        with self._lock:
            return self._open_collection(name)

    def _open_collection(self, name: str, check_space: bool = True) -> Any:
        if name not in self._cols or not check_space:
            client = self._client_or_connect()
            try:
                col = client.get_or_create_collection(
                    name,
                    embedding_function=None,
                    metadata={EMBEDDER_KEY: self.embedder_name},
                    configuration={"hnsw": {"space": "cosine"}},
                )
            except Exception as exc:
                if not _is_connection_error(exc):
                    raise
                self._client = None
                raise StoreUnavailableError(self._unavailable(exc)) from exc
            meta = col.metadata or {}
            built_with = meta.get(EMBEDDER_KEY)
            if built_with and built_with != self.embedder_name:
                raise EmbedderMismatchError(
                    f"this index was built with the embedder {built_with!r}, but "
                    f"{self.embedder_name!r} is configured (FOOTNOTE_EMBEDDER). Switch back, or "
                    "rebuild the vectors with the new embedder: `footnote reindex`."
                )
            if not check_space:
                return col
            if meta.get(SPACE_KEY, RAW) != self.space:
                if col.count():
                    raise EmbedderMismatchError(
                        "this index's vectors are stored in an older form than this version of "
                        "Footnote searches; rewrite them: `footnote reindex`."
                    )
                col.modify(metadata={**meta, SPACE_KEY: self.space})
            self._cols[name] = col
        return self._cols[name]

    def stored_space(self) -> str:
        """How the chunk vectors are stored (read without the check that opening makes)."""
        with self._lock:
            col = self._open_collection(self.collection_name, check_space=False)
            return str((col.metadata or {}).get(SPACE_KEY, RAW))

    def convert(self, transform: Any, page: int = 2000) -> int:
        """Rewrite every vector into this store's space without re-embedding:
        `transform(vectors, metadatas) -> (vectors, metadata updates)`. Returns vectors written."""
        written = 0
        names = [self._name(sh, sent) for sh in self.shelves(fresh=True) for sent in (False, True)]
        with self._calls.writing(), self._lock:
            for name in names:
                col = self._open_collection(name, check_space=False)
                offset = 0
                while True:
                    got = col.get(include=["embeddings", "metadatas"], limit=page, offset=offset)
                    if not got["ids"]:
                        break
                    vectors, updates = transform(np.asarray(got["embeddings"]), got["metadatas"])
                    col.update(ids=got["ids"], embeddings=vectors, metadatas=updates)
                    written += len(got["ids"])
                    offset += page
                col.modify(metadata={**(col.metadata or {}), SPACE_KEY: self.space})
            self._cols = {}
        return written

    def reopen(self) -> None:
        """Drop cached state so writes made by other processes become visible."""
        self.close()

    def close(self) -> None:
        """Release this store's Chroma system (per path, reference-counted) and HTTP connections,
        once no call is using them."""
        with self._calls.writing(), self._lock:
            self._close()

    def _close(self) -> None:
        self._cols = {}
        self._shelves = None
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
        self._client = None

    def max_batch(self) -> int:
        """Chroma's per-call record limit, asked once per connection (5461 embedded)."""
        if self._max_batch is None:
            try:
                self._max_batch = min(int(self._client_or_connect().get_max_batch_size()), 5000)
            except Exception:
                return 5000
        return self._max_batch

    def _client_or_connect(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def drop(self) -> None:
        """Delete the collection (reindex); the next use creates it for the configured embedder."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        client = self._client_or_connect()
        names = [self._name(sh, sent) for sh in self.shelves(fresh=True) for sent in (False, True)]
        for name in names:
            try:
                client.delete_collection(name)
            except Exception as exc:
                if not _is_missing(exc):
                    raise
        self._cols = {}
        self._shelves = None

    # --- domain verbs -------------------------------------------------------------------------
    def upsert(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        extra: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        """Chunk vectors, each into its shelf's collection; `extra` adds to each chunk's
        metadata (e.g. how it was centered)."""
        batch = self.max_batch()
        metas = [{**c.metadata(), **(extra[n] if extra else {})} for n, c in enumerate(chunks)]
        by_shelf: dict[str, list[int]] = {}
        for n, c in enumerate(chunks):
            by_shelf.setdefault(c.shelf, []).append(n)
        for shelf, rows in by_shelf.items():
            for i in range(0, len(rows), batch):
                part = rows[i : i + batch]
                self._call(
                    "upsert",
                    shelf=shelf,
                    ids=[chunks[r].chunk_id for r in part],
                    embeddings=np.asarray(vectors, dtype=np.float32)[part],
                    documents=[chunks[r].text for r in part],
                    metadatas=[metas[r] for r in part],
                )
        self._known(by_shelf)

    def _known(self, shelves: Iterable[str]) -> None:
        """Shelves this process has just written are listed from now on."""
        with self._lock:
            if self._shelves is not None and not set(shelves) <= set(self._shelves[1]):
                self._shelves = None

    def delete(self, ids: Sequence[str], shelves: Iterable[str] | None = None) -> None:
        ids = list(ids)
        batch = self.max_batch()
        for shelf in self._among(shelves, fresh=True):
            for i in range(0, len(ids), batch):
                self._call("delete", shelf=shelf, ids=ids[i : i + batch])

    def vectors(
        self, ids: Sequence[str], shelves: Iterable[str] | None = None
    ) -> dict[str, np.ndarray]:
        return {i: v for i, (v, _) in self._get(ids, False, shelves, ["embeddings"]).items()}

    def _get(
        self, ids: Sequence[str], sentences: bool, shelves: Iterable[str] | None, include: list[str]
    ) -> dict[str, tuple[np.ndarray, dict[str, Any]]]:
        """id -> (vector, metadata) of the ids found in the shelves' collections."""
        out: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}
        wanted = list(ids)
        for shelf in self._among(shelves) if wanted else []:
            got = self._call("get", sentences=sentences, shelf=shelf, ids=wanted, include=include)
            embs = got.get("embeddings")
            if embs is None:
                continue
            metas = got.get("metadatas") or [{}] * len(embs)
            for i, e, m in zip(got["ids"], embs, metas, strict=True):
                out[i] = (np.asarray(e, dtype=np.float32), m or {})
            wanted = [i for i in wanted if i not in out]
            if not wanted:
                break
        return out

    def query(
        self,
        vector: np.ndarray,
        n: int,
        where: dict[str, Any] | None = None,
        shelves: Iterable[str] | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity), best first, of the shelves' chunks."""
        return self._nearest(False, vector, n, where, shelves)

    def _nearest(
        self,
        sentences: bool,
        vector: np.ndarray,
        n: int,
        where: dict[str, Any] | None,
        shelves: Iterable[str] | None,
    ) -> list[tuple[str, float]]:
        found: list[tuple[str, float]] = []
        for shelf in self._among(shelves):
            # chromadb 1.5 caps n_results at the collection size itself (measured): no count().
            res = self._call(
                "query",
                sentences=sentences,
                shelf=shelf,
                query_embeddings=[np.asarray(vector, dtype=np.float32)],
                n_results=n,
                where=where or None,
                include=["distances"],
            )
            found += [
                (i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)
            ]
        found.sort(key=lambda f: -f[1])
        return found[:n]

    def upsert_sentences(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        metadatas: Sequence[dict[str, Any]],
        shelf: str = PUBLIC,
    ) -> None:
        self._write("upsert", True, ids, vectors, metadatas, shelf)
        self._known([shelf])

    def delete_sentences_of(self, article_id: str, shelves: Iterable[str] | None = None) -> None:
        """A `where` delete scans the collection: fine on the write path, never on a query."""
        for shelf in self._among(shelves, fresh=True):
            self._call("delete", sentences=True, shelf=shelf, where={"article_id": article_id})

    def sentence_vectors(
        self, ids: Sequence[str], shelves: Iterable[str] | None = None
    ) -> dict[str, np.ndarray]:
        return {i: v for i, (v, _) in self._get(ids, True, shelves, ["embeddings"]).items()}

    def query_sentences(
        self, vector: np.ndarray, n: int, shelves: Iterable[str] | None = None
    ) -> list[tuple[str, float]]:
        """(sentence_id, cosine similarity), best first, of the shelves' sentences."""
        return self._nearest(True, vector, n, None, shelves)

    def stored(
        self, ids: Sequence[str], sentences: bool = False, shelves: Iterable[str] | None = None
    ) -> dict[str, tuple[np.ndarray, float, str]]:
        """id -> (stored vector, its "cn", its language): what `Centering.raw` needs to recover
        the embedder's vector."""
        got = self._get(ids, sentences, shelves, ["embeddings", "metadatas"])
        return {
            i: (v, float(m.get("cn", 1.0)), str(m.get("lang", ""))) for i, (v, m) in got.items()
        }

    def update(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        metadatas: Sequence[dict[str, Any]],
        sentences: bool = False,
        shelf: str = PUBLIC,
    ) -> None:
        """New vectors for existing ids; `metadatas` are merged into what is stored."""
        self._write("update", sentences, ids, vectors, metadatas, shelf)

    def _write(
        self,
        op: str,
        sentences: bool,
        ids: Sequence[str],
        vectors: np.ndarray,
        metadatas: Sequence[dict[str, Any]],
        shelf: str = PUBLIC,
    ) -> None:
        """`op` in batches the server accepts."""
        batch = self.max_batch()
        for i in range(0, len(ids), batch):
            self._call(
                op,
                sentences=sentences,
                shelf=shelf,
                ids=list(ids[i : i + batch]),
                embeddings=np.asarray(vectors[i : i + batch], dtype=np.float32),
                metadatas=list(metadatas[i : i + batch]),
            )

    def all_ids(self, sentences: bool = False) -> set[str]:
        ids: set[str] = set()
        for shelf in self.shelves(fresh=True):
            offset, page = 0, 5000
            while True:
                got = self._call(
                    "get", sentences=sentences, shelf=shelf, include=[], limit=page, offset=offset
                )
                ids.update(got["ids"])
                if len(got["ids"]) < page:
                    break
                offset += page
        return ids

    def count(self) -> int:
        return sum(int(self._call("count", shelf=s)) for s in self.shelves(fresh=True))

    def _call(
        self, method: str, sentences: bool = False, shelf: str = PUBLIC, **kwargs: Any
    ) -> Any:
        with self._calls.reading():
            try:
                col = self._collection(self._name(shelf, sentences))
                return getattr(col, method)(**kwargs)
            except (EmbedderMismatchError, StoreUnavailableError):
                raise
            except Exception as exc:
                if self.host and _is_connection_error(exc):
                    with self._lock:
                        self._cols = {}
                        self._shelves = None
                        self._client = None
                    raise StoreUnavailableError(self._unavailable(exc)) from exc
                raise


# chromadb raises plain exceptions whose message is all there is to tell the kinds apart.
def _is_connection_error(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(w in text for w in ("connect", "timeout", "unavailable", "refused", "reset"))


def _is_missing(exc: Exception) -> bool:
    text = str(exc).lower()
    return "does not exist" in text or "not found" in text
