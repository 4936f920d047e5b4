"""The one home of languages: the codes Footnote detects and names, how a client's language tag
becomes one of them, and in which languages a table of strings exists. Every other list of
languages (the detector's, the prompts', the bot's settings and menus) derives from here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

# Detected offline (lingua preloads these: broad enough for news, ~2 s and ~0.5 GB to load)
# and named in prompts, with the English name the model is told to answer in.
NAMES: dict[str, str] = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "cs": "Czech", "sv": "Swedish",
    "da": "Danish", "nb": "Norwegian", "fi": "Finnish", "ro": "Romanian", "hu": "Hungarian",
    "tr": "Turkish", "vi": "Vietnamese", "id": "Indonesian", "ru": "Russian", "uk": "Ukrainian",
    "bg": "Bulgarian", "sr": "Serbian", "el": "Greek", "ar": "Arabic", "fa": "Persian",
    "he": "Hebrew", "hi": "Hindi", "th": "Thai", "zh": "Chinese", "ja": "Japanese", "ko": "Korean",
}  # fmt: skip
DETECTED: tuple[str, ...] = tuple(NAMES)
FALLBACK = "en"


def normalize(code: str | None) -> str:
    """'pt-BR', 'zh_Hans', ' DE ' -> 'pt', 'zh', 'de' (a Telegram language_code, an HTML lang)."""
    return (code or "").strip().replace("_", "-").split("-")[0].lower()


def name(code: str | None) -> str:
    """The English name of a language ('German'; Babel's for a code Footnote does not detect,
    'Swahili'); English for anything that is not a language code, never the value itself (it
    may come from a record and end up in a prompt)."""
    key = normalize(code) or FALLBACK
    if key in NAMES:
        return NAMES[key]
    known = _babel_names().get(key, "") if _CODE.fullmatch(key) else ""
    return known or NAMES[FALLBACK]


_CODE = re.compile(r"[a-z]{2,3}")


@cache
def _babel_names() -> Mapping[str, str]:
    from babel import Locale

    return Locale("en").languages


def pick(table: Mapping[str, str], lang: str | None) -> str:
    """The entry of a per-language string table for `lang`, else the English one."""
    return table.get(normalize(lang) or FALLBACK) or table[FALLBACK]


def complete_in(tables: Iterable[Mapping[str, str]]) -> tuple[str, ...]:
    """Languages in which every one of `tables` has an entry, in NAMES order."""
    tables = list(tables)
    return tuple(code for code in NAMES if all(t.get(code) for t in tables))
