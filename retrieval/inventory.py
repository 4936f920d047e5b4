"""What the index holds: the article list, its size and configuration, and a consistency check
of catalog against vectors. Reads only."""

from __future__ import annotations

import time
from typing import Any

from .index import Index
from .sql import schema_name


def sources(index: Index) -> list[dict[str, Any]]:
    """The ready articles (`footnote sources --json`)."""
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
        for r in index.catalog.articles()
        if r["state"] == "ready"
    ]


def stats(index: Index) -> dict[str, Any]:
    """`footnote stats --json`."""
    s = index.settings
    counts = index.catalog.counts()
    started = time.perf_counter()
    vectors = index.store.count()
    return {
        **counts,
        "vectors": vectors,
        "languages": index.catalog.languages(),
        "embedder": index.embedder.name,
        "store": f"chroma server {s.chroma_host}:{s.chroma_port}"
        if s.chroma_server
        else f"chroma on disk at {s.data_dir / 'chroma'}",
        "catalog": f"postgresql schema {schema_name(s.collection)}"
        if index.catalog.shared
        else f"sqlite at {s.data_dir / 'catalog.sqlite3'}",
        "data_dir": str(s.data_dir),
        "generation": index.catalog.generation(),
        "reindex_unfinished": index.catalog.get_meta("reindex") == "running",
        "store_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def verify(index: Index) -> dict[str, Any]:
    """Every chunk has exactly one vector and vice versa, and nothing is left half-written."""
    index.refresh()
    catalog_ids = {r["chunk_id"] for r in index.catalog.iter_chunk_rows()}
    vector_ids = index.store.all_ids()
    return {
        "ok": catalog_ids == vector_ids and not index.catalog.pending(),
        "chunks": len(catalog_ids),
        "vectors": len(vector_ids),
        "vectors_without_chunk": sorted(vector_ids - catalog_ids)[:20],
        "chunks_without_vector": sorted(catalog_ids - vector_ids)[:20],
        "pending_articles": [r["article_id"] for r in index.catalog.pending()],
    }
