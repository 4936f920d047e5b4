"""The one read: a question's passages, by dense (Chroma) and keyword (BM25) candidates fused by
reciprocal rank fusion, with what the answerer needs to judge them (similarities, the query's
baseline) and, on request, each passage's sentences scored against the question.

Filters are applied to candidates after the fact from in-memory arrays: a Chroma `where`
filter scans every stored chunk (about 1 ms per 1,000), so it is only the fallback when the
filter is so narrow that the unfiltered candidates hold too few matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .chunk import sentence_units
from .dates import date_num
from .ids import chunk_of_sentence, sentence_id
from .index import Index
from .models import Hit

RRF_K = 60
# hybrid = chunk vectors + sentence vectors + BM25; dense = both vector rankings;
# dense_chunks = chunk vectors alone (the plain baseline); keyword = BM25 alone.
MODES = ("hybrid", "dense", "keyword", "dense_chunks")


@dataclass(frozen=True)
class Filters:
    lang: str = ""
    date_from: str = ""
    date_to: str = ""
    article_id: str = ""

    def __bool__(self) -> bool:
        return bool(self.lang or self.date_from or self.date_to or self.article_id)

    def where(self) -> dict[str, Any] | None:
        conds: list[dict[str, Any]] = []
        if self.lang:
            conds.append({"lang": self.lang})
        if self.article_id:
            conds.append({"article_id": self.article_id})
        if self.date_from:
            conds.append({"date_num": {"$gte": date_num(self.date_from)}})
        if self.date_to:
            conds.append({"date_num": {"$lte": date_num(self.date_to)}})
        if not conds:
            return None
        return conds[0] if len(conds) == 1 else {"$and": conds}


@dataclass(frozen=True)
class Sentence:
    """One sentence of a hit, scored against the question."""

    similarity: float
    hit: int  # index into SearchResult.hits
    text: str


@dataclass
class SearchResult:
    hits: list[Hit]
    chunk_sims: list[float] = field(default_factory=list)  # dense chunk candidates, best first
    sentence_sims: list[float] = field(default_factory=list)  # sentence candidates, best first
    keyword_coverage: float = 0.0
    background: float = 0.0  # the query's mean similarity to random chunks
    query_vector: np.ndarray | None = None
    sentences: list[Sentence] = field(default_factory=list)  # with `sentences=True`


def search(
    index: Index,
    query: str,
    k: int | None = None,
    filters: Filters | None = None,
    mode: str = "hybrid",
    max_per_article: int | None = None,
    candidates: int | None = None,
    dense_weight: float = 1.0,
    keyword_weight: float = 1.0,
    query_vector: Any = None,
    sentences: bool = False,
) -> SearchResult:
    """The passages for `query`, best first. `query_vector` saves embedding the query again;
    `sentences` also scores every sentence of the hits (for quotes and citations)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    query = query.strip()
    if not query:
        return SearchResult([])
    k = k or index.settings.top_k
    qv = None
    if mode != "keyword" or sentences:
        qv = query_vector if query_vector is not None else index.embedder.embed_queries([query])[0]
    with index.reading():
        result = _search(
            index, query, k, filters or Filters(), mode, max_per_article, candidates,
            dense_weight, keyword_weight, qv,
        )  # fmt: skip
        if sentences and qv is not None:
            result.sentences = _score_sentences(index, result.hits, qv)
    return result


def _search(
    index: Index,
    query: str,
    k: int,
    filters: Filters,
    mode: str,
    max_per_article: int | None,
    candidates: int | None,
    dense_weight: float,
    keyword_weight: float,
    qv: np.ndarray | None,
) -> SearchResult:
    n = candidates or max(50, 10 * k)
    mask = index.keyword.mask(filters.lang, filters.date_from, filters.date_to, filters.article_id)

    dense: list[tuple[str, float]] = []
    sentences: list[tuple[str, float]] = []
    raw_sentences: list[tuple[str, float]] = []
    coverage = 0.0
    background = 0.0
    if mode != "keyword":
        assert qv is not None
        dense = index.store.query(qv, n)
        background = index.background(qv)
        if mode != "dense_chunks" and index.settings.sentence_vectors:
            raw_sentences = index.store.query_sentences(qv, 3 * n)
            sentences = _best_sentence_per_chunk(raw_sentences)
        if filters:
            allowed = (
                {index.keyword.ids[i] for i in mask.nonzero()[0]} if mask is not None else set()
            )
            dense = [d for d in dense if d[0] in allowed]
            sentences = [d for d in sentences if d[0] in allowed]
            if len(dense) < k:
                dense = index.store.query(qv, n, where=filters.where())
    keyword: list[tuple[str, float]] = []
    if mode in ("hybrid", "keyword"):
        keyword = index.keyword.search(query, n, mask)
        # BM25 only knows the words it has seen: a question in another language than the
        # articles shares a name or two with them, and those should not outvote the dense
        # ranking. Its vote counts in proportion to the share of the query it recognises.
        coverage = index.keyword.coverage(query)
        keyword_weight *= coverage

    fused: dict[str, float] = {}
    d_rank: dict[str, int] = {}
    k_rank: dict[str, int] = {}
    d_score: dict[str, float] = {}
    for rank, (cid, sim) in enumerate(dense):
        fused[cid] = fused.get(cid, 0.0) + dense_weight / (RRF_K + rank + 1)
        d_rank[cid], d_score[cid] = rank, sim
    # A factoid question matches one sentence better than a whole chunk's averaged meaning.
    for rank, (cid, sim) in enumerate(sentences):
        fused[cid] = fused.get(cid, 0.0) + dense_weight / (RRF_K + rank + 1)
        d_score[cid] = max(sim, d_score.get(cid, -1.0))
    for rank, (cid, _) in enumerate(keyword):
        fused[cid] = fused.get(cid, 0.0) + keyword_weight / (RRF_K + rank + 1)
        k_rank[cid] = rank
    ordered = sorted(fused, key=lambda c: fused[c], reverse=True)

    cap = index.settings.max_per_article if max_per_article is None else max_per_article
    chunks = index.catalog.chunks_by_id(ordered[: max(k * 8, 80)])
    hits: list[Hit] = []
    per_article: dict[str, int] = {}
    for cid in ordered:
        chunk = chunks.get(cid)
        if chunk is None:  # written by an ingest still in progress, or not yet in this view
            continue
        if cap and per_article.get(chunk.article_id, 0) >= cap:
            continue
        per_article[chunk.article_id] = per_article.get(chunk.article_id, 0) + 1
        hits.append(Hit(chunk, fused[cid], d_rank.get(cid), k_rank.get(cid), d_score.get(cid)))
        if len(hits) >= k:
            break
    return SearchResult(
        hits, [d[1] for d in dense], [d[1] for d in raw_sentences], coverage, background, qv
    )


def _best_sentence_per_chunk(hits: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Sentence hits (best first) -> chunks ranked by their best sentence."""
    seen: dict[str, float] = {}
    for sid, sim in hits:
        cid = chunk_of_sentence(sid)
        if cid not in seen:
            seen[cid] = sim
    return list(seen.items())


def _score_sentences(index: Index, hits: list[Hit], qv: np.ndarray) -> list[Sentence]:
    """Every sentence of the hits with its similarity to the question: the stored sentence
    vectors, or (without them) embedded now."""
    spans = index.catalog.sentence_spans([h.chunk.chunk_id for h in hits])
    items: list[tuple[int, str, str]] = []  # (hit index, sentence id, text)
    for i, h in enumerate(hits):
        chunk_spans = spans.get(h.chunk.chunk_id) or sentence_units(h.chunk.text)
        for n, (a, b) in enumerate(chunk_spans):
            items.append((i, sentence_id(h.chunk.chunk_id, n), h.chunk.text[a:b].strip()))
    stored = (
        index.store.sentence_vectors([sid for _, sid, _ in items])
        if index.settings.sentence_vectors
        else {}
    )
    missing = [t for _, sid, t in items if sid not in stored]
    fresh = iter(index.embedder.embed_passages(missing)) if missing else iter(())
    out = []
    for i, sid, text in items:
        vec = stored[sid] if sid in stored else next(fresh)
        out.append(Sentence(float(vec @ qv), i, text))
    return out
