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

# digits, optionally grouped by thousands (not by a plain space: "in 2015 200 people" is two;
# Arabic groups with its own comma and separator, "11،600", "٧٤٬٠٠٠")
_NUMBER = re.compile(r"\d+(?:[,.'\u00a0\u2009\u202f\u060c\u066c]\d{3}(?!\d))*")


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
    """Every number of two or more digits in `text`, in ASCII digits, grouped and ungrouped, and
    the value of every Roman numeral of ten or more (an article's "Super Bowl XXXIII" is the
    "第 33 届超级碗" a Chinese question names)."""
    out = _runs(text, parts=True)
    for m in _ROMAN.finditer(text):
        value = _roman(m.group())
        if value >= 10:
            out.add(str(value))
    return out


# "74 000", "11 600": digits grouped by a plain space, as Russian or French write them; a year
# is four digits, so "in 2015 200 people" stays two numbers.
_SPACED = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?!\d)")


def space_grouped(text: str) -> str:
    """`text` (digits in ASCII) with numbers grouped by a plain space written whole."""
    return _SPACED.sub(lambda m: m.group().replace(" ", ""), ascii_digits(text))


def question_numbers(question: str) -> set[str]:
    """The question's numbers as written (a grouped number counts whole)."""
    return _runs(question, parts=False)


def without_numbers(text: str, drop: Iterable[str]) -> str:
    """`text` (digits in ASCII) without the numbers in `drop` (as `question_numbers` gives them)."""
    dropped = set(drop)
    if not dropped:
        return text
    return _NUMBER.sub(
        lambda m: "" if re.sub(r"\D", "", m.group()) in dropped else m.group(), ascii_digits(text)
    )


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


_ROMAN = re.compile(r"\b[MDCLXVI]{2,}\b")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _roman(numeral: str) -> int:
    """The value of a well-formed Roman numeral, else 0."""
    values = [_ROMAN_VALUES[c] for c in numeral]
    total = sum(-v if v < w else v for v, w in zip(values, [*values[1:], 0], strict=True))
    return total if total > 0 and _to_roman(total) == numeral else 0


def _to_roman(value: int) -> str:
    out = ""
    for v, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                   (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):  # fmt: skip
        while value >= v:
            out += sym
            value -= v
    return out
