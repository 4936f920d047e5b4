"""The corpus's own query center (centering.py): the mean of a sample of its sentences embedded as
queries, the same number from every language. Taken again after a write once the corpus has
doubled or its languages changed; applied only to queries, so no stored vector goes stale."""

from __future__ import annotations

import json

import numpy as np

from retrieval.index.parts import Index
from retrieval.index.space import CORPUS_QUERY_CENTER

SAMPLE = 320  # sentences in all
STATE = "corpus_query_center_of"  # catalog meta: {"chunks": n, "langs": [...]} it was taken from


def update_query_center(index: Index, force: bool = False) -> bool:
    """Under the write lock, before publishing. True if it was taken again."""
    if not index.centering.active:
        return False
    counts = index.catalog.counts()
    langs = sorted(index.catalog.languages())
    before = json.loads(index.catalog.get_meta(STATE) or "{}")
    grown = counts["chunks"] >= 2 * before.get("chunks", 0)
    if not force and not grown and langs == before.get("langs"):
        return False
    if not counts["chunks"]:
        index.catalog.set_blob(CORPUS_QUERY_CENTER, None)
        return True
    per_language = index.catalog.sample_sentences(1)
    share = max(8, SAMPLE // max(1, len(per_language)))
    sample = [t for texts in index.catalog.sample_sentences(share).values() for t in texts]
    if not sample:
        return False
    vectors = np.concatenate(
        [index.embedder.embed_queries(sample[i : i + 32]) for i in range(0, len(sample), 32)]
    )
    index.catalog.set_blob(CORPUS_QUERY_CENTER, np.asarray(vectors.mean(0), np.float32).tobytes())
    index.catalog.set_meta(STATE, json.dumps({"chunks": counts["chunks"], "langs": langs}))
    return True
