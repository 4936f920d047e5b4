"""Digests: the new stories of a period (or of a topic within it), one line each with its date
and a citation link; written by the model in the reader's language when one is configured, a
dated list of headlines otherwise. Copies of a story are already merged at ingest, so each story
appears once, with the outlets that also published it."""

from __future__ import annotations

import asyncio
import html
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from prompts import Trusted, render
from retrieval.dates import describe_date, parse_moment
from retrieval.ids import chunk_id
from retrieval.index.duplicates import also_published, says
from retrieval.index.parts import Index
from retrieval.languages import name as language_name
from retrieval.llm.citations import check_citations, strip_reasoning
from retrieval.llm.client import ChatModel, LLMError
from retrieval.search.hybrid import Filters, search
from retrieval.shelves import PUBLIC
from retrieval.strings import text
from retrieval.types import Answer, Citation

log = logging.getLogger(__name__)

MAX_STORIES = 12
PERIODS = {"today": timedelta(hours=24), "week": timedelta(days=7)}


@dataclass
class Story:
    number: int
    article_id: str
    title: str
    url: str
    date: str  # as stored ("" when undated: the time it was ingested is used to place it)
    lang: str
    lead: str  # the first sentences, for the model
    also: list[dict[str, str]] = field(default_factory=list)
    shelf: str = PUBLIC

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "article_id": self.article_id, "title": self.title,
                "url": self.url, "date": self.date, "lang": self.lang, "shelf": self.shelf,
                "also_published": self.also}  # fmt: skip


@dataclass
class Digest:
    since: datetime
    until: datetime
    language: str
    stories: list[Story]
    text: str
    mode: str  # "llm" | "list"
    topic: str = ""

    def as_answer(self) -> Answer:
        """The digest in the shape every front end already renders: text with [n], sources."""
        from babel.dates import format_date, format_time

        from retrieval.dates import locale_of

        loc = locale_of(self.language)
        since = (f"{format_date(self.since, format='medium', locale=loc)} "
                 f"{format_time(self.since, format='short', locale=loc)}")  # fmt: skip
        key = "digest_header" if self.stories else "digest_empty"
        head = text(key, self.language).format(since=since)
        body = f"{head}\n\n{self.text}" if self.stories else head
        citations = [
            Citation(s.number, s.article_id, chunk_id(s.article_id, 0), s.title, s.url, s.date,
                     s.lead[:200],
                     tuple((a["url"], a["title"]) for a in s.also), shelf=s.shelf)
            for s in self.stories
        ]  # fmt: skip
        return Answer(self.topic or "digest", body, self.language, bool(self.stories),
                      citations, "llm" if self.mode == "llm" else "extractive")  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(),
                "language": self.language, "topic": self.topic, "mode": self.mode,
                "text": self.text, "stories": [s.to_json() for s in self.stories]}  # fmt: skip


def stories(
    index: Index, since: datetime, until: datetime, topic: str = "", limit: int = MAX_STORIES,
    shelves: tuple[str, ...] = (),
) -> list[Story]:  # fmt: skip
    """Stories published (or, undated, ingested) in [since, until], newest first; with a topic,
    those of the period that search finds for it, best first. Only of `shelves`, when given."""
    on_shelves, args = (
        (" AND shelf IN :shelves", {"shelves": list(shelves)}) if shelves else ("", {})
    )
    rows = index.catalog.query(
        "SELECT article_id, title, url, date, lang, text, updated_at, shelf FROM articles "
        f"WHERE state='ready'{on_shelves}",
        args,
    )
    placed = []
    for r in rows:
        ingested = datetime.fromtimestamp(r["updated_at"], UTC)
        moment = parse_moment(r["date"]) or ingested
        # A bare day (how dates are stored) may be any time of that day: it counts as when it
        # was ingested, within that day. (Taken as midnight, yesterday evening's story fell out
        # of a 24-hour digest asked just after midnight; taken as the whole day, it was posted
        # again by the next day's digest.) One fixed moment: consecutive digests list it once.
        if moment.time() == time(0) and len(r["date"].strip()) == 10:
            moment = min(moment + timedelta(days=1, seconds=-1), max(moment, ingested))
        if since <= moment <= until:
            placed.append((moment, r))
    placed.sort(key=lambda p: p[0], reverse=True)
    if topic.strip() and placed:
        f = Filters(
            date_from=since.date().isoformat(), date_to=until.date().isoformat(), shelves=shelves
        )
        hits = search(index, topic, max(limit, 5), filters=f).hits
        wanted = list(dict.fromkeys(h.chunk.article_id for h in hits))
        by_id = {r["article_id"]: (m, r) for m, r in placed}
        placed = [by_id[a] for a in wanted if a in by_id]
    placed = placed[:limit]
    copies = also_published(index.catalog, [r["article_id"] for _, r in placed])
    stories = []
    for n, (_, r) in enumerate(placed, 1):
        lead = " ".join(r["text"].split())[:400]
        opening = lead.split(". ")[0]  # a copy is named when its own text opens the same way
        also = [{k: c[k] for k in ("url", "title", "date")}  # the copy's text stays inside
                for c in copies.get(r["article_id"], []) if says(c["text"], opening)]  # fmt: skip
        stories.append(Story(n, r["article_id"], r["title"], r["url"], r["date"], r["lang"],
                             lead, also, r["shelf"]))  # fmt: skip
    return stories


def period(name_or_since: str, now: datetime) -> datetime:
    """'today' (24 h), 'week' (7 days), an ISO date, or words dateparser reads ('yesterday',
    'vor 3 Tagen'); raises ValueError for anything else."""
    key = name_or_since.strip().lower()
    if key in PERIODS:
        return now - PERIODS[key]
    moment = parse_moment(key)
    if moment is not None:
        return moment
    import dateparser

    parsed = dateparser.parse(name_or_since, settings={"RELATIVE_BASE": now.replace(tzinfo=None),
                                                       "PREFER_DATES_FROM": "past"})  # fmt: skip
    if parsed is None:
        raise ValueError(f"cannot read {name_or_since!r} as a time (try today, week, 2026-11-30)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def digest(
    index: Index, llm: ChatModel | None, since: datetime, lang: str, topic: str = "",
    now: datetime | None = None, shelves: tuple[str, ...] = (),
) -> Digest:  # fmt: skip
    """The digest of [since, now] (of `topic` within it), from `shelves` only when given."""
    now = now or datetime.now(UTC)
    found = await asyncio.to_thread(
        stories, index, since, now, topic, MAX_STORIES, shelves
    )  # search: off the loop
    if not found:
        return Digest(since, now, lang, [], "", "list", topic)
    if llm is not None:
        try:
            text = await _written(llm, found, lang, since, now)
            if text:
                return Digest(since, now, lang, found, text, "llm", topic)
        except LLMError as exc:
            log.warning("digest as a list: %s", exc)
    return Digest(since, now, lang, found, headline_list(found, lang, now), "list", topic)


async def _written(llm: ChatModel, found: list[Story], lang: str, since: datetime,
                   now: datetime) -> str:  # fmt: skip
    blocks = "\n".join(
        f'<story n="{s.number}" date="{html.escape(s.date)}">{html.escape(s.title)}: '
        f"{html.escape(s.lead)}</story>"
        for s in found
    )
    prompt = render("digest", language_name=language_name(lang), language_code=lang,
                    max_lines=len(found), stories=Trusted(blocks),
                    period=f"{since.date().isoformat()} to {now.date().isoformat()}")  # fmt: skip
    reply = strip_reasoning(await llm.complete([{"role": "user", "content": prompt}], 600))
    checked = check_citations(reply, len(found))
    return checked.text.strip() if checked.used else ""


def headline_list(found: list[Story], lang: str, now: datetime) -> str:
    lines = []
    for s in found:
        when = describe_date(s.date, lang, now)
        lines.append(f"• {s.title}" + (f" · {when}" if when else "") + f" [{s.number}]")
    return "\n".join(lines)


async def whats_new(llm: ChatModel, story: str, title: str, text: str, lang: str) -> str:
    """One sentence, in `lang`, of what an article adds to a followed story, cited [1]; "" when
    the model gives no cited sentence (the caller shows the article's opening instead)."""
    block = (f'<source n="1" title="{html.escape(" ".join(title.split()))}">'
             f"{html.escape(text[:3000])}</source>")  # fmt: skip
    prompt = render("whats_new", story=story, language_name=language_name(lang),
                    language_code=lang, source=Trusted(block))  # fmt: skip
    try:
        reply = strip_reasoning(await llm.complete([{"role": "user", "content": prompt}], 160))
    except LLMError as exc:
        log.info("what is new, without the model: %s", exc)
        return ""
    checked = check_citations(reply, 1)
    sentence = " ".join(checked.text.split())
    return sentence if checked.used and len(sentence) <= 400 else ""
