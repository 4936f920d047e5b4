"""Offline language detection: the script first, lingua within a script, hints to break ties."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from typing import Any

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from .languages import DETECTED, normalize

# Scripts that name a language on their own (or narrow it to a few).
_SCRIPT_LANG = {
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "THAI": "th",
    "GREEK": "el",
    "HEBREW": "he",
    "DEVANAGARI": "hi",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
}

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


class LanguageDetector:
    """Lazily built lingua detector; thread-safe; returns ISO 639-1 codes or ''."""

    def __init__(self, languages: tuple[str, ...] = DETECTED) -> None:
        self._codes = languages
        self._detector: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._detector is None:
                langs = [
                    Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper()))
                    for c in self._codes
                ]
                self._detector = (
                    LanguageDetectorBuilder.from_languages(*langs)
                    .with_preloaded_language_models()
                    .build()
                )
            return self._detector

    def warm(self) -> None:
        """Load the models now (seconds), not at the first question."""
        self._get()

    def detect(self, text: str, hint: str = "") -> str:
        """Best language for `text`; `hint` (e.g. a user's language_code) breaks near-ties."""
        ranked = self.rank(text)
        hint = normalize(hint)
        if not ranked:
            return hint if hint in self._codes else ""
        best, best_p = ranked[0]
        if hint and hint != best:
            for code, p in ranked[1:4]:
                # Short questions are ambiguous: prefer the hint when lingua barely separates them.
                if code == hint and p >= best_p * 0.6:
                    return hint
        return best

    def rank(self, text: str, sample_chars: int = 600) -> list[tuple[str, float]]:
        """Candidate languages with confidences, best first."""
        text = text[:sample_chars]
        if not _WORD.search(text):
            return []
        scripts = script_profile(text)
        if not scripts:
            return []
        script = main_script(scripts)
        if script in ("HIRAGANA", "KATAKANA") or (
            script == "HAN" and (scripts["HIRAGANA"] + scripts["KATAKANA"]) > 0
        ):
            return [("ja", 1.0)]
        if script == "HAN":
            return [("zh", 1.0)]
        if script in _SCRIPT_LANG:
            return [(_SCRIPT_LANG[script], 1.0)]
        if script == "LATIN" and ("¿" in text or "¡" in text):
            return [("es", 1.0)]
        if script != "LATIN":
            text = in_script(text, script) or text
        values = self._get().compute_language_confidence_values(text)
        out: list[tuple[str, float]] = []
        for cv in values:
            code = cv.language.iso_code_639_1.name.lower()
            if _fits_script(code, script):
                out.append((code, cv.value))
        return out


_CYRILLIC = {"ru", "uk", "bg", "sr", "mk", "be", "kk"}
_ARABIC = {"ar", "fa", "ur"}


def _fits_script(code: str, script: str) -> bool:
    if script == "CYRILLIC":
        return code in _CYRILLIC
    if script == "ARABIC":
        return code in _ARABIC
    if script == "LATIN":
        return code not in _CYRILLIC | _ARABIC | {"zh", "ja", "ko", "th", "el", "he", "hi"}
    return True
