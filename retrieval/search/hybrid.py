"""The one read: a question's passages, from dense candidates (Chroma: chunk vectors and sentence
vectors, in the language-neutral space of centering.py) and keyword candidates (the catalog's full-text search, keyword.py),
scored together, with what the answerer needs to judge them (similarities, the query's baseline)
and, on request, each passage's sentences scored against the question.

Scores are fused by value, not by rank: a chunk's score is the mean of its vector's and its best
sentence's similarity to the question, plus a small share of how much of the question its
keywords match. (Rank fusion gave a weak keyword match, the best of a few one-word matches, as
much say as the best dense match: on a mixed-language corpus it cost 9 points of recall@5.)
With translations of the question (translate.py), every version is searched in its own language
and a chunk keeps its best score.

Shelves are where the vectors are: each shelf has its own collections (vectors.py), and a search
within some shelves queries theirs only. Other filters are applied to dense candidates after the
fact (one keyed query to the catalog): a Chroma `where` filter scans every stored chunk (about
1 ms per 1,000), so a narrow filter's chunks are found by the catalog instead (`_dense_in_scope`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import ceil
from typing import Any

import numpy as np

from retrieval.ids import chunk_of_sentence, sentence_id
from retrieval.index.keyword import Scope
from retrieval.index.parts import Index
from retrieval.text.sentences import sentence_units
from retrieval.types import Hit

# hybrid = chunk vectors + sentence vectors + keywords; dense = both vector rankings;
# dense_chunks = chunk vectors alone (the plain baseline); keyword = keyword search alone.
MODES = ("hybrid", "dense", "keyword", "dense_chunks")
SENTENCE_SHARE = 0.5  # of a chunk's dense score that comes from its best sentence
KEYWORD_SHARE = 0.03  # added per unit of keyword match in the question's language (0..1)
ANCHOR_SHARE = 0.08  # added per unit of match of names and numbers, in any language
# A search within a period (or another scope): up to EXACT of its chunks are compared with the
# question one by one (their vectors read by id: about 10 ms per 300); a larger scope is looked
# for among the WIDE nearest chunks of the whole archive (about 12 ms at 100,000 chunks).
EXACT = 300
WIDE = 1000


@dataclass(frozen=True)
class Filters(Scope):
    """The chunks a search may return: the catalog's keyword search reads them as a `Scope`, and
    finds the chunks within them for the dense side (`_dense_in_scope`). `shelves` (empty: all)
    choose the collections searched."""

    def __bool__(self) -> bool:
        return bool(self.narrow or self.shelves)

    @property
    def narrow(self) -> bool:
        """Narrower than the shelves' collections: the dense candidates are checked."""
        return bool(self.lang or self.date_from or self.date_to or self.article_id)

    @property
    def stores(self) -> tuple[str, ...] | None:
        """The shelves whose collections are searched (None: every shelf's)."""
        return self.shelves or None


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
    query_lang: str = ""  # the question's language, as keyword search took it
    background: float = 0.0  # the query's mean similarity to random chunks
    query_vector: np.ndarray | None = None  # centered: the space the scores are in
    sentences: list[Sentence] = field(default_factory=list)  # with `sentences=True`
    sentence_vectors: np.ndarray | None = None  # their centred vectors, one row per sentence
    window: Any = None  # the TimeWindow the hits were searched in (time_search), if any
    period_only: bool = False  # no hit is close to the question: they are the period's stories
    latest: bool = False  # the question asks for the newest stories: hits newest first
    copies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # also published by
    unmatched_numbers: list[str] = field(default_factory=list)  # named, in no hit's article


@dataclass
class _Version:
    """One wording of the question (as asked, or translated) and what it found."""

    text: str
    lang: str
    vector: np.ndarray | None  # centered
    scores: dict[str, float] = field(default_factory=dict)
    dense: dict[str, float] = field(default_factory=dict)  # chunk id -> best dense similarity
    dense_rank: dict[str, int] = field(default_factory=dict)
    keyword_rank: dict[str, int] = field(default_factory=dict)
    chunk_sims: list[float] = field(default_factory=list)
    sentence_sims: list[float] = field(default_factory=list)
    background: float = 0.0


def search(
    index: Index,
    query: str,
    k: int | None = None,
    filters: Filters | None = None,
    mode: str = "hybrid",
    max_per_article: int | None = None,
    candidates: int | None = None,
    query_vector: Any = None,
    sentences: bool = False,
    query_lang: str = "",
    translations: dict[str, str] | None = None,
    raw_vectors: Sequence[np.ndarray] | None = None,
) -> SearchResult:
    """The passages for `query`, best first. `query_vector` saves embedding the query again,
    `raw_vectors` the query and its translations (in order), `query_lang` detecting its
    language; `translations` ({lang: text}) are searched too; `sentences` also scores every
    sentence of the hits (for quotes and citations)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    query = query.strip()
    if not query:
        return SearchResult([])
    k = k or index.settings.top_k
    dense = mode != "keyword"
    texts = [query, *(translations or {}).values()]
    raw = list(raw_vectors) if raw_vectors is not None else None
    if raw is None and (dense or sentences):
        fresh = texts if query_vector is None else texts[1:]
        vecs = list(index.embedder.embed_queries(fresh)) if fresh else []
        raw = vecs if query_vector is None else [np.asarray(query_vector), *vecs]
    with index.reading():
        if not query_lang:
            query_lang = index.detector.detect(query)
        versions = [
            _Version(t, lang, index.centering.query(raw[i], lang) if raw is not None else None)
            for i, (t, lang) in enumerate(
                [(query, query_lang), *((t, lang) for lang, t in (translations or {}).items())]
            )
        ]
        within = filters or Filters()
        for v in versions:
            _score(index, v, k, within, mode, candidates)
        result = _select(index, versions, k, max_per_article, within.shelves)
        if sentences and versions[0].vector is not None:
            result.sentences, result.sentence_vectors = _score_sentences(
                index, result.hits, versions[0].vector
            )
    return result


def _score(
    index: Index, v: _Version, k: int, filters: Filters, mode: str, candidates: int | None
) -> None:
    """Candidates of one version of the question and their fused scores."""
    n = candidates or max(50, 10 * k)
    scope = filters
    chunk_sim: dict[str, float] = {}
    sent_sim: dict[str, float] = {}
    if mode != "keyword":
        assert v.vector is not None
        dense = index.store.query(v.vector, n, shelves=filters.stores)
        v.background = index.background(v.vector)
        raw_sentences: list[tuple[str, float]] = []
        if mode != "dense_chunks" and index.settings.sentence_vectors:
            raw_sentences = index.store.query_sentences(v.vector, 3 * n, filters.stores)
        v.chunk_sims = [s for _, s in dense]
        v.sentence_sims = [s for _, s in raw_sentences]
        if filters.narrow:
            found = [*(c for c, _ in dense), *(chunk_of_sentence(s) for s, _ in raw_sentences)]
            allowed = index.keyword.allowed(list(dict.fromkeys(found)), scope)
            dense = [d for d in dense if d[0] in allowed]
            raw_sentences = [d for d in raw_sentences if chunk_of_sentence(d[0]) in allowed]
            if len(dense) < k:
                dense = _dense_in_scope(index, v.vector, n, filters)
        chunk_sim = dict(dense)
        for sid, sim in raw_sentences:  # best first: a chunk's first sentence is its best
            sent_sim.setdefault(chunk_of_sentence(sid), sim)
    keyword: dict[str, float] = {}
    anchored: dict[str, float] = {}
    if mode in ("hybrid", "keyword"):
        ranked = index.keyword.search(v.text, n, scope, lang=v.lang)
        keyword = dict(ranked)
        anchored = dict(index.keyword.search_anchors(v.text, n, scope))
        v.keyword_rank = {cid: r for r, (cid, _) in enumerate(ranked)}
    # A chunk found one way only gets the weakest similarity found the other way: a bound, not
    # a guess (had it been closer, the store would have returned it).
    floor_c = min(chunk_sim.values(), default=0.0)
    floor_s = min(sent_sim.values(), default=floor_c)

    for cid in set(chunk_sim) | set(sent_sim) | set(keyword) | set(anchored):
        if mode == "keyword":
            d = 0.0
        elif sent_sim:
            c, s = chunk_sim.get(cid, floor_c), sent_sim.get(cid, floor_s)
            d = (1 - SENTENCE_SHARE) * c + SENTENCE_SHARE * s
            v.dense[cid] = max(c, s)

        else:
            d = v.dense[cid] = chunk_sim.get(cid, floor_c)
        v.scores[cid] = (
            d + KEYWORD_SHARE * keyword.get(cid, 0.0) + ANCHOR_SHARE * anchored.get(cid, 0.0)
        )
    v.dense_rank = {cid: r for r, cid in enumerate(sorted(v.dense, key=lambda c: -v.dense[c]))}


def _dense_in_scope(
    index: Index, vector: np.ndarray, n: int, filters: Filters
) -> list[tuple[str, float]]:
    """The nearest chunks within `filters` when the nearest of all held too few. Chroma's own
    filter reads every chunk's metadata: 177-472 ms per search at 100,000 chunks, and its graph
    search restricted to a few ids is slower still (bench/NOTES.md). The catalog finds the
    scope's chunks by index: up to EXACT of them are compared with the question here, from
    their stored vectors; a larger scope is looked for among the WIDE nearest chunks of all."""
    inside = index.catalog.chunks_in(filters, EXACT + 1)
    if len(inside) <= EXACT:
        stored = index.store.vectors(inside, filters.stores)
        if not stored:
            return []
        ids = list(stored)
        matrix = np.vstack([stored[i] for i in ids])
        norms = np.linalg.norm(matrix, axis=1) * max(float(np.linalg.norm(vector)), 1e-12)
        sims = matrix @ np.asarray(vector, dtype=np.float32) / np.maximum(norms, 1e-12)
        order = np.argsort(-sims)[:n]
        return [(ids[i], float(sims[i])) for i in order]
    wide = index.store.query(vector, max(WIDE, n), shelves=filters.stores)
    allowed = index.keyword.allowed([c for c, _ in wide], filters)
    return [d for d in wide if d[0] in allowed][:n]


def _select(
    index: Index,
    versions: list[_Version],
    k: int,
    max_per_article: int | None,
    shelves: tuple[str, ...] = (),
) -> SearchResult:
    """The k best chunks over all versions, at most `max_per_article` of one article while
    there are enough articles to choose from; of `shelves` only, by the catalog's word (an
    article moved to another shelf by a write still in progress is not shown)."""
    best: dict[str, tuple[float, _Version]] = {}
    for v in versions:
        for cid, score in v.scores.items():
            if cid not in best or score > best[cid][0]:
                best[cid] = (score, v)
    ordered = sorted(best, key=lambda c: best[c][0], reverse=True)
    chunks = index.catalog.chunks_by_id(ordered[: max(k * 8, 80)])
    ordered = [  # not yet in this view: an ingest in progress
        c for c in ordered if c in chunks and (not shelves or chunks[c].shelf in shelves)
    ]
    cap = index.settings.max_per_article if max_per_article is None else max_per_article
    if cap:
        # Diversity needs articles to diversify across: a corpus of two articles keeps the
        # chunk that answers even if it is the fourth of its article.
        articles = {chunks[c].article_id for c in ordered[: 2 * k]}
        if len(articles) <= ceil(k / cap):
            cap = 0
    hits: list[Hit] = []
    skipped: list[str] = []
    per_article: dict[str, int] = {}
    for cid in ordered:
        chunk = chunks[cid]
        if cap and per_article.get(chunk.article_id, 0) >= cap:
            skipped.append(cid)
            continue
        per_article[chunk.article_id] = per_article.get(chunk.article_id, 0) + 1
        hits.append(_hit(chunk, cid, best[cid]))
        if len(hits) >= k:
            break
    for cid in skipped[: k - len(hits)]:  # too few other articles: fill up in order
        hits.append(_hit(chunks[cid], cid, best[cid]))
    hits.sort(key=lambda h: -h.score)
    lead = max(versions, key=lambda v: max(v.scores.values(), default=float("-inf")))
    return SearchResult(
        hits, lead.chunk_sims, lead.sentence_sims, versions[0].lang, lead.background,
        versions[0].vector,
    )  # fmt: skip


def _hit(chunk: Any, cid: str, scored: tuple[float, _Version]) -> Hit:
    score, v = scored
    return Hit(chunk, score, v.dense_rank.get(cid), v.keyword_rank.get(cid), v.dense.get(cid))


def _score_sentences(
    index: Index, hits: list[Hit], qv: np.ndarray
) -> tuple[list[Sentence], np.ndarray]:
    """Every sentence of the hits with its similarity to the question, and their vectors (the
    citation check compares the answer's sentences with them)."""
    items, vectors = hit_sentence_vectors(index, hits)
    sims = vectors @ qv if len(items) else np.zeros(0)
    sentences = [Sentence(float(sim), i, text) for (i, text), sim in zip(items, sims, strict=True)]
    return sentences, vectors


def hit_sentence_vectors(index: Index, hits: list[Hit]) -> tuple[list[tuple[int, str]], np.ndarray]:
    """The hits' sentences as (hit index, text) and their centred vectors, one row each: the
    stored sentence vectors, or (without them) embedded now."""
    spans = index.catalog.sentence_spans([h.chunk.chunk_id for h in hits])
    items: list[tuple[int, str, str]] = []  # (hit index, sentence id, text)
    for i, h in enumerate(hits):
        chunk_spans = spans.get(h.chunk.chunk_id) or sentence_units(h.chunk.text)
        for n, (a, b) in enumerate(chunk_spans):
            items.append((i, sentence_id(h.chunk.chunk_id, n), h.chunk.text[a:b].strip()))
    stored: dict[str, np.ndarray] = {}
    if index.settings.sentence_vectors:
        for shelf in {h.chunk.shelf for h in hits}:
            mine = [sid for i, sid, _ in items if hits[i].chunk.shelf == shelf]
            stored.update(index.store.sentence_vectors(mine, [shelf]))
    missing = [(t, hits[i].chunk.lang) for i, sid, t in items if sid not in stored]
    fresh = iter(())
    if missing:
        raw = index.embedder.embed_passages([t for t, _ in missing])
        fresh = iter(index.centering.apply(raw, [lang for _, lang in missing])[0])
    rows = [stored[sid] if sid in stored else next(fresh) for _, sid, _ in items]
    matrix = np.vstack(rows) if rows else np.zeros((0, 0))
    return [(i, text) for i, _, text in items], matrix
