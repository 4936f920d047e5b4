"""What a fetched feed URL holds: RSS/Atom entries (feedparser), sitemap entries (lxml reading
the sitemap schema), or an HTML page that advertises its feeds (trafilatura's feed finder).

No format is parsed by hand here: this module turns those libraries' results into entries.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
from lxml import etree
from trafilatura.feeds import FeedParameters, determine_feed

log = logging.getLogger(__name__)

_SITEMAP = re.compile(rb"<(?:[\w-]+:)?(urlset|sitemapindex)[\s>]", re.I)


@dataclass(frozen=True)
class Entry:
    key: str  # stable identity within the feed: guid, else link
    version: str  # changes when the entry is edited (updated date, else a hash of its content)
    url: str
    title: str = ""
    date: str = ""  # ISO timestamp, "" when the feed gives none
    content: str = ""  # the feed's own text or HTML, the fallback when the page cannot be read


@dataclass
class Parsed:
    kind: str  # "rss" | "atom" | "sitemap" | "sitemapindex" | "html" | ""
    title: str = ""
    entries: list[Entry] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # child sitemaps, or feeds a page advertises


def parse(content: bytes, url: str, content_type: str = "") -> Parsed:
    """Classify and read `content` fetched from `url`; kind "" means none of the above."""
    head = content[:4096]
    if _SITEMAP.search(head):
        return _sitemap(content, url)
    looks_html = "html" in content_type or head.lstrip()[:15].lower().startswith(
        (b"<!doctype html", b"<html")
    )
    if not looks_html:
        feed = _feed(content)
        if feed is not None:
            return feed
    if looks_html:
        return Parsed("html", links=_advertised(content, url))
    return Parsed("")


def _feed(content: bytes) -> Parsed | None:
    d = feedparser.parse(content, sanitize_html=True, resolve_relative_uris=True)
    version = str(d.get("version") or "")
    if not version and not d.entries:
        return None
    kind = "atom" if version.startswith("atom") else "rss"
    entries = [e for e in (_entry(raw) for raw in d.entries) if e is not None]
    return Parsed(kind, str(d.feed.get("title", "")), entries)


def _entry(raw: Any) -> Entry | None:
    link = str(raw.get("link") or "")
    key = str(raw.get("id") or raw.get("guid") or link)
    if not key:
        return None
    content = ""
    if raw.get("content"):
        content = str(raw.content[0].get("value", ""))
    content = content or str(raw.get("summary") or "")
    # dict.get: feedparser's own get maps a missing `updated` to `published`, with a warning.
    published = _iso(dict.get(raw, "published_parsed"))
    updated = _iso(dict.get(raw, "updated_parsed"))
    published = published or updated
    updated = updated or published
    title = str(raw.get("title") or "")
    version = updated or hashlib.sha1(f"{title}\n{content}".encode()).hexdigest()[:16]
    return Entry(key, version, link, title, published, content)


def _iso(struct: Any) -> str:
    """feedparser's UTC struct_time -> '2024-03-05T08:00:00+00:00'."""
    if not struct:
        return ""
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), UTC).isoformat()
    except (OverflowError, ValueError, TypeError):
        return ""


def _sitemap(content: bytes, url: str) -> Parsed:
    """A sitemap (<urlset>) or a sitemap index, read with lxml: trafilatura's reader drops
    <lastmod> (which tells an edited article) and hosts given as addresses."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        return Parsed("")
    if root is None:
        return Parsed("")
    tag = etree.QName(root).localname
    if tag == "sitemapindex":
        links = [_text(s, "loc") for s in root if etree.QName(s).localname == "sitemap"]
        return Parsed("sitemapindex", links=list(dict.fromkeys(u for u in links if u)))
    entries = []
    for node in root:
        if not isinstance(node.tag, str) or etree.QName(node).localname != "url":
            continue
        loc = _text(node, "loc")
        if not loc.startswith(("http://", "https://")):
            continue
        news_date, news_title = _text(node, "publication_date"), _text(node, "title")
        lastmod = _text(node, "lastmod")
        entries.append(Entry(loc, lastmod or news_date, loc, news_title, news_date or lastmod))
    return Parsed("sitemap", entries=list({e.key: e for e in entries}.values()))


def _text(node: Any, name: str) -> str:
    """The text of the first descendant called `name`, whatever its namespace."""
    for child in node.iter():
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip()
    return ""


def _advertised(content: bytes, url: str) -> list[str]:
    host = urlsplit(url).hostname or ""
    params = FeedParameters(url, host, url)
    try:
        return determine_feed(content.decode("utf-8", errors="replace"), params)
    except Exception:  # a page too broken to read advertises nothing
        log.debug("feed discovery failed on %s", url, exc_info=True)
        return []
