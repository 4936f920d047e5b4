"""Numbers a question names that none of the found articles mentions. A question about "the 2023
Tour de France" or "the iPhone 15 Pro" asks about another race or another phone than the stories
search finds nearest (2015's race, older phones): on the news corpus those were most of the
gate's false positives (bench/NOTES.md). Numbers are compared as runs of two or more digits, in
any script's digits, with thousands separators taken out ("2,000" is "2000"); an article
mentions a number in its text, its headline or its date.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

# digits, optionally grouped by thousands (not by a plain space: "in 2015 200 people" is two)
_NUMBER = re.compile(r"\d+(?:[,.'\u00a0\u2009\u202f]\d{3}(?!\d))*")


@cache
def _digit_table() -> dict[int, str]:
    """Every other script's decimal digits -> ASCII."""
    return {
        cp: str(unicodedata.decimal(chr(cp))) for cp in range(0x80, 0x20000) if chr(cp).isdecimal()
    }


def ascii_digits(text: str) -> str:
    """`text` with every script's digits in ASCII ("٢٠٢٣" is "2023")."""
    return text.translate(_digit_table())


def _runs(text: str, parts: bool) -> set[str]:
    out: set[str] = set()
    for match in _NUMBER.finditer(ascii_digits(text)):
        run = match.group()
        pieces = re.split(r"\D", run)
        for piece in (run, *pieces) if parts and len(pieces) > 1 else (run,):
            digits = re.sub(r"\D", "", piece)
            if len(digits) >= 2:
                out.add(digits)
    return out


def numbers(text: str) -> set[str]:
    """Every number of two or more digits in `text`, in ASCII digits, grouped and ungrouped."""
    return _runs(text, parts=True)


def question_numbers(question: str) -> set[str]:
    """The question's numbers as written (a grouped number counts whole)."""
    return _runs(question, parts=False)


def unmatched(question: str, texts: Iterable[str]) -> list[str]:
    """The question's numbers that none of `texts` mentions, sorted."""
    asked = question_numbers(question)
    if not asked:
        return []
    seen: set[str] = set()
    for t in texts:
        seen |= numbers(t)
        if asked <= seen:
            return []
    return sorted(asked - seen)
