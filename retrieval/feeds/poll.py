"""Feeds and sitemaps as sources that keep the corpus current.

Adding a feed reads it once (a page URL is replaced by the feed it advertises). A poll asks with
the validators of the last answer (a 304 costs nothing more), takes only new or changed entries,
newest first and at most FOOTNOTE_FEED_MAX_PER_POLL, fetches each entry's page through the
guarded fetcher (falling back to the feed's own text) with a pause between requests to one
host, and ingests them in one batch. A failing feed backs off and is reported once.
One poll round at a time across processes (a lock file beside the write lock).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from protego import Protego

from retrieval.errors import IndexBusyError, InputError
from retrieval.index.feed_table import Failing, Feed, FeedStore
from retrieval.index.ingest import ingest_documents
from retrieval.index.parts import Index
from retrieval.shelves import PUBLIC, shelf_name
from retrieval.sources.feed import Entry, Parsed, parse
from retrieval.sources.fetch import USER_AGENT, Fetched, fetch
from retrieval.sources.load import LoadLimits, load_url
from retrieval.types import Document, Failure

log = logging.getLogger(__name__)

MAX_CHILD_SITEMAPS = 5  # of a sitemap index, per poll
ROBOTS_TTL_S = 3600  # a site's robots.txt is read again after an hour
REPORT_AFTER = 3  # consecutive failures before owners are told (once)
MAX_BACKOFF_S = 24 * 3600


@dataclass
class PollResult:
    feed_id: int
    url: str
    status: str = "ok"  # "ok" | "not-modified" | "failed"
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    waiting: int = 0  # new entries beyond the per-poll cap, taken next time
    backing_off: int = 0  # entries that failed before, waiting for their next try
    failed: list[Failure] = field(default_factory=list)
    error: str = ""
    requests: int = 0
    ms: float = 0.0
    report: bool = False  # the feed keeps failing: tell the owners (only this once)

    def to_json(self) -> dict[str, Any]:
        return {
            "feed_id": self.feed_id, "url": self.url, "status": self.status,
            "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
            "waiting": self.waiting, "backing_off": self.backing_off, "error": self.error,
            "requests": self.requests,
            "ms": round(self.ms, 1),
            "failed": [{"source": f.source, "reason": f.reason} for f in self.failed],
        }  # fmt: skip


class Feeds:
    def __init__(
        self,
        index: Index,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        stop: threading.Event | None = None,
    ) -> None:
        """`stop`, once set, ends a poll between two requests (a shutting-down bot): what was
        not taken yet is taken by the next poll."""
        self.index = index
        self.stop = stop or threading.Event()
        self.settings = index.settings
        self.store = FeedStore(index.catalog)
        self.limits = LoadLimits.from_settings(index.settings)
        self._sleep, self._clock = sleep, clock
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, tuple[float, Protego | None]] = {}

    # --- add / list / remove --------------------------------------------------------------------
    def add(
        self,
        url: str,
        every_minutes: int | None = None,
        ignore_robots: bool = False,
        shelf: str = PUBLIC,
    ) -> tuple[Feed, bool]:
        """Register a feed (or the feed a page advertises); (feed, newly added). With
        `ignore_robots` its pages are fetched whatever the sites' robots.txt say; its articles
        go on `shelf`."""
        shelf = shelf_name(shelf)
        every = every_minutes or self.settings.feed_every_minutes
        if every < 1:
            raise InputError("--every must be at least 1 minute")
        url = url.strip()
        existing = self.store.by_url(url)
        if existing is not None:
            return existing, False
        got = self._fetch(url)
        parsed = parse(got.content, got.url, got.content_type)
        if parsed.kind == "html":
            url, parsed = self._advertised(url, parsed)
            existing = self.store.by_url(url)
            if existing is not None:
                return existing, False
        if parsed.kind not in ("rss", "atom", "sitemap", "sitemapindex"):
            raise InputError(f"{url}: not an RSS/Atom feed, a sitemap, or a page advertising one")
        feed = self.store.add(url, parsed.kind, parsed.title[:200], every, ignore_robots, shelf)
        return feed, True

    def _advertised(self, page: str, parsed: Parsed) -> tuple[str, Parsed]:
        for link in parsed.links[:5]:
            try:
                got = self._fetch(link)
            except InputError:
                continue
            found = parse(got.content, got.url, got.content_type)
            if found.kind in ("rss", "atom", "sitemap", "sitemapindex"):
                return link, found
        raise InputError(f"{page}: the page advertises no feed that could be read")

    def all(self) -> list[Feed]:
        return self.store.all()

    def remove(self, feed_id: int) -> bool:
        return self.store.remove(feed_id)

    def due(self) -> list[Feed]:
        return self.store.due(self._clock())

    # --- poll ---------------------------------------------------------------------------------
    def poll(self, due_only: bool = True) -> list[PollResult]:
        """One round: every due feed (or all). Raises IndexBusyError if a round is running."""
        with self.index.write_lock("feeds", 0, "feed poll"):
            now = self._clock()
            feeds = self.store.due(now) if due_only else self.store.all()
            return [self._poll_one(feed) for feed in feeds if not self.stop.is_set()]

    def _poll_one(self, feed: Feed) -> PollResult:
        res = PollResult(feed.feed_id, feed.url)
        started = time.perf_counter()
        try:
            self._poll_entries(feed, res)
        except InputError as exc:
            res.status, res.error = "failed", _reason(str(exc), feed.url)
        except IndexBusyError:
            raise  # not the feed's fault: the round ends, the next one takes these entries
        except Exception as exc:  # a feed never stops the round; the detail goes to the log
            log.exception("polling feed %s failed", feed.feed_id)
            res.status, res.error = "failed", f"internal error ({type(exc).__name__})"
        res.ms = (time.perf_counter() - started) * 1000
        self._record(feed, res)
        return res

    def _poll_entries(self, feed: Feed, res: PollResult) -> None:
        conditional = {}
        if feed.etag:
            conditional["If-None-Match"] = feed.etag
        if feed.last_modified:
            conditional["If-Modified-Since"] = feed.last_modified
        got = self._fetch(feed.url, conditional, res)
        if got.status == 304:
            res.status = "not-modified"
            return
        headers = got.headers or {}
        self.store.update(
            feed.feed_id, etag=headers.get("etag", ""),
            last_modified=headers.get("last-modified", ""),
        )  # fmt: skip
        parsed = parse(got.content, got.url, got.content_type)
        entries = self._entries(feed, parsed, res)
        seen = self.store.seen_versions(feed.feed_id)
        fresh = [e for e in entries if seen.get(e.key) != e.version]
        queue = self._queue(feed, fresh, res)
        cap = max(1, self.settings.feed_max_per_poll)
        res.waiting = max(0, len(queue) - cap)
        res.unchanged = len(entries) - len(fresh)
        self._take(feed, queue[:cap], res)

    def _queue(self, feed: Feed, fresh: list[Entry], res: PollResult) -> list[Entry]:
        """Live entries first, newest first; then the ones that failed before and whose retry
        is due, least-failed first. Fifty dead links at the top of a feed no longer starve the
        live entries below them."""
        failing = self.store.failing(feed.feed_id)
        now = self._clock()

        def failed_before(e: Entry) -> Failing | None:
            f = failing.get(e.key)
            return f if f is not None and f.version == e.version else None

        live = [e for e in fresh if failed_before(e) is None]
        retry = [e for e in fresh if (f := failed_before(e)) is not None and f.retry_at <= now]
        res.backing_off = len(fresh) - len(live) - len(retry)
        live.sort(key=lambda e: e.date, reverse=True)  # newest first; undated last
        retry.sort(key=lambda e: e.date, reverse=True)
        retry.sort(key=lambda e: failing[e.key].failures)
        return live + retry

    def _entries(self, feed: Feed, parsed: Parsed, res: PollResult) -> list[Entry]:
        if parsed.kind in ("rss", "atom", "sitemap"):
            return parsed.entries
        if parsed.kind == "sitemapindex":
            entries: list[Entry] = []
            for child in parsed.links[:MAX_CHILD_SITEMAPS]:
                got = self._fetch(child, None, res)
                entries.extend(parse(got.content, got.url, got.content_type).entries)
            return entries
        raise InputError(f"{feed.url}: no longer an RSS/Atom feed or a sitemap")

    def _take(self, feed: Feed, entries: list[Entry], res: PollResult) -> None:
        docs: list[Document | Failure] = []
        by_source: dict[str, Entry] = {}
        for entry in entries:
            if self.stop.is_set():
                break
            item = self._article(feed, entry, res)
            if isinstance(item, Document):
                item = replace(item, shelf=feed.shelf)
            docs.append(item)
            if isinstance(item, Document):
                by_source[item.source] = entry
        unread = [d for d in docs if isinstance(d, Failure)]
        if not by_source:
            res.failed.extend(unread)
            self._failed(feed, entries, {f.source for f in unread})
            return
        report = ingest_documents(self.index, docs, stop=self.stop)
        res.added, res.updated = len(report.added), len(report.updated)
        res.unchanged += len(report.unchanged)
        res.failed.extend(report.failed)
        failed = {f.source for f in report.failed}
        done = {*report.added, *report.updated, *report.unchanged}
        taken = []
        for source, entry in by_source.items():
            aid = self.index.catalog.source_article(source)
            if report.stopped and aid not in done:
                continue  # cut short by a shutdown: the next poll takes it
            if source not in failed and aid:
                taken.append((entry.key, entry.version, aid))
        self.store.mark_seen(feed.feed_id, taken)
        self._failed(feed, entries, failed | {f.source for f in unread})

    def _failed(self, feed: Feed, entries: list[Entry], sources: set[str]) -> None:
        gone = [(e.key, e.version) for e in entries if _source(e) in sources]
        self.store.mark_failed(feed.feed_id, gone, self._clock())

    def _article(self, feed: Feed, entry: Entry, res: PollResult) -> Document | Failure:
        """The entry's page through the guarded fetcher (where the site's robots.txt allows it,
        unless the owner turned that off for the feed); the feed's own text if that fails."""
        source = _source(entry)
        reason = "the entry has no link"
        if entry.url and not feed.ignore_robots and not self._robots_allow(entry.url, res):
            reason = "the site's robots.txt disallows fetching it"
        elif entry.url:
            self._pause(entry.url)
            res.requests += 1
            try:
                loaded = [d for d in load_url(entry.url, self.limits) if isinstance(d, Document)]
                if loaded:
                    doc = loaded[0]
                    return replace(
                        doc, source=source, title=doc.title or entry.title,
                        date=entry.date or doc.date,
                    )  # fmt: skip
                reason = "the page holds no article"
            except InputError as exc:
                reason = _reason(str(exc), entry.url)
            except Exception as exc:  # one page never stops a poll
                log.exception("reading %s failed", entry.url)
                reason = f"cannot read ({type(exc).__name__})"
        text = _html_text(entry.content)
        if not text:
            return Failure(source, reason)
        return Document(
            source=source, text=text, title=entry.title, url=entry.url, date=entry.date,
            key="" if entry.url else entry.key, preclean=True, fetched_from=feed.url,
            warnings=(f"page not read ({reason}): the feed's own text was used",),
        )  # fmt: skip

    def _robots_allow(self, url: str, res: PollResult) -> bool:
        """Protego reads the site's robots.txt (once an hour per site); none, or one that
        cannot be read, allows everything."""
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        known = self._robots.get(root)
        if known is None or known[0] < time.monotonic():
            rules = None
            try:
                got = self._fetch(f"{root}/robots.txt", None, res)
                if got.status == 200:
                    rules = Protego.parse(got.content.decode("utf-8", "replace"))
            except InputError:
                pass  # no robots.txt (404), or unreachable: no rules
            known = (time.monotonic() + ROBOTS_TTL_S, rules)
            self._robots[root] = known
        return known[1] is None or bool(known[1].can_fetch(url, USER_AGENT))

    # --- helpers ------------------------------------------------------------------------------
    def _fetch(
        self, url: str, headers: dict[str, str] | None = None, res: PollResult | None = None
    ) -> Fetched:
        self._pause(url)
        if res is not None:
            res.requests += 1
        lim = self.limits
        return fetch(url, lim.fetch_timeout, lim.fetch_max_bytes, lim.reach, headers=headers)

    def _pause(self, url: str) -> None:
        host = urlsplit(url).hostname or ""
        last = self._last_request.get(host)
        now = time.monotonic()
        if last is not None:
            wait = self.settings.feed_host_delay - (now - last)
            if wait > 0:
                self._sleep(wait)
        self._last_request[host] = time.monotonic()

    def _record(self, feed: Feed, res: PollResult) -> None:
        now = self._clock()
        every = feed.every_minutes * 60
        if res.status == "failed":
            errors = feed.errors + 1
            delay = min(every * 2 ** min(errors - 1, 10), MAX_BACKOFF_S)
            res.report = errors >= REPORT_AFTER and not feed.reported
            self.store.update(
                feed.feed_id, last_poll=now, next_poll=now + max(delay, every), error=res.error,
                errors=errors, reported=int(feed.reported or res.report),
            )  # fmt: skip
            return
        self.store.update(
            feed.feed_id, last_poll=now, last_success=now, next_poll=now + every, error="",
            errors=0, reported=0, articles=feed.articles + res.added,
        )  # fmt: skip


def _source(entry: Entry) -> str:
    """What an entry's document is named in the ingest report."""
    return entry.url or f"feed-entry:{entry.key}"


def _reason(message: str, url: str) -> str:
    """InputError messages start with the URL; the result already names the feed."""
    prefix = f"{url}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _html_text(content: str) -> str:
    if not content.strip():
        return ""
    try:
        return str(lxml.html.fromstring(content).text_content()).strip()
    except Exception:  # not HTML after all (or empty markup): the text as it is
        return content.strip()
