"""Does the source a sentence cites say what the sentence says? A valid number can still point
at the wrong passage ("iPhone [1]" citing a chunk that never mentions a phone).

Each cited sentence is compared with every retrieved passage: the share of its names and numbers
(the words written the same in every language) that the passage contains, and how close its best
sentence is in the language-corrected embedding space search uses. A citation whose passage is
clearly beaten by another is moved to that one; one that no passage supports is dropped, and a
sentence left without a citation is no longer presented as sourced.

Before that, the facts: every number in a cited sentence that the question does not name must be
in the cited passage, and so must every name that some found passage holds (matched across
transliteration and spelling: "Varsovia", "Warschau" and "Warsaw" are one place, "Лэй Цзюнь" is
"Lei Jun"). A sentence whose passage lacks one is cited to the passage that has them all, or to
none: "sold 500,000 in five days [1]" over a passage that says a million, or "posted from his
iPhone [1]" over one that never names the phone, is no longer shown as sourced. A name no found
passage holds may be a translation ("Fitnessstudio" for "gym"): similarity decides then.

The margins are calibrated on XQuAD's calibration fifth and measured on the rest
(`python -m bench.run --only support`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from anyascii import anyascii
from rapidfuzz import fuzz

from .index import Index
from .keyword import anchors, tokenize, unspaced
from .models import Hit
from .search import hit_sentence_vectors

ANCHOR_WEIGHT = 0.3  # a passage holding all the sentence's names and numbers gains this much
MARGIN = 0.08  # the cited passage may trail the best one by this much and keep its citation
FLOOR = 0.1  # below this no passage supports the sentence: its citation is dropped

_MARK = re.compile(r"\s?\[(\d+)\]")
_GROUPED = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)+\]")
_SENTENCE = re.compile(r"(?<=[.!?。！？])(?:\s*\[\d+\])*\s+|\n+")


@dataclass
class Support:
    """What the check changed: (sentence number, old source, new source or 0 for dropped)."""

    moved: list[tuple[int, int, int]] = field(default_factory=list)
    dropped: list[tuple[int, int]] = field(default_factory=list)
    unsourced: int = 0  # sentences that had citations and have none left


def sentences_with_marks(text: str) -> list[str]:
    """The text cut after each sentence, its citation marks kept with it."""
    out, start = [], 0
    for m in _SENTENCE.finditer(text):
        end = m.end()
        piece = text[start:end]
        marks = re.match(r"(?:\s*\[\d+\])+", text[m.start() :])
        if marks:  # "… pier. [2] Next" keeps [2] with the sentence before it
            piece = text[start : m.start() + marks.end()]
            end = m.start() + marks.end()
        out.append(piece)
        start = end
    if start < len(text):
        out.append(text[start:])
    return [p for p in out if p]


NAME_SIMILARITY = 80  # rapidfuzz ratio of two spellings (ASCII) that name one thing


def facts(sentence: str, question: str, lang: str) -> tuple[list[str], list[str]]:
    """The numbers and names of a cited sentence that its question does not already name."""
    asked = {t for w in tokenize(question) for t in (w, _ascii(w))}
    new = [t for t in anchors(_MARK.sub("", sentence), lang) if not {t, _ascii(t)} & asked]
    numbers = [t for t in new if t.isdigit()]
    names = [t for t in new if not t.isdigit() and len(t) > 1 and not unspaced(t)]
    return numbers, names


def _ascii(token: str) -> str:
    return anyascii(token).lower()


@dataclass
class _Words:
    """One passage's words, as written and in ASCII, for matching facts against."""

    tokens: set[str]
    spelled: set[str]

    @classmethod
    def of(cls, hit: Hit) -> _Words:
        tokens = set(tokenize(hit.chunk.title + " " + hit.chunk.text))
        return cls(tokens, {_ascii(t) for t in tokens})

    def holds(self, name: str) -> bool:
        if name in self.tokens:
            return True
        spelled = _ascii(name)
        if spelled in self.spelled:
            return True
        return len(spelled) >= 4 and any(
            fuzz.ratio(spelled, t) >= NAME_SIMILARITY
            for t in self.spelled
            if t[:1] == spelled[:1] and abs(len(t) - len(spelled)) <= 3
        )


def missing_facts(sentence: str, question: str, hits: list[Hit], lang: str) -> np.ndarray:
    """Per hit, how many of the sentence's checkable facts it lacks: its numbers, and its names
    that at least one hit holds."""
    numbers, names = facts(sentence, question, lang)
    if not numbers and not names:
        return np.zeros(len(hits), dtype=int)
    passages = [_Words.of(h) for h in hits]
    held = [n for n in names if any(p.holds(n) for p in passages)]
    return np.array(
        [sum(n not in p.tokens for n in numbers) + sum(not p.holds(n) for n in held)
         for p in passages]
    )  # fmt: skip


def scores(
    index: Index, sentences: list[str], hits: list[Hit], lang: str,
    anchor_weight: float = ANCHOR_WEIGHT,
    known: tuple[list[tuple[int, str]], np.ndarray] | None = None,
) -> list[np.ndarray]:  # fmt: skip
    """For each sentence, one support score per hit: best-sentence similarity plus the anchor
    share times `anchor_weight`."""
    parts = components(index, sentences, hits, lang, known)
    return [sims + anchor_weight * shares for sims, shares in parts]


def components(
    index: Index, sentences: list[str], hits: list[Hit], lang: str,
    known: tuple[list[tuple[int, str]], np.ndarray] | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """Per sentence: each hit's best-sentence similarity, and the share of the sentence's names
    and numbers the hit contains (0 when the sentence has none). `known`: the hits' sentences
    and vectors as search already fetched them."""
    if not hits or not sentences:
        return []
    items, vectors = known if known is not None else hit_sentence_vectors(index, hits)
    plains = [_MARK.sub("", s).strip() or s for s in sentences]
    raw = index.embedder.embed_queries(plains)
    hit_tokens = [set(tokenize(h.chunk.title + " " + h.chunk.text)) for h in hits]
    owners = np.array([i for i, _ in items])
    out = []
    for plain, vec in zip(plains, raw, strict=True):
        qv = index.centering.query(np.asarray(vec), lang)
        sims = vectors @ qv if len(items) else np.zeros(0)
        best = np.full(len(hits), -1.0)
        for i in range(len(hits)):
            mine = sims[owners == i] if len(items) else np.zeros(0)
            if len(mine):
                best[i] = float(mine.max())
        names = set(tokenize(" ".join(anchors(plain))))
        share = (
            np.array([len(names & t) / len(names) for t in hit_tokens])
            if names
            else np.zeros(len(hits))
        )
        out.append((best, share))
    return out


def decide(
    row: np.ndarray, n: int, margin: float = MARGIN, floor: float = FLOOR,
    missing: np.ndarray | None = None,
) -> int:  # fmt: skip
    """Where citation [n] of a sentence goes, given its support `row` over the hits: n (kept),
    another number (moved), or 0 (dropped). With `missing` (facts each hit lacks), only a hit
    that holds all of the sentence's facts can be cited."""
    if missing is not None and missing.any():
        if not (missing == 0).any():
            return 0
        row = np.where(missing == 0, row, -np.inf)
        if missing[n - 1]:
            return int(np.argmax(row)) + 1 if float(row.max()) >= floor else 0
    mine, top = float(row[n - 1]), float(row.max())
    if mine >= floor and mine >= top - margin:
        return n
    return int(np.argmax(row)) + 1 if top >= floor else 0


def check_support(
    index: Index, text: str, hits: list[Hit], lang: str,
    margin: float = MARGIN, floor: float = FLOOR,
    known: tuple[list[tuple[int, str]], np.ndarray] | None = None, question: str = "",
) -> tuple[str, Support]:  # fmt: skip
    """The answer with each citation kept, moved to the passage that supports its sentence, or
    dropped. `known` saves fetching the hits' sentence vectors again (search has them);
    `question`'s own numbers and names need not be in a cited passage."""
    text = _GROUPED.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(0))), text)
    pieces = sentences_with_marks(text)
    cited = [i for i, p in enumerate(pieces) if _MARK.search(p)]
    report = Support()
    if not cited:
        return text, report
    table = scores(index, [pieces[i] for i in cited], hits, lang, known=known)
    for i, row in zip(cited, table, strict=True):
        lacking = missing_facts(pieces[i], question, hits, lang)

        def fix(
            m: re.Match[str], row: np.ndarray = row, i: int = i, lacking: np.ndarray = lacking
        ) -> str:
            if len(m.group(1)) > 4:
                return m.group(0)  # no passage has that number (check_citations removes it)
            n = int(m.group(1))
            if not 1 <= n <= len(hits):
                return m.group(0)
            to = decide(row, n, margin, floor, lacking)
            if to == n:
                return m.group(0)
            if to:
                report.moved.append((i, n, to))
                return m.group(0).replace(f"[{n}]", f"[{to}]")
            report.dropped.append((i, n))
            return ""

        fixed = _MARK.sub(fix, pieces[i])
        fixed = re.sub(r"(\[(\d+)\])(\s?\[\2\])+", r"\1", fixed)  # moved onto one already there
        if not _MARK.search(fixed):
            report.unsourced += 1
        pieces[i] = fixed
    return "".join(pieces), report
