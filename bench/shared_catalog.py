"""Hosts that share only PostgreSQL and a Chroma server (issue 12): what the catalog in
PostgreSQL costs a reader.

- Keyword-index refresh: after another host's ingest, a reader whose data directory is empty
  rebuilds BM25 from the shared catalog at its next search. Timed at 2,600 chunks (news-de's
  size) and 100,000, against the same from a local SQLite catalog.
- Search latency (hybrid, query vector given) on a process with an empty data directory and the
  catalog in PostgreSQL, against today's local catalog: the same Chroma server collection.

The chunks are synthetic (word salad, random unit vectors, as in bench/scale.py): embedding
100,000 chunks would take hours here, and neither figure depends on what the words mean.

    python -m bench.run --only shared_catalog
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import pct, save, settings
from bench.scale import DIM, WORDS, write_synthetic


def bench_shared_catalog(sizes: tuple[int, ...] = (2_600, 100_000)) -> dict[str, Any]:
    from testing.services import ChromaServer, Postgres

    root = Path(tempfile.mkdtemp(prefix="footnote-shared-"))
    root.chmod(0o755)
    pg = Postgres(root / "pg").start()
    out: dict[str, Any] = {"sizes": list(sizes)}
    try:
        with ChromaServer() as chroma_port:
            for n in sizes:
                out[str(n)] = _one_size(root, pg, chroma_port, n, with_vectors=n <= 10_000)
                print(n, out[str(n)], flush=True)
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
    out["note"] = ("synthetic chunks; query embedding excluded (vectors given); PostgreSQL and "
                   "the Chroma server on this machine")  # fmt: skip
    save("shared_catalog", out)
    return out


def _one_size(root: Path, pg: Any, chroma_port: int, n: int, with_vectors: bool) -> dict[str, Any]:
    from retrieval.index.parts import Index
    from testing.embedder import HashEmbedder

    emb = HashEmbedder(dim=DIM, name="synthetic/384")
    collection = f"sc{uuid.uuid4().hex[:8]}"
    base = replace(settings(root / f"writer-{n}"), sentence_vectors=False, chroma_host="127.0.0.1",
                   chroma_port=chroma_port, collection=collection)  # fmt: skip
    shared = replace(base, database_url=pg.create_database(f"sc{uuid.uuid4().hex[:8]}"))
    result: dict[str, Any] = {}
    readers: dict[str, Any] = {}
    for name, s in (("postgres", shared), ("sqlite", base)):
        writer = Index(s, embedder=emb)
        t0 = time.perf_counter()
        # The same words for both catalogs; one vector set, written with the first.
        write_synthetic(writer, n, np.random.default_rng(1), with_vectors and name == "postgres",
                        batch=2000)  # fmt: skip
        result[f"{name}_write_seconds"] = round(time.perf_counter() - t0, 1)
        writer.publish()
        writer.close()
        # The reader: another host's process (an empty data directory) for PostgreSQL; for the
        # local catalog the same directory, with its saved BM25 removed so it must rebuild too.
        reader_s = replace(s, data_dir=root / f"reader-{n}") if name == "postgres" else s
        if name == "sqlite":
            shutil.rmtree(s.data_dir / "bm25", ignore_errors=True)
        reader = Index(reader_s, embedder=emb)
        t0 = time.perf_counter()
        reader.refresh()
        result[f"{name}_refresh_seconds"] = round(time.perf_counter() - t0, 2)
        readers[name] = reader
    if with_vectors:
        result.update(_latency(readers))
    for reader in readers.values():
        reader.close()
    result["chunks"] = n
    return result


def _latency(readers: dict[str, Any], queries: int = 300) -> dict[str, float]:
    """The same queries on each reader, interleaved (alternating which goes first), so that
    background work of the servers falls on both alike."""
    from retrieval.search.hybrid import search

    rng = np.random.default_rng(7)
    times: dict[str, list[float]] = {name: [] for name in readers}
    names = list(readers)
    for i in range(queries):
        q = " ".join(rng.choice(WORDS, 8))
        qv = rng.standard_normal(DIM).astype(np.float32)
        qv /= np.linalg.norm(qv)
        for name in names if i % 2 else names[::-1]:
            t0 = time.perf_counter()
            search(readers[name], q, 5, query_vector=qv)
            if i >= 20:  # warm-up excluded
                times[name].append((time.perf_counter() - t0) * 1000)
    out = {}
    for name, ts in times.items():
        out[f"{name}_search_ms_p50"] = pct(ts, 50)
        out[f"{name}_search_ms_p95"] = pct(ts, 95)
    return out


def render_shared_catalog(sc: dict[str, Any]) -> list[str]:
    rows = [sc[str(n)] for n in sc["sizes"] if str(n) in sc]
    out = [
        "## Hosts sharing only PostgreSQL and Chroma",
        "",
        f"Measured {sc.get('measured_at')} on {sc.get('machine')}: `python -m bench.run --only "
        f"shared_catalog` ({sc['note']}). The refresh is what a reader on another host does at "
        "its next search after an ingest: read the chunks from the catalog and rebuild BM25. "
        "With SQLite it is the same directory, its saved BM25 removed. At 100,000 chunks only "
        "the catalog is written (the refresh reads nothing else); search latency at that size "
        "is in the scale sections above.",
        "",
        "| chunks | refresh, catalog in PostgreSQL | refresh, local SQLite | "
        "search p50 / p95, PostgreSQL, empty data dir | search p50 / p95, local SQLite |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        pg = (f"{r['postgres_search_ms_p50']} / {r['postgres_search_ms_p95']} ms"
              if "postgres_search_ms_p50" in r else "no vectors written")  # fmt: skip
        lite = (f"{r['sqlite_search_ms_p50']} / {r['sqlite_search_ms_p95']} ms"
                if "sqlite_search_ms_p50" in r else "no vectors written")  # fmt: skip
        out.append(f"| {r['chunks']:,} | {r['postgres_refresh_seconds']} s | "
                   f"{r['sqlite_refresh_seconds']} s | {pg} | {lite} |")  # fmt: skip
    return [*out, ""]
