"""The door: what a loader brings (a file, a JSON record, a page, a feed entry, a channel post, an
upload) says things about itself — its language, its date, its title and address — and none of
it is trusted raw. Each value is checked here, once, before anything is stored; a value that
fails is dropped (the language is then detected, the date left empty) with a warning for the
ingest report. Renderers still survive a bad stored value (an earlier release, another tool).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from functools import cache
from urllib.parse import urlsplit, urlunsplit

import regex
from babel import Locale, UnknownLocaleError

from retrieval.dates import iso_day
from retrieval.languages import NAMES, normalize

EARLIEST = date(1800, 1, 1)  # older "news" is a wrong date, not an archive
AHEAD = timedelta(days=1)  # a story dated tomorrow is a time zone; later is a wrong date
TITLE_CHARS = 300
URL_CHARS = 2048

# Control and format characters: newlines, bidirectional overrides and isolates (U+202A-202E,
# U+2066-2069), zero-width characters, line and paragraph separators.
_INVISIBLE = regex.compile(r"[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+")
_SPACES = regex.compile(r"\s+")
_CODE = re.compile(r"[a-z]{2,3}")


def one_line(value: object, limit: int = TITLE_CHARS) -> str:
    """A title or name as one plain line: no control or direction characters, spaces collapsed."""
    text = value if isinstance(value, str) else ""
    return _SPACES.sub(" ", _INVISIBLE.sub(" ", text)).strip()[:limit]


@cache
def language_code(value: str) -> str:
    """A known language code ('pt-BR' -> 'pt'), or '' for anything else."""
    code = normalize(one_line(value, 35))
    if not _CODE.fullmatch(code):
        return ""
    if code in NAMES:
        return code
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return ""
    return code


def calendar_date(value: object, now: datetime | None = None) -> str:
    """A real calendar date in a sane range, as `YYYY-MM-DD` (or with its time, as given in ISO
    form); '' for anything else: no 31 February, nothing before 1800 or after tomorrow."""
    text = one_line(value, 64)
    day = iso_day(text)
    if not day:
        return ""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return ""
    today = (now or datetime.now(UTC)).date()
    if not EARLIEST <= parsed <= today + AHEAD:
        return ""
    rest = text[10:]
    if rest[:1] in ("T", " ") and len(text) > 10:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return day
        return moment.isoformat()
    return day


def web_address(value: object) -> str:
    """An http(s) address with a host, without invisible characters; '' for anything else."""
    text = _INVISIBLE.sub("", value if isinstance(value, str) else "").strip()
    if not text or len(text) > URL_CHARS:
        return ""
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not host:
        return ""
    return urlunsplit(parts._replace(scheme=parts.scheme.lower()))


def checked(
    title: str, url: str, day: str, lang: str, now: datetime | None = None
) -> tuple[tuple[str, str, str, str], list[str]]:
    """(title, url, date, lang) as they may be stored, and a warning for each value dropped."""
    warnings = []
    safe_title = one_line(title)
    safe_url = web_address(url)
    if url.strip() and not safe_url:
        warnings.append(f"address {one_line(url, 80)!r} is not an http(s) URL: ignored")
    safe_date = calendar_date(day, now)
    if day.strip() and not safe_date:
        warnings.append(f"date {one_line(day, 40)!r} is not a real date in range: ignored")
    safe_lang = language_code(lang)
    if lang.strip() and not safe_lang:
        warnings.append(f"language {one_line(lang, 40)!r} is not a language code: detected instead")
    return (safe_title, safe_url, safe_date, safe_lang), warnings


MAX_INT_DIGITS = 40


def _number(digits: str) -> int | str:
    """A JSON integer as an int while it is a plausible number, else as its text (Python
    refuses to convert more than 4,300 digits, and nothing we read needs more than a few)."""
    return int(digits) if len(digits.lstrip("-")) <= MAX_INT_DIGITS else digits


def json_data(text: str | bytes) -> object:
    """`json.loads` for JSON someone else wrote (a record file, a model's reply): a number of
    thousands of digits is kept as text instead of raising."""
    try:
        return json.loads(text, parse_int=_number)
    except RecursionError:  # [[[[…]]]] nested a hundred thousand deep
        raise json.JSONDecodeError("nested too deeply", str(text)[:40], 0) from None
