"""Split an article into chunks that follow paragraphs and sentences and fit the embedder.

Chunks are character spans of the cleaned text, so a citation can point at the exact passage.
A paragraph is never split if it fits; a chunk ends at a paragraph boundary once it is well
filled; a break inside a paragraph carries the last sentence(s) over as overlap.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# A sentence ends at . ! ? … and the stops of Arabic (؟ ۔) and Devanagari (। ॥), plus closing
# quotes/brackets, followed by space; at CJK stops; and in Thai, which marks neither sentences
# nor words, at a space between Thai letters (a phrase or sentence break).
_SENT_END = re.compile(
    r"(?:[.!?…؟।॥۔]+[\"'”’»)\]]*(?=\s+|$)|[。！？]+[」』”’)]*"
    r"|(?<=[\u0e00-\u0e7f])(?=\s+[\u0e00-\u0e7f]))"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    tokens: int
    paragraph: int


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate (used when the embedder has no tokenizer): CJK/Thai characters
    count one each, other text about one token per four characters."""
    cjk = len(_CJK.findall(text))
    return cjk + max(1, (len(text) - cjk) // 4) + 2


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text):
        s, e = m.start(), m.end()
        seg = m.group(0)
        s += len(seg) - len(seg.lstrip())
        e -= len(seg) - len(seg.rstrip())
        if e > s:
            spans.append((s, e))
    return spans


# Month names (en, de, fr, es, it, nl): sentence splitting ("am 25. Dezember") and date parsing.
MONTHS = {
    # English, German, French, Spanish, Italian, Dutch: enough for bylines; numeric dates cover more.
    "jan": 1, "january": 1, "januar": 1, "jänner": 1, "janvier": 1, "enero": 1, "gennaio": 1, "januari": 1,
    "feb": 2, "february": 2, "februar": 2, "février": 2, "febrero": 2, "febbraio": 2,
    "mar": 3, "march": 3, "märz": 3, "mars": 3, "marzo": 3, "maart": 3,
    "apr": 4, "april": 4, "avril": 4, "abril": 4, "aprile": 4,
    "may": 5, "mai": 5, "mayo": 5, "maggio": 5, "mei": 5,
    "jun": 6, "june": 6, "juni": 6, "juin": 6, "junio": 6, "giugno": 6,
    "jul": 7, "july": 7, "juli": 7, "juillet": 7, "julio": 7, "luglio": 7,
    "aug": 8, "august": 8, "août": 8, "agosto": 8, "augustus": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9, "septiembre": 9, "settembre": 9,
    "oct": 10, "october": 10, "oktober": 10, "octobre": 10, "octubre": 10, "ottobre": 10,
    "nov": 11, "november": 11, "novembre": 11, "noviembre": 11,
    "dec": 12, "december": 12, "dezember": 12, "décembre": 12, "diciembre": 12, "dicembre": 12,
}  # fmt: skip


# Words after which a period does not end a sentence (titles, Latin and German abbreviations).
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "no", "nr", "ca", "bzw",
    "z.b", "u.a", "d.h", "usw", "vgl", "hr", "fr", "jan", "feb", "aug", "sept", "oct", "okt",
    "nov", "dec", "dez", "sr", "jr", "inc", "ltd", "co", "corp", "gen", "gov", "p", "pp", "s",
}  # fmt: skip


def _not_an_end(text: str, dot: int, next_start: int) -> bool:
    """A period after an abbreviation, an initial, or a day number ("am 25. Dezember")."""
    if text[dot] != ".":
        return False
    word = re.search(r"([\w.]+)$", text[:dot])
    w = word.group(1).lower() if word else ""
    nxt = text[next_start : next_start + 1]
    if w in _ABBREV or (len(w) == 1 and w.isalpha() and nxt.isupper()):
        return True
    if w.isdigit() and len(w) <= 2 and nxt:  # German/Nordic ordinals: "25. Dezember", "3. Platz"
        following = re.match(r"\w+", text[next_start:])
        if following is None:
            return False
        return following.group(0).lower() in MONTHS or nxt.islower()
    return False


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    pos = start
    for m in _SENT_END.finditer(text, start, end):
        nxt = m.end()
        while nxt < end and text[nxt].isspace():
            nxt += 1
        if _not_an_end(text, m.start(), nxt):
            continue
        s_end = m.end()
        if s_end > pos:
            out.append((pos, s_end))
        pos = s_end
        while pos < end and text[pos].isspace():
            pos += 1
    if pos < end:
        out.append((pos, end))
    return [(s, e) for s, e in out if text[s:e].strip()]


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


def sentence_units(
    text: str, count_tokens: Callable[[str], int] = estimate_tokens, min_tokens: int = 8
) -> list[tuple[int, int]]:
    """Sentences of a chunk for sentence-level vectors. A very short sentence ("Photo: X.") is
    joined to its neighbour in the same paragraph, so every unit says something on its own."""
    units: list[tuple[int, int]] = []
    for ps, pe in paragraph_spans(text):
        para: list[tuple[int, int]] = []
        pending: int | None = None
        for s, e in sentence_spans(text, ps, pe):
            start = s if pending is None else pending
            if count_tokens(text[start:e]) < min_tokens:
                pending = start
                continue
            para.append((start, e))
            pending = None
        if pending is not None:
            if para:
                para[-1] = (para[-1][0], pe)
            else:
                para.append((pending, pe))
        units.extend(para)
    return units
