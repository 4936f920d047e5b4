"""The not-covered gate: does retrieval hold anything that answers the question at all?"""

from __future__ import annotations

from dataclasses import dataclass

from .search import SearchResult


@dataclass(frozen=True)
class Gate:
    """Scores are in the language-centred space (retrieval/centering.py), where a question and a
    passage in different languages compare like two in the same one. There the best sentence's
    and the best chunk's similarity, summed, is the most transferable signal we measured: a score
    relative to the query's background (its mean similarity to random chunks), which this gate
    used before centering, separated XQuAD as well but let half of the off-topic questions
    through on a news corpus, whose background is lower, and refuses everything on a small
    corpus on one topic, whose background is on-topic. Calibrated on a split of XQuAD questions
    that the reported error rates leave out; rates per corpus and language: docs/BENCHMARKS.md.
    """

    min_score: float
    min_similarity: float = 0.5  # a sentence this close is an answer on its own
    # At this score search is sure the passages are on topic (3% off-topic on the calibration
    # split): a model's "not found" then gets the passages quoted rather than "not covered".
    confident_score: float = 0.72

    @staticmethod
    def score(result: SearchResult) -> float:
        ss, cs = result.sentence_sims or result.chunk_sims, result.chunk_sims
        if not ss or not cs:
            return float("-inf")
        return ss[0] + cs[0]

    def covered(self, result: SearchResult) -> bool:
        """Also not covered: the question names a number (a year, a model) that no found
        article mentions; it is about another event than theirs (retrieval/numbers.py)."""
        if not result.hits or result.unmatched_numbers:
            return False
        best = (result.sentence_sims or result.chunk_sims or [0.0])[0]
        return self.score(result) >= self.min_score or best >= self.min_similarity

    def confident(self, result: SearchResult) -> bool:
        return bool(result.hits) and self.score(result) >= self.confident_score
