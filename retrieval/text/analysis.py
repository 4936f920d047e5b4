"""Text analysis for keyword search and citation checks: words as written, folded tokens (CJK and
Thai as character pairs), each language's stop words, and anchors (numbers, names, words in
another script) that are written the same in every language."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from itertools import pairwise

import regex

from retrieval.text.numbers import ascii_digits
from retrieval.text.scripts import CASED, main_script_of, script_of, script_runs

ANALYSIS = "marks-3"  # bump when tokenizing or stop words change: saved indexes rebuild


# A word keeps its combining marks: Devanagari's and Thai's vowel signs and viramas are part of
# it (with `\w` alone "राजधानी" fell apart into "र", "जध", "न").
_TOKEN = regex.compile(r"[\w\p{M}]+")
# Accents are dropped only from the letters of cased alphabets (é, ü, й); elsewhere a mark is a
# vowel or a tone, not decoration.
_ACCENT = regex.compile(r"(?<=[\p{Latin}\p{Greek}\p{Cyrillic}])\p{M}+")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")


def fold(text: str) -> str:
    """Lower case without accents, digits in ASCII ("٢٠٢٣" is "2023", as an English article
    writes it): what a token is compared as."""
    return _ACCENT.sub("", ascii_digits(unicodedata.normalize("NFKD", text.casefold())))


def tokenize(text: str) -> list[str]:
    """Lower-cased, accent-folded words; scripts written without spaces become character bigrams."""
    out: list[str] = []
    for tok in _TOKEN.findall(fold(text)):
        if _UNSPACED.search(tok):
            chars = [c for c in tok if _UNSPACED.match(c)]
            rest = _UNSPACED.sub(" ", tok).split()
            out.extend(a + b for a, b in pairwise(chars))
            if len(chars) == 1:
                out.append(chars[0])
            out.extend(r for r in rest if len(r) > 1 or r.isdigit())
        elif len(tok) > 1 or tok.isdigit():
            out.append(tok)
    return out


def words(text: str) -> list[str]:
    """The words of `text` as written (with their marks), not folded."""
    return list(_TOKEN.findall(text))


def unspaced(token: str) -> bool:
    """A token of a script written without spaces: `tokenize` made it a character pair."""
    return bool(_UNSPACED.search(token))


@cache
def stop_words(lang: str) -> frozenset[str]:
    """The language's function words, folded like tokens: bm25s's lists where it has one (short,
    curated), else stopwords-iso's without its numbers."""
    from bm25s import stopwords as lists

    named = {"en": "EN_PLUS", "de": "GERMAN", "nl": "DUTCH", "fr": "FRENCH", "es": "SPANISH",
             "pt": "PORTUGUESE", "it": "ITALIAN", "ru": "RUSSIAN", "sv": "SWEDISH",
             "nb": "NORWEGIAN", "zh": "CHINESE", "tr": "TURKISH", "ko": "KOREAN",
             "da": "DANISH"}  # fmt: skip
    words: Sequence[str] = getattr(lists, f"STOPWORDS_{named[lang]}", ()) if lang in named else ()
    if not words:
        import stopwordsiso

        words = sorted(stopwordsiso.stopwords(lang)) if stopwordsiso.has_lang(lang) else []
    return frozenset(t for w in words for t in tokenize(w) if not any(ch.isdigit() for ch in t))


def analyse(text: str, lang: str) -> list[str]:
    """Tokens of `text` in `lang` without that language's stop words."""
    stop = stop_words(lang) if lang else frozenset()
    return [t for t in tokenize(text) if t not in stop]


# Languages that capitalise every noun: there a capital letter does not mark a name.
NOUNS_CAPITALISED = frozenset({"de", "lb"})


def anchors(question: str, lang: str = "") -> list[str]:
    """What is written the same in every language: numbers, words in another script than the
    question's, and names (capitalised words after the first, in scripts with capitals, and
    product names with a capital inside, such as iPhone). With `lang` German, a capital alone
    does not make a name."""
    words = [run for w in _TOKEN.findall(question) for run in script_runs(w)]
    scripts = [script_of(w) for w in words]
    main = main_script_of(words)
    initial_names = lang not in NOUNS_CAPITALISED
    out: list[str] = []
    for i, (w, script) in enumerate(zip(words, scripts, strict=True)):
        name = script in CASED and (
            (initial_names and i > 0 and w[:1].isupper()) or any(ch.isupper() for ch in w[1:])
        )
        if any(ch.isdigit() for ch in w) or script != main or name:
            out.extend(tokenize(w))
    return list(dict.fromkeys(out))
