"""Offline language detection: the script first, lingua within a script, hints to break ties."""

from __future__ import annotations

import re
import threading
from typing import Any

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from retrieval.languages import DETECTED, normalize
from retrieval.text.scripts import in_script, main_script, script_profile

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

    @property
    def loaded(self) -> bool:
        """Whether lingua's models are in memory (built on first use: seconds)."""
        return self._detector is not None

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

    def foreign(self, text: str, lang: str) -> bool:
        """Whether a reply is clearly in another language than `lang`: its words (without
        names and numbers) in a script `lang` is not written in, whatever its length; or, when
        longer, detected in another language, not near a tie with `lang` (markup made "uses an
        … click … not bold" Dutch by a hair), both as written and without its names. Names
        mislead lingua: "Xiaomi сотрудничает с Leica в Xiaomi 17 Ultra" has more Latin letters
        than Cyrillic ones."""
        own = _without_names(text)
        if not fits_script(lang, own):
            return True
        if len(text) <= 40:
            return False
        return all(self.detect(words, lang) not in ("", lang) for words in (text, own))

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


def _without_names(text: str) -> str:
    """`text` without its words that hold a capital or a digit: the words of its language."""
    return " ".join(w for w in text.split() if not any(c.isupper() or c.isdigit() for c in w))


def fits_script(code: str, text: str) -> bool:
    """Whether language `code` can be written in the main script of `text` (by its letters):
    an English reply to a Russian or Chinese question cannot, however short. A language
    Footnote does not detect is not judged (Marathi is written in Devanagari too)."""
    scripts = script_profile(text)
    if not scripts or code not in DETECTED:
        return True
    script = main_script(scripts)
    if code in _TWO_SCRIPTS and script in ("LATIN", "CYRILLIC"):
        return True
    if script in _SCRIPT_LANG:
        return code == _SCRIPT_LANG[script]
    if script == "HAN":
        return code in ("zh", "ja")
    return _fits_script(code, script)


_TWO_SCRIPTS = {"sr"}  # written in Cyrillic and in Latin
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
