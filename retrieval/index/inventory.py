"""What the index holds: the article list, its size and configuration, and a consistency check
of catalog against vectors. Reads only."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_interval
from babel.lists import format_list

from retrieval.dates import iso_day, locale_of
from retrieval.index.parts import Index
from retrieval.index.sql import schema_name
from retrieval.strings import text


def sources(index: Index, shelves: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The ready articles (`footnote sources --json`), of `shelves` when given."""
    return [
        {
            "article_id": r["article_id"],
            "title": r["title"],
            "lang": r["lang"],
            "date": r["date"],
            "chunks": r["chunks"],
            "url": r["url"],
            "source": r["source"],
            "shelf": r["shelf"],
        }
        for r in index.catalog.articles()
        if r["state"] == "ready" and (not shelves or r["shelf"] in shelves)
    ]


def stats(index: Index) -> dict[str, Any]:
    """`footnote stats --json`."""
    s = index.settings
    counts = index.catalog.counts()
    started = time.perf_counter()
    vectors = index.store.count()
    return {
        **counts,
        "vectors": vectors,
        "languages": index.catalog.languages(),
        "embedder": index.embedder.name,
        "store": f"chroma server {s.chroma_host}:{s.chroma_port}"
        if s.chroma_server
        else f"chroma on disk at {s.data_dir / 'chroma'}",
        "catalog": f"postgresql schema {schema_name(s.collection)}"
        if index.catalog.shared
        else f"sqlite at {s.data_dir / 'catalog.sqlite3'}",
        "data_dir": str(s.data_dir),
        "generation": index.catalog.generation(),
        "reindex_unfinished": index.catalog.get_meta("reindex") == "running",
        "store_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def verify(index: Index) -> dict[str, Any]:
    """Every chunk has exactly one vector and vice versa, and nothing is left half-written."""
    index.refresh()
    catalog_ids = {r["chunk_id"] for r in index.catalog.iter_chunk_rows()}
    vector_ids = index.store.all_ids()
    return {
        "ok": catalog_ids == vector_ids and not index.catalog.pending(),
        "chunks": len(catalog_ids),
        "vectors": len(vector_ids),
        "vectors_without_chunk": sorted(vector_ids - catalog_ids)[:20],
        "chunks_without_vector": sorted(catalog_ids - vector_ids)[:20],
        "pending_articles": [r["article_id"] for r in index.catalog.pending()],
    }


@dataclass(frozen=True)
class Holdings:
    """What the articles cover, for a "not covered" answer: a user can tell whether to rephrase
    or to look elsewhere."""

    articles: int
    first: date | None
    last: date | None
    languages: tuple[str, ...]  # most articles first

    def describe(self, lang: str) -> str:
        """'Articles I have: 2 · Jun 1, 2020 – Dec 27, 2025 · German, English', in `lang`."""
        locale = locale_of(lang)
        parts = [f"{text('holdings', lang)}: {self.articles}"]
        if self.first and self.last:
            parts.append(format_interval(self.first, self.last, "yMMMd", locale=locale))
        names = [_language_name(code, locale) for code in self.languages[:6]]
        if names:
            try:
                parts.append(format_list(names, locale=locale))
            except (KeyError, ValueError):  # a locale without list patterns
                parts.append(", ".join(names))
        return " · ".join(parts)


def holdings(index: Index, shelves: tuple[str, ...] = ()) -> Holdings:
    """Per language: how many ready articles (of `shelves`, when given), and their earliest and
    latest date."""
    on_shelves, args = (
        (" AND shelf IN :shelves", {"shelves": list(shelves)}) if shelves else ("", {})
    )
    rows = index.catalog.query(
        "SELECT lang, COUNT(*) n, MIN(NULLIF(date, '')) first, MAX(NULLIF(date, '')) last "
        f"FROM articles WHERE state='ready'{on_shelves} GROUP BY lang ORDER BY n DESC",
        args,
    )
    days = [d for r in rows for d in (_day(r["first"]), _day(r["last"])) if d is not None]
    return Holdings(
        articles=sum(int(r["n"]) for r in rows),
        first=min(days, default=None),
        last=max(days, default=None),
        languages=tuple(r["lang"] for r in rows if r["lang"]),
    )


def _day(value: str | None) -> date | None:
    """A stored date as a calendar day; None for none or for one that is not a real day."""
    try:
        return date.fromisoformat(iso_day(value or ""))
    except ValueError:
        return None


def _language_name(code: str, locale: Locale) -> str:
    try:
        return str(locale.languages.get(code) or Locale.parse(code).get_display_name(locale))
    except (UnknownLocaleError, ValueError, TypeError):
        return code if code.isalpha() and len(code) <= 3 else "?"
