"""Feeds and what each poll left behind, in the catalog's database: the feed list with its
state (last poll and success, error and its count, articles added, validators for conditional
requests) and the entries already taken, so a re-poll stores nothing new."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from retrieval.index.catalog import Catalog
from retrieval.index.sql import upsert
from retrieval.shelves import PUBLIC

_FEEDS = (
    "SELECT f.*, COALESCE(s.ignore_robots, 0) AS ignore_robots, "
    "COALESCE(s.shelf, 'public') AS shelf FROM feeds f "
    "LEFT JOIN feed_settings s ON s.feed_id = f.feed_id"
)
RETRY_FIRST_S = 30 * 60  # an entry that failed is tried again after 30 min, then 1 h, 2 h...
RETRY_MAX_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Failing:
    """An entry that could not be read: tried again at `retry_at`, after the live entries."""

    version: str
    failures: int
    retry_at: float


@dataclass
class Feed:
    feed_id: int
    url: str
    kind: str
    title: str
    every_minutes: int
    etag: str
    last_modified: str
    added_at: float
    last_poll: float
    last_success: float
    next_poll: float
    error: str
    errors: int
    reported: int
    articles: int
    ignore_robots: int = 0  # the owner chose to fetch this feed's pages whatever robots.txt says
    shelf: str = PUBLIC  # where its articles go

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("etag", "last_modified", "reported"):
            out.pop(name)
        for name in ("added_at", "last_poll", "last_success", "next_poll"):
            out[name] = _iso(out[name])
        out["ignore_robots"] = bool(out["ignore_robots"])
        return out


def _iso(ts: float) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts else None


class FeedStore:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog  # its tables are the catalog's (tables.py)

    def add(
        self,
        url: str,
        kind: str,
        title: str,
        every_minutes: int,
        ignore_robots: bool = False,
        shelf: str = PUBLIC,
    ) -> Feed:
        existing = self.by_url(url)
        if existing is not None:
            return existing
        self.catalog.transact(
            [
                (
                    "INSERT INTO feeds (url, kind, title, every_minutes, added_at) "
                    "VALUES (:url, :kind, :title, :every, :now)",
                    {
                        "url": url,
                        "kind": kind,
                        "title": title,
                        "every": every_minutes,
                        "now": time.time(),
                    },
                )
            ]
        )
        feed = self.by_url(url)
        assert feed is not None
        if ignore_robots or shelf != PUBLIC:
            row = {"feed_id": feed.feed_id, "ignore_robots": int(ignore_robots), "shelf": shelf}
            self.catalog.transact([upsert("feed_settings", ["feed_id"], row)])
            feed = replace(feed, ignore_robots=int(ignore_robots), shelf=shelf)
        return feed

    def by_url(self, url: str) -> Feed | None:
        rows = self.catalog.query(f"{_FEEDS} WHERE f.url=:url", {"url": url})
        return Feed(**dict(rows[0])) if rows else None

    def get(self, feed_id: int) -> Feed | None:
        rows = self.catalog.query(f"{_FEEDS} WHERE f.feed_id=:f", {"f": feed_id})
        return Feed(**dict(rows[0])) if rows else None

    def all(self) -> list[Feed]:
        return [Feed(**dict(r)) for r in self.catalog.query(f"{_FEEDS} ORDER BY f.feed_id")]

    def due(self, now: float) -> list[Feed]:
        rows = self.catalog.query(
            f"{_FEEDS} WHERE f.next_poll <= :now ORDER BY f.next_poll, f.feed_id", {"now": now}
        )
        return [Feed(**dict(r)) for r in rows]

    def remove(self, feed_id: int) -> bool:
        """Stops polling; the articles it brought stay in the index (forget removes those)."""
        if self.get(feed_id) is None:
            return False
        self.catalog.transact(
            [
                (f"DELETE FROM {t} WHERE feed_id=:f", {"f": feed_id})
                for t in ("feed_items", "feed_failures", "feed_settings", "feeds")
            ]
        )
        return True

    def update(self, feed_id: int, **values: Any) -> None:
        allowed = set(Feed.__dataclass_fields__) - {"feed_id", "url", "added_at"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown feed fields {sorted(unknown)}")
        cols = ", ".join(f"{k}=:{k}" for k in values)  # names checked above
        self.catalog.transact(
            [(f"UPDATE feeds SET {cols} WHERE feed_id=:feed_id", {**values, "feed_id": feed_id})]
        )

    def seen_versions(self, feed_id: int) -> dict[str, str]:
        rows = self.catalog.query(
            "SELECT item_key, version FROM feed_items WHERE feed_id=:f", {"f": feed_id}
        )
        return {r["item_key"]: r["version"] for r in rows}

    def mark_seen(self, feed_id: int, items: list[tuple[str, str, str]]) -> None:
        """(key, version, article_id) of entries taken this poll."""
        now = time.time()
        self.catalog.transact(
            [
                upsert(
                    "feed_items",
                    ["feed_id", "item_key"],
                    {
                        "feed_id": feed_id,
                        "item_key": key,
                        "version": version,
                        "article_id": aid,
                        "seen_at": now,
                    },
                )
                for key, version, aid in items
            ]
            + [
                (
                    "DELETE FROM feed_failures WHERE feed_id=:f AND item_key=:k",
                    {"f": feed_id, "k": key},
                )
                for key, _, _ in items
            ]
        )

    def forget_article(self, article_id: str) -> None:
        self.catalog.transact([("DELETE FROM feed_items WHERE article_id=:a", {"a": article_id})])

    def failing(self, feed_id: int) -> dict[str, Failing]:
        rows = self.catalog.query(
            "SELECT item_key, version, failures, retry_at FROM feed_failures WHERE feed_id=:f",
            {"f": feed_id},
        )
        return {r["item_key"]: Failing(r["version"], r["failures"], r["retry_at"]) for r in rows}

    def mark_failed(self, feed_id: int, items: list[tuple[str, str]], now: float) -> None:
        """(key, version) of entries that failed this poll: each waits twice as long as the
        last time before it is tried again (a new version of the entry starts over)."""
        before = self.failing(feed_id)
        statements = []
        for key, version in items:
            old = before.get(key)
            failures = old.failures + 1 if old is not None and old.version == version else 1
            wait = min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** min(failures - 1, 20))
            row = {"feed_id": feed_id, "item_key": key, "version": version,
                   "failures": failures, "retry_at": now + wait}  # fmt: skip
            statements.append(upsert("feed_failures", ["feed_id", "item_key"], row))
        if statements:
            self.catalog.transact(statements)


def describe_feed(f: Feed) -> str:
    """One feed in a line or two (`footnote feeds list` and the bot's /feeds)."""
    last = f"last success {_when(f.last_success)}" if f.last_success else "not polled yet"
    line = (
        f"{f.feed_id}  {f.kind}  every {f.every_minutes} min  {last}  "
        f"{f.articles} articles  {f.url}" + (f"  shelf {f.shelf}" if f.shelf != PUBLIC else "")
    )
    if f.errors:
        line += f"\n   failing ({f.errors}x, next try {_when(f.next_poll)}): {f.error}"
    return line


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))
