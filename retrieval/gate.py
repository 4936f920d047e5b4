"""The not-covered gate: does retrieval hold anything that answers the question at all?"""

from __future__ import annotations

from dataclasses import dataclass

from .search import SearchResult


@dataclass(frozen=True)
class Gate:
    """This embedder's similarities bunch together (0.75-0.85 for right and wrong passages alike),
    and a question in another language than the articles scores lower against everything. So
    the gate measures how far the best sentence and the best chunk stand out from the query's
    baseline, its mean similarity to a fixed random sample of chunks, relative to the room left
    above that baseline; or a sentence is simply very close to the question. Measured on XQuAD
    this is even across languages and stable as the corpus grows (a background taken from the
    next-best ranks rises with corpus size and turned away a third of covered Arabic and Chinese
    questions). Error rates: docs/BENCHMARKS.md.
    """

    min_score: float
    min_similarity: float = 0.82  # a sentence this close is an answer whatever the background

    @staticmethod
    def score(result: SearchResult) -> float:
        ss, cs = result.sentence_sims or result.chunk_sims, result.chunk_sims
        if not ss or not cs:
            return float("-inf")
        room = max(1e-6, 1.0 - result.background)
        return (ss[0] - result.background) / room + (cs[0] - result.background) / room

    def covered(self, result: SearchResult) -> bool:
        """A small corpus on one topic has an on-topic background, so a passage very close to
        the question also counts (on XQuAD this adds under half a point of false positives)."""
        if not result.hits:
            return False
        best = (result.sentence_sims or result.chunk_sims or [0.0])[0]
        return self.score(result) >= self.min_score or best >= self.min_similarity
