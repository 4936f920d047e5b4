"""Followed stories: how close a newly written article is to a story a chat follows ("the Xiaomi 17
launch"). The score is the best similarity of the story's words, embedded as a query, with the
article's stored chunk vectors (the centred space search compares in), taken relative to the
story's baseline (its mean similarity to a sample of the archive: "Polizeieinsatz" is close to
much of any news archive, "Graz" to little of it, and one threshold must fit both), plus a share
of the words that the article's headline and text hold. Whether it is news of the story is that
score against FOOTNOTE_FOLLOW_THRESHOLD, chosen on a calibration half of news-de stories and
measured on the other half (bench/follow.py), never on the stories it is reported for.

A new article costs one read of its vectors and text, then a dot product per followed story."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.ids import chunk_id
from retrieval.index.parts import Index
from retrieval.text.analysis import analyse, anchors, tokenize

KEYWORD_SHARE = 0.1  # added for a story whose every word the article holds


@dataclass(frozen=True)
class Story:
    """A followed story, ready to compare: its query vector and its words."""

    words: str
    lang: str
    vector: np.ndarray
    terms: frozenset[str]
    background: float = 0.0  # the story's mean similarity to the archive's sampled chunks


@dataclass(frozen=True)
class Written:
    """A newly written article, read once for every story compared with it."""

    article_id: str
    vectors: np.ndarray  # its chunks' stored vectors, one row each
    terms: frozenset[str]


def story(index: Index, words: str, lang: str = "") -> Story:
    lang = lang or index.detector.detect(words)
    raw = index.embedder.embed_queries([words])[0]
    vector = np.asarray(index.centering.query(raw, lang), dtype=np.float32)
    vector /= max(float(np.linalg.norm(vector)), 1e-12)
    terms = frozenset(analyse(words, lang)) | frozenset(tokenize(" ".join(anchors(words, lang))))
    background = min(max(index.background(vector), 0.0), 0.9)
    return Story(words, lang, vector, terms, background)


def written(index: Index, article_id: str, shelf: str, chunks: int, lang: str) -> Written | None:
    """The article's vectors and words; None when it is gone or has no vectors (yet)."""
    stored = index.store.vectors([chunk_id(article_id, n) for n in range(chunks)], [shelf])
    row = index.catalog.article(article_id)
    if not stored or row is None:
        return None
    matrix = np.vstack(list(stored.values())).astype(np.float32)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    text = f"{row['title']}\n{row['text']}"
    return Written(article_id, matrix, frozenset(tokenize(text)) | frozenset(analyse(text, lang)))


def score(s: Story, w: Written) -> float:
    """How far the article's closest chunk stands above the story's baseline, as a share of the
    way from there to identical, plus the keyword share. (Against the similarity itself: held-out
    F1 0.583 against 0.537 on news-de, bench/follow.py.)"""
    dense = float(np.max(w.vectors @ s.vector)) if len(w.vectors) else 0.0
    held = len(s.terms & w.terms) / len(s.terms) if s.terms else 0.0
    return (dense - s.background) / (1.0 - s.background) + KEYWORD_SHARE * held
