"""The corpus's own query center (centering.py): the mean of a sample of its sentences embedded as
queries, the same number from every language. Taken again after a write once the corpus has
doubled or its languages changed; applied only to queries, so no stored vector goes stale."""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np

from retrieval.index.parts import Index
from retrieval.index.space import CORPUS_QUERY_CENTER

SAMPLE = 320  # sentences in all
STATE = "corpus_query_center_of"  # catalog meta: {"chunks": n, "langs": [...]} it was taken from


def update_query_center(
    index: Index, force: bool = False, written: Iterable[str] | None = None
) -> bool:
    """Under the write lock, before publishing. True if it was taken again. `written`: the
    languages of the articles this write added or changed; when they are all known and the
    corpus has not doubled, nothing of the archive is read (the chunk count is the keyword
    index's own, kept per write)."""
    if not index.centering.active:
        return False
    before = json.loads(index.catalog.get_meta(STATE) or "{}")
    if (
        not force
        and written is not None
        and "chunks" in before
        and index.keyword.count() < 2 * before["chunks"]
        and {lang or "?" for lang in written} <= set(before.get("langs", []))
    ):
        return False
    counts = index.catalog.counts()
    langs = sorted(index.catalog.languages())
    grown = counts["chunks"] >= 2 * before.get("chunks", 0)
    if not force and not grown and langs == before.get("langs"):
        return False
    if not counts["chunks"]:
        index.catalog.set_blob(CORPUS_QUERY_CENTER, None)
        return True
    per_language = index.catalog.sample_sentences(1)
    share = max(8, SAMPLE // max(1, len(per_language)))
    sample = [t for texts in index.catalog.sample_sentences(share).values() for t in texts]
    if not sample:  # nothing to take it from (chunks without sentences): not tried every write
        index.catalog.set_meta(STATE, json.dumps({"chunks": counts["chunks"], "langs": langs}))
        return False
    vectors = np.concatenate(
        [index.embedder.embed_queries(sample[i : i + 32]) for i in range(0, len(sample), 32)]
    )
    index.catalog.set_blob(CORPUS_QUERY_CENTER, np.asarray(vectors.mean(0), np.float32).tobytes())
    index.catalog.set_meta(STATE, json.dumps({"chunks": counts["chunks"], "langs": langs}))
    return True
