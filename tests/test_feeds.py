"""Feeds and sitemaps: a local web server serves an RSS feed, an Atom feed, a sitemap index and
article pages; polls add, update and skip exactly what they should, and a broken, private,
enormous or malformed feed gives a recorded error and loses nothing already stored."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval.errors import IndexBusyError, InputError
from retrieval.feeds.poll import REPORT_AFTER, Feeds
from retrieval.index.inventory import sources
from retrieval.index.lock import WriteLock
from retrieval.index.parts import Index
from retrieval.settings import Settings
from testing.embedder import HashEmbedder
from testing.web import http_server


def page(title: str, body: str, date: str = "") -> bytes:
    meta = f'<meta property="article:published_time" content="{date}">' if date else ""
    return (
        f"<!doctype html><html><head><title>{title}</title>{meta}</head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1><p>{body}</p>"
        f"<p>{body} The report was confirmed by officials later that day.</p></article>"
        "<footer>Copyright Example News</footer></body></html>"
    ).encode()


def rss(base: str, items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
        f"<pubDate>{date}</pubDate><description>Summary of {t}.</description></item>"
        for t, path, date in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour News</title>{body}'
        "</channel></rss>"
    ).encode()


def atom(base: str, updated: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Valley Times</title><id>urn:valley</id><updated>{updated}</updated>"
        f"<entry><title>Bridge vote</title><id>urn:valley:bridge</id>"
        f'<link href="{base}/bridge.html"/><updated>{updated}</updated>'
        "<published>2026-11-28T09:00:00Z</published><summary>The council voted.</summary>"
        "</entry></feed>"
    ).encode()


SM = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap_index(base: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="{SM}">'
        f"<sitemap><loc>{base}/sitemap-news.xml</loc></sitemap></sitemapindex>"
    ).encode()


def sitemap(base: str, paths: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{base}{p}</loc><lastmod>2026-11-27</lastmod></url>" for p in paths)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{SM}">{urls}</urlset>'.encode()


@dataclasses.dataclass
class Site:
    base: str
    routes: dict[str, tuple[int, str, bytes, float]]
    headers: dict[str, dict[str, str]]
    requests: list[str]

    def serve(self, path: str, body: bytes, ctype: str = "text/html", status: int = 200) -> None:
        self.routes[path] = (status, ctype, body, 0)


@pytest.fixture
def site() -> Iterator[Site]:
    routes: dict[str, tuple[int, str, bytes, float]] = {}
    headers: dict[str, dict[str, str]] = {}
    requests: list[str] = []
    with http_server(routes, headers=headers, requests=requests) as base:
        yield Site(base, routes, headers, requests)


@pytest.fixture
def feeds_index(settings: Settings, embedder: HashEmbedder, detector) -> Iterator[Index]:  # type: ignore[no-untyped-def]
    s = dataclasses.replace(settings, allow_private_urls=True, feed_host_delay=0.0)
    idx = Index(s, embedder=embedder, detector=detector)
    yield idx
    idx.close()


def build_site(site: Site) -> None:
    b = site.base
    site.serve("/harbour.html", page("Harbour closed", "A storm closed the harbour on Monday."))
    site.serve("/ferry.html", page("Ferries resume", "The ferries sailed again on Tuesday."))
    site.serve("/bridge.html", page("Bridge vote", "The council voted for a new bridge."))
    site.serve("/museum.html", page("Museum opens", "The new museum opened its doors."))
    site.serve("/school.html", page("School repaired", "The school roof was repaired."))
    items = [
        ("Harbour closed", "/harbour.html", "Mon, 30 Nov 2026 08:00:00 GMT"),
        ("Ferries resume", "/ferry.html", "Tue, 01 Dec 2026 07:30:00 GMT"),
    ]
    site.serve("/rss.xml", rss(b, items), "application/rss+xml")
    site.headers["/rss.xml"] = {"ETag": '"v1"'}
    site.serve("/atom.xml", atom(b, "2026-11-28T09:00:00Z"), "application/atom+xml")
    site.serve("/sitemap_index.xml", sitemap_index(b), "application/xml")
    site.serve("/sitemap-news.xml", sitemap(b, ["/museum.html", "/school.html"]), "text/xml")


def test_polls_add_update_and_skip_exactly_what_they_should(site: Site, feeds_index: Index) -> None:
    build_site(site)
    feeds = Feeds(feeds_index)
    kinds = [feeds.add(f"{site.base}{p}")[0].kind for p in ("/rss.xml", "/atom.xml", "/sitemap_index.xml")]  # fmt: skip
    assert kinds == ["rss", "atom", "sitemapindex"]
    assert feeds.add(f"{site.base}/rss.xml")[1] is False, "adding twice keeps one feed"

    first = {r.feed_id: r for r in feeds.poll()}
    assert [(r.status, r.added) for r in first.values()] == [("ok", 2), ("ok", 1), ("ok", 2)]
    titles = {s["title"] for s in sources(feeds_index)}
    assert titles == {"Harbour closed", "Ferries resume", "Bridge vote", "Museum opens",
                      "School repaired"}  # fmt: skip
    dated = {s["title"]: s["date"] for s in sources(feeds_index)}
    assert dated["Ferries resume"] == "2026-12-01T07:30:00+00:00", "the feed's full timestamp"
    assert dated["Museum opens"].startswith("2026-11-27")

    assert feeds.poll() == [], "nothing is due again before its interval"
    site.requests.clear()
    second = {r.feed_id: r for r in feeds.poll(due_only=False)}
    assert second[1].status == "not-modified" and second[1].requests == 1
    assert (second[2].added, second[2].updated, second[2].unchanged) == (0, 0, 1)
    assert (second[3].added, second[3].unchanged) == (0, 2)
    assert not any(p.endswith(".html") for p in site.requests), "no article fetched again"

    # An edited entry replaces its article; a new item in the feed is added.
    site.serve("/bridge.html", page("Bridge vote", "The council voted against the bridge."))
    site.serve("/atom.xml", atom(site.base, "2026-11-29T10:00:00Z"), "application/atom+xml")
    site.serve("/lighthouse.html", page("Lighthouse lit", "The old lighthouse shines again."))
    items = [("Lighthouse lit", "/lighthouse.html", "Tue, 01 Dec 2026 09:00:00 GMT")]
    site.serve("/rss.xml", rss(site.base, items), "application/rss+xml")
    site.headers["/rss.xml"] = {"ETag": '"v2"'}
    third = {r.feed_id: r for r in feeds.poll(due_only=False)}
    assert (third[1].added, third[2].updated) == (1, 1)
    bridge = [s for s in sources(feeds_index) if s["title"] == "Bridge vote"]
    assert len(bridge) == 1
    text = " ".join(c.text for c in feeds_index.catalog.chunks_of(bridge[0]["article_id"]))
    assert "against the bridge" in text and "for a new bridge" not in text
    listed = {f.feed_id: f for f in feeds.all()}
    assert listed[1].articles == 3 and listed[1].errors == 0 and listed[1].last_success > 0


def test_a_page_that_advertises_its_feed_is_replaced_by_the_feed(
    site: Site, feeds_index: Index
) -> None:
    build_site(site)
    site.serve(
        "/",
        b'<!doctype html><html><head><link rel="alternate" type="application/rss+xml" '
        b'href="/rss.xml"></head><body><p>Front page</p></body></html>',
    )
    feed, new = Feeds(feeds_index).add(f"{site.base}/")
    assert new and feed.url == f"{site.base}/rss.xml" and feed.title == "Harbour News"
    site.serve("/plain", b"just text", "text/plain")
    with pytest.raises(InputError, match="not an RSS/Atom feed"):
        Feeds(feeds_index).add(f"{site.base}/plain")


def test_broken_enormous_and_malformed_feeds_are_recorded_and_lose_nothing(
    site: Site, feeds_index: Index
) -> None:
    build_site(site)
    clock = [1_000_000.0]
    feeds = Feeds(feeds_index, clock=lambda: clock[0])
    feed, _ = feeds.add(f"{site.base}/rss.xml")
    assert feeds.poll()[0].added == 2
    stored = len(sources(feeds_index))
    site.headers.pop("/rss.xml")

    failures = [
        ((500, "text/plain", b"oops"), "HTTP 500"),
        ((200, "application/rss+xml", b"<rss" + b"x" * 11_000_000), "too large"),
        ((200, "text/plain", b"\x00\x01 not a feed at all"), "no longer an RSS/Atom feed"),
    ]
    reports, waits = [], []
    for (status, ctype, body), reason in failures:
        site.serve("/rss.xml", body, ctype, status)
        clock[0] += 10 * 24 * 3600  # due whatever the back-off
        (res,) = feeds.poll()
        assert res.status == "failed" and reason in res.error, res.error
        reports.append(res.report)
        state = feeds.store.get(feed.feed_id)
        assert state is not None and reason in state.error
        waits.append(state.next_poll - clock[0])
    assert reports == [False] * (REPORT_AFTER - 1) + [True], "owners are told once"
    assert waits == sorted(waits) and waits[0] < waits[-1], "a failing feed backs off"
    assert len(sources(feeds_index)) == stored, "nothing already stored is lost"

    build_site(site)
    clock[0] += 10 * 24 * 3600
    (res,) = feeds.poll()
    again = feeds.store.get(feed.feed_id)
    assert res.status == "ok" and again is not None and (again.errors, again.error) == (0, "")


def test_private_addresses_are_refused_unless_allowed(site: Site, index: Index) -> None:
    build_site(site)
    with pytest.raises(InputError, match="private or local address"):
        Feeds(index).add(f"{site.base}/rss.xml")
    assert Feeds(index).all() == []


def test_a_page_that_cannot_be_read_falls_back_to_the_feeds_own_text(
    site: Site, feeds_index: Index
) -> None:
    items = [("Council news", "/gone.html", "Tue, 01 Dec 2026 07:30:00 GMT")]
    site.serve("/rss.xml", rss(site.base, items), "application/rss+xml")
    feeds = Feeds(feeds_index)
    feeds.add(f"{site.base}/rss.xml")
    (res,) = feeds.poll()
    assert res.added == 1 and not res.failed
    (src,) = sources(feeds_index)
    assert src["title"] == "Council news" and src["url"] == f"{site.base}/gone.html"


def test_one_poll_round_at_a_time(site: Site, feeds_index: Index) -> None:
    build_site(site)
    feeds = Feeds(feeds_index)
    feeds.add(f"{site.base}/rss.xml")
    with (
        WriteLock(feeds_index.settings.data_dir, 0, name="feeds.lock"),
        pytest.raises(IndexBusyError),
    ):
        feeds.poll()
    assert feeds.poll()[0].added == 2


def test_feeds_on_the_command_line(site: Site, run, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FOOTNOTE_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("FOOTNOTE_FEED_HOST_DELAY", "0")
    build_site(site)
    code, out, _ = run("feeds", "add", f"{site.base}/rss.xml", "--every", "15", "--shelf", "wire")
    assert code == 0 and out.startswith("feed 1 added:") and "shelf wire" in out
    code, out, _ = run("feeds", "poll", "--json")
    (polled,) = json.loads(out)
    assert code == 0 and polled["status"] == "ok" and polled["added"] == 2
    assert set(polled) >= {"feed_id", "url", "added", "updated", "unchanged", "error", "requests"}
    code, out, _ = run("feeds", "list", "--json")
    (listed,) = json.loads(out)
    assert listed["every_minutes"] == 15 and listed["articles"] == 2 and listed["errors"] == 0
    assert listed["shelf"] == "wire"
    code, out, _ = run("shelves", "--json")
    assert [s["shelf"] for s in json.loads(out)] == ["wire"], "its articles went on its shelf"
    assert listed["last_success"].endswith("Z")
    code, out, _ = run("feeds", "remove", "1")
    assert code == 0 and "removed" in out
    code, out, _ = run("feeds", "remove", "1")
    assert code == 1
    code, out, _ = run("sources", "--json")
    assert len(json.loads(out)) == 2, "removing a feed keeps its articles"
