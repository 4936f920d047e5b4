"""Does the source a sentence cites say what the sentence says? A valid number can still point
at the wrong passage ("iPhone [1]" citing a chunk that never mentions a phone).

Each cited sentence is compared with every retrieved passage: the share of its names and numbers
(the words written the same in every language) that the passage contains, and how close its best
sentence is in the language-corrected embedding space search uses. A citation whose passage is
clearly beaten by another is moved to that one; one that no passage supports is dropped, and a
sentence left without a citation is no longer presented as sourced.

Before that, the facts: every number in a cited sentence that the question does not name must be
in the cited passage (however grouped or scaled: "74 000", "11،600", "3900亿", "около
миллиарда"), and so must every name that some found passage writes alike (the cited passage may
hold it across transliteration and spelling: "Varsovia", "Warschau" and "Warsaw" are one place,
"Лэй Цзюнь" is "Lei Jun"; how strictly depends on how the name is written, see missing_facts).
A sentence whose passage lacks one is cited to the passage that has them all, or to none:
"sold 500,000 in five days [1]" over a passage that says a million, or "posted from his iPhone
[1]" over one that never names the phone, is no longer shown as sourced. A name no found passage
holds may be a translation ("Fitnessstudio" for "gym"): similarity decides then.

The margins are calibrated on XQuAD's calibration fifth and measured on the rest
(`python -m bench.run --only support`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from anyascii import anyascii
from babel import Locale, UnknownLocaleError
from rapidfuzz import fuzz

from retrieval.index.parts import Index
from retrieval.languages import normalize
from retrieval.search.hybrid import hit_sentence_vectors
from retrieval.text.analysis import NOUNS_CAPITALISED, anchors, tokenize, unspaced, words
from retrieval.text.numbers import ascii_digits, numbers, question_numbers, space_grouped
from retrieval.text.scripts import (
    CASED,
    main_script,
    script_of,
    script_profile,
    script_runs,
)
from retrieval.types import Hit

ANCHOR_WEIGHT = 0.5  # a passage holding all the sentence's names and numbers gains this much
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
COPY_SIMILARITY = 90  # the same for a name copied as written (an ending may differ)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")


# What kind of name a sentence states, strictest first (missing_facts says what each needs):
INVARIANT = "invariant"  # a capital inside or digits (iPhone, Mi10): alike in every language
FOREIGN = "foreign"  # in another script than the sentence's ("iPhone" in Chinese): copied
NAME = "name"  # capitalised after the first word: may be translated or transliterated
NOUN = "noun"  # capitalised in a language that capitalises every noun: a name only maybe
_KINDS = (INVARIANT, FOREIGN, NAME, NOUN)
# A number with a suffix ("1970s", "90er") is a number: numbers.py reads it, as a name it
# would ask the passage for the suffix too.
_NUMBER_WORD = re.compile(r"\d+[^\W\d]{0,3}")
# A gloss in brackets gives a term in another language for the reader ("(Last Glacial
# Maximum)" in a Thai sentence); the passage it comes from need not.
_GLOSS = re.compile(r"[(（][^()（）]*[)）]")


def facts(sentence: str, question: str, lang: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The numbers (two or more digits, as numbers.py compares them) and the names of a cited
    sentence that its question does not already name. A name is `(token, kind)`, its kind one
    of INVARIANT, FOREIGN, NAME and NOUN (the strictest the token is written as)."""
    plain = _MARK.sub("", sentence)
    found = sorted(question_numbers(space_grouped(plain)) - numbers(question))  # "74 000"
    asked = {t for w in tokenize(question) for t in (w, _ascii(w))} | _calendar(lang)
    names: dict[str, str] = {}
    for piece in _SENTENCE_END.split(plain):  # a capital after a full stop names nothing
        for token, kind in _names(piece, lang):
            if len(token) > 1 and not unspaced(token) and not {token, _ascii(token)} & asked:
                names[token] = min(names.get(token, NOUN), kind, key=_KINDS.index)
    return found, list(names.items())


def _names(text: str, lang: str) -> list[tuple[str, str]]:
    """Names as anchors() finds them (capitalised after the first word, a capital inside, in
    another script), with their kind. Words in another script inside brackets are a gloss, no
    fact; in German, a capitalised word is a NOUN."""
    unglossed = _GLOSS.sub(" ", text)
    written = [run for w in words(text) for run in script_runs(w)]
    main = main_script(script_profile(text))  # by letters: Thai and Chinese run words together
    bare = {run for w in words(unglossed) for run in script_runs(w)}
    out = []
    for i, w in enumerate(written):
        if not any(ch.isalpha() for ch in w) or _NUMBER_WORD.fullmatch(w):
            continue
        script = script_of(w)
        if script != main and w not in bare:
            continue  # a gloss
        inner = any(ch.isupper() for ch in w[1:]) or any(ch.isdigit() for ch in w)
        initial = i > 0 and w[:1].isupper() and script in CASED
        if inner:
            kind = INVARIANT
        elif script != main:
            kind = FOREIGN
        elif initial:
            kind = NOUN if lang in NOUNS_CAPITALISED else NAME
        else:
            continue
        out += [(t, kind) for t in tokenize(w) if not t.isdigit()]
    return out


@cache
def _calendar(lang: str) -> frozenset[str]:
    """The names of months and weekdays in `lang` ("Mart", "Montag"): a date, not a name, and
    written as a number in many languages ("tháng 3")."""
    try:
        loc = Locale.parse(normalize(lang))
    except (ValueError, UnknownLocaleError):
        return frozenset()
    out: set[str] = set()
    for context in ("format", "stand-alone"):
        for table in (loc.months, loc.days):
            for name in table[context]["wide"].values():
                out.update(tokenize(name))
    return frozenset(out)


# Greek writes b, d and g of other languages with two letters ("Μπαρτσελόνα", "Ντόναλντ",
# "Γκράμι"): at the start of a word they are that sound, inside it the nasal too.
_GREEK_STOPS = re.compile(r"(?<!\w)(μπ|ντ|γκ)|(μπ|ντ|γκ)")
_GREEK_SOUND = {"μπ": ("b", "mb"), "ντ": ("d", "nd"), "γκ": ("g", "ng")}


def _ascii(token: str) -> str:
    token = token.lower()
    if "π" in token or "τ" in token or "κ" in token:
        token = _GREEK_STOPS.sub(
            lambda m: _GREEK_SOUND[m[1]][0] if m[1] else _GREEK_SOUND[m[2]][1], token
        )
    return anyascii(token).lower()


@dataclass
class _Words:
    """One passage's words and numbers, as written and in ASCII, for matching facts against."""

    tokens: set[str]
    spelled: set[str]
    numbers: set[str]
    lang: str
    script: str

    @classmethod
    def of(cls, hit: Hit) -> _Words:
        text = hit.chunk.title + " " + hit.chunk.text
        tokens = set(tokenize(text))
        return cls(tokens, {_ascii(t) for t in tokens}, _figures(text), hit.chunk.lang,
                   main_script(script_profile(hit.chunk.text)))  # fmt: skip

    def says(self, number: str) -> bool:
        """Whether the passage states `number`, however it writes it: "Super Bowl XXXIII" says
        33, "the 1970s" says 70, "22 ألف" (22 thousand) says 22000."""
        if number in self.numbers:
            return True
        if len(number) == 4 and number.endswith("0") and f"'{number[2:]}" in self.numbers:
            return True  # "the 1970s" in a passage that writes "the '70s"
        significant = number.rstrip("0")  # one digit is too common to count ("in 5 days")
        return (
            len(number) - len(significant) >= 3
            and len(significant) >= 2
            and (significant in self.numbers)
        )

    def writes(self, name: str) -> bool:
        """The name as written, or in the same ASCII letters."""
        return name in self.tokens or _ascii(name) in self.spelled

    def holds(self, name: str, copied: bool = False) -> bool:
        """The name however spelled: as written, or close in ASCII (Varsovia, Warschau). A
        `copied` name (iPhone, or "Johann" in a Greek sentence) is written alike wherever it
        is, so only an ending may differ ("iPhones"): "John" is not "Johann"."""
        if self.writes(name):
            return True
        spelled = _ascii(name)
        similar, spread = (COPY_SIMILARITY, 1) if copied else (NAME_SIMILARITY, 3)
        return len(spelled) >= 4 and any(
            fuzz.ratio(spelled, t) >= similar
            for t in self.spelled
            if t[:1] == spelled[:1] and abs(len(t) - len(spelled)) <= spread
        )


_DIGITS = re.compile(r"\d+")


def _figures(text: str) -> set[str]:
    """The numbers a passage states: as numbers.py reads them (Roman numerals too), every run of
    digits (for "22 thousand"), a year's decade and century, the decades it writes short
    ("the '70s": "'70"), and a number with a unit word in every other unit ("3900亿" is also
    390 billion)."""
    text = ascii_digits(text)
    joined = space_grouped(text)  # a passage's "74 000" read both ways
    out = numbers(text) | (numbers(joined) if joined != text else set())
    out |= {d.lstrip("0") or "0" for d in _DIGITS.findall(text)}
    for n in list(out):
        if len(n) == 4 and 1000 <= int(n) < 2100:
            out |= {n[2:], str(int(n) // 100 + 1)}
    out |= {f"'{d}" for d in _SHORT_DECADE.findall(text)}
    return out | _in_other_units(text)


_SHORT_DECADE = re.compile(r"['’‘](\d0)(?!\d)")

# Words that multiply the number before them, as news in our languages writes large numbers;
# longest first, so "mil millones" is a billion and "พันล้าน" is not a thousand.
_UNITS = {
    10**3: "thousand|tausend|mille|mila|mil|тыс[а-я]*|nghìn|ngàn|พัน|हज़ार|हजार|ألف|آلاف|bin"
    "|χιλιάδ[α-ω]*|mii|千",
    10**4: "万|萬|만",
    10**5: "lakh|लाख",
    10**6: "millions?|Million(?:en)?|Mio\\.?|millón|millones|milion[ei]|milhão|milhões"
    "|миллион[а-я]*|млн|triệu|ล้าน|मिलियन|مليون|ملايين|milyon|εκατομμύρι[α-ω]*|milion|milioane"
    "|百万",
    10**7: "crore|करोड़",
    10**8: "亿|億|억",
    10**9: "billions?|Milliarden?|Mrd\\.?|mil millones|miliard[oi]|bilhão|bilhões"
    "|миллиард[а-я]*|млрд|tỷ|พันล้าน|बिलियन|अरब|مليار|مليارات|milyar|δισεκατομμύρι[α-ω]*"
    "|miliard[e]?|milliards?",
}
_SCALED = re.compile(
    r"(?:(?:(?P<grouped>\d{1,3}(?:[.,]\d{3})+)|(?P<plain>\d+(?:[.,]\d{1,2})?))"  # 1.500, 1,5
    r"\s?(?:de\s)?|(?<!\w)(?<!\d\s))(?:"  # or a word alone: "около миллиарда" is 1 billion
    # the largest unit first: "mil millones" is a billion and "พันล้าน" no thousands
    + "|".join(f"(?P<u{f}>{words})" for f, words in sorted(_UNITS.items(), reverse=True))
    + r")(?![A-Za-zÀ-ɏͰ-ϿЀ-ӿ])",  # "5 military" is no thousands; 亿棵 is 亿
    re.IGNORECASE,
)


def _in_other_units(text: str) -> set[str]:
    """A large number written with a unit word, in every other unit: "3900亿" (390 billion) is
    also 390 (billions) and 390000 (millions), so a sentence that says "390 billion" in another
    language finds its number. Whole values only."""
    out: set[str] = set()
    for m in _SCALED.finditer(text):
        unit = int(str(m.lastgroup)[1:])
        number = re.sub(r"[.,]", "", m["grouped"]) if m["grouped"] else m["plain"] or "1"
        value = round(float(number.replace(",", ".")) * unit)
        for other in (1, *_UNITS):
            if value % other == 0 and value // other >= 1:
                out.add(str(value // other))
    return out


# Scripts whose names survive a round trip through ASCII well enough to compare spellings
# (Арсенал, Arsenal); abjads and Han do not (ألمانيا is "lmny", 华盛顿 "huashengdun").
_TRANSLITERABLE = frozenset({"LATIN", "CYRILLIC", "GREEK"})


def missing_facts(
    sentence: str, question: str, hits: list[Hit], lang: str,
    passages: list[_Words] | None = None,
) -> np.ndarray:  # fmt: skip
    """Per hit, how many of the sentence's facts it lacks: its numbers; its invariant names
    (iPhone), and names written in another script than the sentence's, that some hit writes
    alike (a hit holds such a copied name only written alike, give or take an ending); and
    its other names that a hit in another language than the sentence's writes alike (a name
    only the answer's own language spells that way, like "Nhật Bản", may be a translation;
    one only similar elsewhere may be a translated word, "Ministry" and "Minister"), or, for
    a passage in the sentence's own language, that any hit writes, where the passage's script
    lets a spelling be compared; a hit holds those however spelled. A capitalised German word
    counts only when a hit in another language writes it alike (a name, not a noun:
    "Manning", not "Fitnessstudio"). Months and weekdays are dates, not names."""
    found, names = facts(sentence, question, lang)
    if not found and not names:
        return np.zeros(len(hits), dtype=int)
    if passages is None:
        passages = []
    if not passages:  # read on first need, then shared by the answer's other sentences
        passages.extend(_Words.of(h) for h in hits)
    held = {
        name: [p.holds(name, copied=kind in (INVARIANT, FOREIGN)) for p in passages]
        for name, kind in names
    }
    written = {name: [p.writes(name) for p in passages] for name, _ in names}
    out = []
    for p, passage in enumerate(passages):
        lacking = sum(not passage.says(n) for n in found)
        for name, kind in names:
            if held[name][p]:
                continue
            lacking += _required(name, kind, passage, passages, held[name], written[name], lang)
        out.append(lacking)
    return np.array(out)


def _required(
    name: str, kind: str, passage: _Words, passages: list[_Words],
    held: list[bool], written: list[bool], lang: str,
) -> bool:  # fmt: skip
    """Whether `passage`, which lacks `name`, should hold it (see missing_facts)."""
    if (kind == INVARIANT and any(held)) or (kind == FOREIGN and any(written)):
        return True
    comparable = passage.script == script_of(name) or (
        passage.script in _TRANSLITERABLE and script_of(name) in _TRANSLITERABLE
    )
    if not comparable:
        return False
    others = [q.lang != lang for q in passages]
    if kind == NOUN:
        return any(w and o for w, o in zip(written, others, strict=True))
    own = passage.lang == lang  # in the sentence's language a name is written as it is
    # written alike, not only similar: "Ministry" is like "Minister", a word the cited
    # passage may translate ("Ministerium"); "Manning" is Manning everywhere
    return any(w and (o or own) for w, o in zip(written, others, strict=True))


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
    passages: list[_Words] = []
    for i, row in zip(cited, table, strict=True):
        lacking = missing_facts(pieces[i], question, hits, lang, passages)

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
