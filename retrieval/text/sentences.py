"""Paragraphs and sentences of a text, as character spans (sentence ends in many scripts, no false
end after an abbreviation, an initial or a day before a month name), and a tokenizer-free length
estimate."""

from __future__ import annotations

import re
from collections.abc import Callable

# A sentence ends at . ! ? … and the stops of Arabic (؟ ۔) and Devanagari (। ॥), plus closing
# quotes/brackets, followed by space; at CJK stops; and in Thai, which marks neither sentences
# nor words, at a space between Thai letters (a phrase or sentence break).
_SENT_END = re.compile(
    r"(?:[.!?…؟।॥۔]+[\"'”’»)\]]*(?=\s+|$)|[。！？]+[」』”’)]*"
    r"|(?<=[\u0e00-\u0e7f])(?=\s+[\u0e00-\u0e7f]))"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


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
