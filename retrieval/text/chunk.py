"""Split an article into chunks that follow paragraphs and sentences and fit the embedder.

Chunks are character spans of the cleaned text, so a citation can point at the exact passage.
A paragraph is never split if it fits; a chunk ends at a paragraph boundary once it is well
filled; a break inside a paragraph carries the last sentence(s) over as overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from retrieval.text.sentences import paragraph_spans, sentence_spans


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    tokens: int
    paragraph: int


def _split_long(
    text: str, s: int, e: int, count: Callable[[str], int], limit: int
) -> list[tuple[int, int]]:
    """A sentence longer than the budget is cut at spaces (or characters, for unspaced scripts)."""
    pieces: list[tuple[int, int]] = []
    pos = s
    while pos < e:
        lo, hi = pos + 1, e
        # Binary search for the longest prefix within the budget.
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count(text[pos:mid]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        cut = lo
        if cut < e:
            space = text.rfind(" ", pos, cut)
            if space > pos + (cut - pos) // 2:
                cut = space
        pieces.append((pos, cut))
        pos = cut
        while pos < e and text[pos].isspace():
            pos += 1
    return pieces


def chunk_spans(
    text: str,
    count_tokens: Callable[[str], int],
    max_tokens: int = 320,
    overlap_tokens: int = 48,
    min_tokens: int | None = None,
) -> list[tuple[int, int]]:
    """Character spans of the chunks of `text`."""
    min_tokens = max_tokens // 3 if min_tokens is None else min_tokens
    units: list[Span] = []
    for p_idx, (ps, pe) in enumerate(paragraph_spans(text)):
        for ss, se in sentence_spans(text, ps, pe):
            n = count_tokens(text[ss:se])
            if n > max_tokens:
                for a, b in _split_long(text, ss, se, count_tokens, max_tokens):
                    units.append(Span(a, b, count_tokens(text[a:b]), p_idx))
            else:
                units.append(Span(ss, se, n, p_idx))
    if not units:
        return []

    para_tokens: dict[int, int] = {}
    for u in units:
        para_tokens[u.paragraph] = para_tokens.get(u.paragraph, 0) + u.tokens

    chunks: list[tuple[int, int]] = []
    current: list[Span] = []
    total = 0
    for u in units:
        new_paragraph = bool(current) and u.paragraph != current[-1].paragraph
        fits = total + u.tokens <= max_tokens
        # A paragraph is a unit of meaning: close the chunk at a paragraph boundary once it holds
        # enough text to stand alone (short paragraphs and headings are merged into neighbours).
        boundary_break = new_paragraph and (
            total >= min_tokens or total + para_tokens[u.paragraph] > max_tokens
        )
        if current and (not fits or boundary_break):
            chunks.append((current[0].start, current[-1].end))
            carry: list[Span] = []
            if not new_paragraph:
                carried = 0
                for prev in reversed(current):
                    if carried + prev.tokens > overlap_tokens or len(carry) == len(current) - 1:
                        break
                    carry.insert(0, prev)
                    carried += prev.tokens
            current, total = carry, sum(c.tokens for c in carry)
            if total + u.tokens > max_tokens:
                current, total = [], 0
        current.append(u)
        total += u.tokens
    if current:
        chunks.append((current[0].start, current[-1].end))
    return chunks
