"""Time in a question ("this week", "gestern", "в прошлом месяце", "上周", "en 2015") as a date
window for search, read by dateparser in the question's language; and whether the question
asks for the newest stories ("latest", "neueste", "последние").

dateparser finds dates in ordinary words too ("Lei Jun" holds June). A phrase is taken only when
it is relative (its date moves with today's) or holds a number (a year, a day): a bare month
name is not enough.
"""

from __future__ import annotations

import calendar
import functools
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)

# Words that ask for the newest stories, per language (dateparser has no notion of "latest").
LATEST = {
    "en": {"latest", "newest", "recent", "most recent", "last news"},
    "de": {"neueste", "neuesten", "neuester", "neuestes", "aktuelle", "aktuellen", "jüngste",
           "jüngsten"},
    "fr": {"dernières", "derniers", "dernière", "récentes", "récents", "récent"},
    "es": {"últimas", "últimos", "última", "recientes", "reciente"},
    "it": {"ultime", "ultimi", "ultima", "recenti"},
    "pt": {"últimas", "últimos", "recentes", "recente"},
    "nl": {"laatste", "nieuwste", "recente"},
    "pl": {"najnowsze", "najnowszy", "ostatnie", "najświeższe"},
    "ru": {"последние", "последних", "последняя", "свежие", "новейшие", "последние новости"},
    "uk": {"останні", "останніх", "свіжі", "найновіші"},
    "tr": {"son", "en son", "en yeni"},
    "ar": {"أحدث", "آخر"},
    "zh": {"最新", "最近"},
    "ja": {"最新", "最近"},
    "ko": {"최신", "최근"},
}  # fmt: skip
_CJK = {"zh", "ja", "ko"}
MAX_NGRAM = 4
MAX_WORDS = 40  # a question's time words come early; a pasted text is not scanned whole
MAX_CHARS = 600


@dataclass(frozen=True)
class TimeWindow:
    date_from: str  # YYYY-MM-DD, inclusive
    date_to: str
    phrase: str  # the words of the question that set it


def find_window(question: str, lang: str, now: datetime) -> TimeWindow | None:
    """The period the question asks about, or None (searched as today, unfiltered)."""
    lang = (lang or "").split("-")[0].lower()
    try:
        phrases = _phrases(question, lang, now)
    except Exception:  # dateparser on an odd input: no window rather than no answer
        log.debug("no time window read from %r", question, exc_info=True)
        return None
    for phrase in phrases:
        found = _parse(phrase, lang, now)
        if found is None:
            continue
        moment, period = found
        if not (any(ch.isdigit() for ch in phrase) or _moves(phrase, lang, now, moment)):
            continue
        start, end = _span(moment.date(), period)
        end = min(end, now.date())
        if period == "week" and end == now.date():  # "this week" on a Monday: the last 7 days
            start = min(start, end - timedelta(days=6))
        if start > end:
            continue
        return TimeWindow(start.isoformat(), end.isoformat(), phrase)
    return None


def wants_latest(question: str, lang: str) -> bool:
    words = LATEST.get((lang or "").split("-")[0].lower(), set()) | LATEST["en"]
    low = question.casefold()
    if lang in _CJK:
        return any(w in low for w in words)
    tokens = re.findall(r"\w+", low)
    text = " ".join(tokens)
    return any(f" {w} " in f" {text} " for w in words)


def _phrases(question: str, lang: str, now: datetime) -> list[str]:
    """Candidates: what dateparser's search finds, then the question's word n-grams (its
    search misses some phrases its parser reads, e.g. Russian "в прошлом месяце"); only
    those that hold a number or a time word of the language (most questions hold neither,
    and are never given to dateparser)."""
    from dateparser.search import search_dates

    question = question[:MAX_CHARS]
    if not names_time(question, lang):
        return []
    found = search_dates(question, languages=_langs(lang), settings=_settings(now)) or []
    out = [sub.strip() for sub, _ in found]
    words = re.findall(r"[^\s?!.,;:¿¡()\"'«»“”„]+", question)[:MAX_WORDS]
    for n in range(MAX_NGRAM, 0, -1):
        out += [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    return list(dict.fromkeys(p for p in out if p and names_time(p, lang)))


def names_time(text: str, lang: str) -> bool:
    """Can `text` name a time in `lang` at all: a digit, or one of the language's time words
    (a language dateparser does not know: it may)."""
    if any(ch.isdigit() for ch in text):
        return True
    words = _time_words(lang)
    if words is None:
        return True
    low = text.casefold()
    if any(w in words for w in re.findall(r"\w+", low)):
        return True
    return any(w in low for w in words if _UNSPACED.search(w))


_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f\uac00-\ud7af]")
_UNITS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
          "friday", "saturday", "sunday", "year", "month", "week", "day", "hour", "minute",
          "second")  # fmt: skip


@functools.cache
def _time_words(lang: str) -> frozenset[str] | None:
    """The words that can name a time in `lang`, from dateparser's own locale data: month and
    weekday names, units, and the words of its relative expressions ("gestern", "месяце",
    "上周"), without the language's stop words; None for a language it does not know."""
    if lang not in _known_languages():
        return None
    from dateparser.languages.loader import default_loader

    from retrieval.text.analysis import stop_words

    info = default_loader.get_locale(lang).info
    values = [v for key in _UNITS for v in info.get(key, [])]
    values += [v for phrases in (info.get("relative-type") or {}).values() for v in phrases]
    stops = stop_words(lang)
    out = set()
    for value in values:
        for w in re.findall(r"\w+", str(value).casefold()):
            if w not in stops and (len(w) >= 3 or _UNSPACED.search(w)) and not w.isdigit():
                out.add(w)
    return frozenset(out)


def _parse(phrase: str, lang: str, now: datetime) -> tuple[datetime, str] | None:
    # One parser per language and hour (building one costs far more than a parse).
    data = _parser(lang, now.replace(minute=0, second=0, microsecond=0)).get_date_data(phrase)
    if data.date_obj is None:
        return None
    return data.date_obj, data.period or "day"


def _parse_period(phrase: str, lang: str, now: datetime) -> str:
    found = _parse(phrase, lang, now)
    return found[1] if found else "day"


def _moves(phrase: str, lang: str, now: datetime, moment: datetime) -> bool:
    """Relative: read as of nine days earlier (or later, early in a year), the date moves."""
    shift = timedelta(days=9) if now.timetuple().tm_yday > 15 else timedelta(days=-9)
    other = _parse(phrase, lang, now - shift)
    if other is None:
        return False
    # Compared as periods: "Jun" takes its day from today's, and still means one June.
    return _span(other[0].date(), other[1]) != _span(
        moment.date(), _parse_period(phrase, lang, now)
    )


def _span(day: date, period: str) -> tuple[date, date]:
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if period == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day


def _langs(lang: str) -> list[str] | None:
    known = _known_languages()
    return [lang] if lang in known else None


@functools.cache
def _known_languages() -> frozenset[str]:
    from dateparser.languages.loader import default_loader

    return frozenset(default_loader.get_locale_map().keys())


def _settings(now: datetime) -> dict[str, Any]:
    return {"RELATIVE_BASE": now.replace(tzinfo=None), "PREFER_DATES_FROM": "past",
            "RETURN_TIME_AS_PERIOD": True}  # fmt: skip


@functools.lru_cache(maxsize=64)
def _parser(lang: str, now: datetime) -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(languages=_langs(lang), settings=_settings(now))
