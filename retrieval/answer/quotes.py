"""Answers made of the sources' own sentences (no model, or a model reply that cannot be tied to
the sources), and the quote shown with every citation: the cited passage's sentence closest to
the question."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from retrieval.search.hybrid import Sentence
from retrieval.strings import text
from retrieval.types import ANSWERED, Answer, Citation, Hit


def extractive_answer(
    question: str, lang: str, hits: Sequence[Hit], sentences: Sequence[Sentence], header: str,
    note: str, in_hit_order: bool = False, coverage: str = ANSWERED,
) -> Answer:  # fmt: skip
    """The three best sentences (quote_rank), whichever passages they come from, quoted with
    citations under a header in the question's language that says what they are. (At most two
    per passage lost the answer: on the tuning sample of XQuAD questions the gold answer was
    quoted for 0.877 of the answered ones against 0.899, bench/NOTES.md.) `in_hit_order` is for
    a question asking for the latest: quoted in the order of the hits, newest first, at most two
    per story so that more than one story is told. `coverage` UNCERTAIN: the header says they
    may not answer."""
    chosen: list[Sentence] = []
    per_hit: dict[int, int] = {}
    rank = (lambda s: s.similarity) if in_hit_order else quote_rank(hits)
    for s in sorted(sentences, key=lambda s: -rank(s)):
        if len(s.text) < 15 or (in_hit_order and per_hit.get(s.hit, 0) >= 2):
            continue
        chosen.append(s)
        per_hit[s.hit] = per_hit.get(s.hit, 0) + 1
        if len(chosen) == 3:
            break
    if in_hit_order:
        chosen.sort(key=lambda s: (s.hit, -s.similarity))
    order: list[int] = []
    lines = []
    citations = []
    for s in chosen:
        if s.hit not in order:
            order.append(s.hit)
            c = hits[s.hit].chunk
            citations.append(
                Citation(
                    len(order),
                    c.article_id,
                    c.chunk_id,
                    c.title,
                    c.url,
                    c.date,
                    s.text,
                    shelf=c.shelf,
                )
            )
        lines.append(f"“{s.text}” [{order.index(s.hit) + 1}]")
    body = "\n".join(lines)
    return Answer(
        question, f"{text(header, lang)}\n\n{body}", lang, True, citations, "extractive",
        note=note, coverage=coverage,
    )  # fmt: skip


# How much a sentence's passage counts beside the sentence itself when quotes are chosen:
# its hybrid score relative to the best passage's, and its rank among the passages. Search
# ranks a passage by more than the dense similarity of one sentence (its keywords, the names
# it shares with the question), so "which phone" quotes the article about the phone rather
# than another's sentence about the same man. Chosen on the calibration fifth of XQuAD
# questions (the most with the gold answer quoted; bench/NOTES.md).
HIT_SCORE_WEIGHT = 0.35
HIT_RANK_WEIGHT = 0.15


def quote_rank(hits: Sequence[Hit]) -> Callable[[Sentence], float]:
    """A sentence's claim to be quoted first: its similarity to the question, raised by how
    well search ranked its passage."""
    top = max((h.score for h in hits), default=0.0)
    n = max(1, len(hits))

    def rank(s: Sentence) -> float:
        passage = hits[s.hit].score / top if top > 0 else 0.0
        return s.similarity + HIT_SCORE_WEIGHT * passage - HIT_RANK_WEIGHT * s.hit / n

    return rank


def cited(hits: Sequence[Hit], used: list[int], sentences: Sequence[Sentence]) -> list[Citation]:
    """Citations for the sources a model used (original numbers, in order of first use), each
    with its sentence closest to the question."""
    best: dict[int, tuple[float, str]] = {}
    for s in sentences:
        if s.hit not in best or s.similarity > best[s.hit][0]:
            best[s.hit] = (s.similarity, s.text)
    out = []
    for number, original in enumerate(used, 1):
        c = hits[original - 1].chunk
        quote = best.get(original - 1, (0.0, c.text[:300]))[1]
        out.append(
            Citation(number, c.article_id, c.chunk_id, c.title, c.url, c.date, quote, shelf=c.shelf)
        )
    return out
