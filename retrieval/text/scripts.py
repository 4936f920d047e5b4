"""Which script a word or a text is written in (LATIN, CYRILLIC, HAN, DEVANAGARI…): the first
thing language detection, keyword analysis and citation checks ask of a text."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

CASED = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "GEORGIAN"})

_WORD = re.compile(r"\w", re.UNICODE)


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    if not name:
        return ""
    if name.startswith("CJK") or "IDEOGRAPH" in name:
        return "HAN"
    return name.split(" ", 1)[0]


def script_of(word: str) -> str:
    """The script most of a word's letters are in ('' for a word without letters)."""
    profile = script_profile(word)
    return profile.most_common(1)[0][0] if profile else ""


def script_profile(text: str) -> Counter[str]:
    """Count letters per script (LATIN, CYRILLIC, HAN, ARABIC, ...); the vowel signs of
    Devanagari, Thai and their kin count as letters of their script."""
    return Counter(
        script
        for ch in text
        if ch.isalpha() or unicodedata.category(ch).startswith("M")
        if (script := _script(ch)) not in ("", "COMBINING")
    )


# A question in another script often carries Latin brand names ("小米的CEO为什么用iPhone？"), and
# counting letters let them win: the question is in the other script once it holds this share
# of the letters. Han, kana and Hangul letters are syllables or words, and Thai is written
# without spaces: each of their letters weighs two.
_OWN_SCRIPT_SHARE = 0.4
_DENSE = {"HAN": 2, "HIRAGANA": 2, "KATAKANA": 2, "HANGUL": 2, "THAI": 2}


def main_script(profile: Counter[str]) -> str:
    """The script a text is written in: the largest other than Latin when it holds at least
    `_OWN_SCRIPT_SHARE` of the (weighted) letters, whatever Latin names it quotes."""
    if not profile:
        return ""
    weighted = Counter({s: n * _DENSE.get(s, 1) for s, n in profile.items()})
    others = [(n, s) for s, n in weighted.items() if s != "LATIN"]
    if others:
        n, script = max(others)
        if n >= _OWN_SCRIPT_SHARE * sum(weighted.values()):
            return script
    return weighted.most_common(1)[0][0]


def in_script(text: str, script: str) -> str:
    """The text's words in `script` (and those without letters), for lingua to read: Latin
    names inside a Cyrillic question say nothing of its language."""
    return " ".join(w for w in text.split() if script_of(w) in (script, ""))


def main_script_of(words: list[str]) -> str:
    """The script most of the words with letters are in (numbers have none: a question full of
    figures once made every word "foreign", so every word an anchor). On a tie, not Latin
    ("iPhone 是什么" is Chinese), and never by chance: a set's order changes with every process."""
    scripts = [script_of(w) for w in words if any(ch.isalpha() for ch in w)]
    if not scripts:
        return ""
    return max(sorted(set(scripts)), key=lambda s: (scripts.count(s), s != "LATIN"))


def script_runs(word: str) -> list[str]:
    """A word split where its script changes ("小米CEO用" -> "小米", "CEO", "用"); digits stay
    with the letters before them."""
    runs: list[str] = []
    last = ""
    for ch in word:
        script = script_of(ch) if ch.isalpha() else last
        if (runs and script in (last, "")) or (runs and not last):
            runs[-1] += ch
        else:
            runs.append(ch)
        last = script
    return runs
