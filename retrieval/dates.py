"""Article dates: one representation (ISO `YYYY-MM-DD`, optionally with a time) and one way to turn
it into the number Chroma filters on."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_timedelta

_ISO_DAY = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def iso_day(value: str) -> str:
    """'2024-01-02', '2024/1/2', '2024-01-02T08:00:00Z' -> '2024-01-02'; '' if no valid day."""
    m = _ISO_DAY.match(value or "")
    if not m:
        return ""
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return ""
    return f"{y:04d}-{mo:02d}-{d:02d}"


def date_num(value: str) -> int:
    """YYYYMMDD as an int for range filters; 0 when the value holds no date."""
    day = iso_day(value)
    if day:
        return int(day.replace("-", ""))
    digits = "".join(ch for ch in (value or "") if ch.isdigit())[:8]
    return int(digits.ljust(8, "0")) if len(digits) >= 4 else 0


def parse_moment(value: str) -> datetime | None:
    """An article's date as an aware datetime (midnight UTC for a bare day); None if undated."""
    value = (value or "").strip()
    if not value or not iso_day(value):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.fromisoformat(iso_day(value))
        except ValueError:  # "2026-02-31" stored by an earlier release: shown as undated
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


AGE_SHOWN_FOR = timedelta(days=60)  # older than this, the date alone says enough


def describe_date(value: str, lang: str, now: datetime | None = None) -> str:
    """'1 Dec 2026 · 2 days ago' / '1. Dez. 2026 · vor 2 Tagen' in the reader's language; ''
    for an undated article (nothing rather than a wrong date)."""
    moment = parse_moment(value)
    if moment is None:
        return ""
    locale = locale_of(lang)
    day = format_date(moment.date(), format="medium", locale=locale)
    now = now or datetime.now(UTC)
    if len(value.strip()) <= 10:  # a bare day: whole days old, not "1.5 days rounded up"
        moment = datetime.combine(moment.date(), now.timetz())
    age = now - moment
    if timedelta(0) <= age <= AGE_SHOWN_FOR:
        if age < timedelta(hours=1):
            return day
        ago = format_timedelta(-age, add_direction=True, threshold=1.0, locale=locale)
        return f"{day} · {ago}"
    return day


def locale_of(lang: str) -> Locale:
    try:
        return Locale.parse(lang or "en")
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")
