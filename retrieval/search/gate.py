"""The not-covered gate: does retrieval hold anything that answers the question at all?

Similarity cannot tell "on topic" from "answers it" (bench/NOTES.md: no threshold or feature of
the embedder's scores refuses fewer than about 18% of answerable questions at 10% false
positives). So the gate gives three verdicts, not two:
- *off topic*: nothing close at all, at a threshold that stops at most 2% of answerable questions
  on calibration data. Only this is "not covered" before a model has read the passages.
  Offline, a number the question names that no found article mentions counts as off topic too;
  with a model it does not: the model judges.
- *covered*: close enough to quote offline as an answer.
- in between, *uncertain*: with a model configured the model reads the passages and decides;
  offline the closest passages are quoted under a header that says they may not answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.search.hybrid import SearchResult
from retrieval.types import ANSWERED, NOT_COVERED, UNCERTAIN


@dataclass(frozen=True)
class Gate:
    """Scores are in the language-centred space (retrieval/embedding/centering.py), where a question and a
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
    # split): a model's "not found" then gets the passages quoted, as uncertain, rather than
    # "not covered".
    confident_score: float = 0.72
    # Under this score (and no sentence at min_similarity) a question is clearly off topic:
    # chosen on the calibration split so that at most 2% of answerable questions fall under it.
    off_topic_score: float = 0.47

    @staticmethod
    def score(result: SearchResult) -> float:
        ss, cs = result.sentence_sims or result.chunk_sims, result.chunk_sims
        if not ss or not cs:
            return float("-inf")
        return ss[0] + cs[0]

    @staticmethod
    def best_similarity(result: SearchResult) -> float:
        return (result.sentence_sims or result.chunk_sims or [0.0])[0]

    def covered(self, result: SearchResult) -> bool:
        """Close enough to be quoted as the answer. Also not covered: the question names a
        number (a year, a model) that no found article mentions; it is about another event
        than theirs (retrieval/text/numbers.py)."""
        if not result.hits or result.unmatched_numbers:
            return False
        return (
            self.score(result) >= self.min_score
            or self.best_similarity(result) >= self.min_similarity
        )

    def off_topic(self, result: SearchResult, by_numbers: bool = True) -> bool:
        """Clearly not about anything the articles hold: nothing found, a number the question
        names is in none of the found articles (unless `by_numbers` is off), or nothing even
        near."""
        if not result.hits or (by_numbers and result.unmatched_numbers):
            return True
        return (
            self.score(result) < self.off_topic_score
            and self.best_similarity(result) < self.min_similarity
        )

    def verdict(self, result: SearchResult, model: bool = False) -> str:
        """What search alone can say: ANSWERED, UNCERTAIN or NOT_COVERED (models.py). With a
        `model` to read the passages, a number the question names that no found article
        mentions does not stop it (UNCERTAIN): whether the passages are about the asked event
        is the model's to judge. That rule alone had stopped 1.6% of the held-out answerable
        XQuAD questions before the model (docs/BENCHMARKS.md, "Coverage")."""
        if result.period_only and result.hits:
            return ANSWERED  # the stories of the period the question names
        if self.off_topic(result, by_numbers=not model):
            return NOT_COVERED
        return ANSWERED if self.covered(result) else UNCERTAIN

    def confident(self, result: SearchResult) -> bool:
        """Sure the passages are about what was asked: close, and no number the question names
        is missing from them (then they may be about another year's event)."""
        return (
            bool(result.hits)
            and not result.unmatched_numbers
            and self.score(result) >= self.confident_score
        )
