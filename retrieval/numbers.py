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

# digits, optionally grouped by thousands (not by a plain space: "in 2015 200 people" is two)
_NUMBER = re.compile(r"\d+(?:[,.'\u00a0\u2009\u202f]\d{3}(?!\d))*")


def numbers(text: str) -> set[str]:
    """Every number of two or more digits in `text`, in ASCII digits, grouped and ungrouped."""
    out: set[str] = set()
    for match in _NUMBER.finditer(text):
        run = match.group()
        parts = re.split(r"\D", run)
        for piece in (run, *parts) if len(parts) > 1 else (run,):
            digits = "".join(str(unicodedata.decimal(c)) for c in piece if c.isdecimal())
            if len(digits) >= 2:
                out.add(digits)
    return out


def question_numbers(question: str) -> set[str]:
    """The question's numbers as written (a grouped number counts whole)."""
    out: set[str] = set()
    for match in _NUMBER.finditer(question):
        digits = "".join(str(unicodedata.decimal(c)) for c in match.group() if c.isdecimal())
        if len(digits) >= 2:
            out.add(digits)
    return out


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
