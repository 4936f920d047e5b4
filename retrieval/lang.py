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
    """Count letters per script (LATIN, CYRILLIC, HAN, ARABIC, ...)."""
    return Counter(_script(ch) for ch in text if ch.isalpha())


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
        main_script, _ = scripts.most_common(1)[0]
        if main_script in ("HIRAGANA", "KATAKANA") or (
            main_script == "HAN" and (scripts["HIRAGANA"] + scripts["KATAKANA"]) > 0
        ):
            return [("ja", 1.0)]
        if main_script == "HAN":
            return [("zh", 1.0)]
        if main_script in _SCRIPT_LANG:
            return [(_SCRIPT_LANG[main_script], 1.0)]
        if main_script == "LATIN" and ("¿" in text or "¡" in text):
            return [("es", 1.0)]
        values = self._get().compute_language_confidence_values(text)
        out: list[tuple[str, float]] = []
        for cv in values:
            code = cv.language.iso_code_639_1.name.lower()
            if _fits_script(code, main_script):
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
