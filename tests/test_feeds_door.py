"""Feeds that cannot be trusted to behave (issue 24): dead entries do not starve live ones."""

from __future__ import annotations

import time

from retrieval.feeds.poll import Feeds
from retrieval.index.inventory import sources
from retrieval.index.parts import Index
from tests.test_feeds import Site, feeds_index, page, rss, site

__all__ = ["feeds_index", "site"]


def test_fifty_dead_entries_at_the_top_do_not_starve_the_live_ones(
    site: Site, feeds_index: Index
) -> None:
    dead = [(f"Gone {i}", f"/gone-{i}.html", "Sat, 05 Dec 2026 10:00:00 GMT") for i in range(50)]
    live = [(f"Story {i}", f"/story-{i}.html", "Fri, 04 Dec 2026 10:00:00 GMT") for i in range(3)]
    for title, path, _ in live:
        site.serve(path, page(title, f"{title}: the council met and voted on the new budget."))
    feed = rss(site.base, dead + live)
    for i in range(50):  # dead: the page is gone and the entry has no text of its own
        feed = feed.replace(f"<description>Summary of Gone {i}.</description>".encode(), b"")
    site.serve("/rss.xml", feed, "application/rss+xml")
    feeds = Feeds(feeds_index)
    feeds.add(f"{site.base}/rss.xml")
    first = feeds.poll(due_only=False)[0]
    assert first.added == 0 and len(first.failed) == 50 and first.waiting == 3
    second = feeds.poll(due_only=False)[0]
    assert second.added == 3 and second.backing_off == 50, "the live entries, the dead wait"
    assert {s["title"] for s in sources(feeds_index)} == {"Story 0", "Story 1", "Story 2"}
    site.requests.clear()
    third = feeds.poll(due_only=False)[0]
    assert third.backing_off == 50 and not any("/gone-" in r for r in site.requests)
    # Their time comes: retried after the live ones, and a page that came back is taken.
    site.serve("/gone-7.html", page("Back again", "Back again: the page was restored today."))
    feeds_index.catalog.transact(
        [("UPDATE feed_failures SET retry_at = :t", {"t": time.time() - 1})]
    )
    fourth = feeds.poll(due_only=False)[0]
    assert fourth.added == 1 and len(fourth.failed) == 49


def test_private_addresses_are_allowed_per_host_or_network_and_metadata_never() -> None:
    import ipaddress

    import pytest

    from retrieval.errors import ConfigError, InputError
    from retrieval.networks import Reach
    from retrieval.settings import Settings
    from retrieval.sources.fetch import fetch

    listed = Reach.parse(False, "intranet.example, 10.2.0.0/16")
    ip = ipaddress.ip_address
    assert listed.allows("intranet.example", ip("10.9.9.9"))
    assert listed.allows("other.example", ip("10.2.3.4"))
    assert not listed.allows("other.example", ip("10.9.9.9"))
    assert not listed.allows("other.example", ip("192.168.1.1"))
    everything = Reach.parse(True, "169.254.0.0/16")
    assert everything.allows("x", ip("192.168.1.1")) and not everything.allows(
        "x", ip("169.254.169.254")
    )
    with pytest.raises(InputError, match="link-local"):
        fetch("http://169.254.169.254/latest/meta-data/", 2.0, 1000, allow_private=True)
    with pytest.raises(ConfigError, match="FOOTNOTE_ALLOW_PRIVATE_HOSTS"):
        Settings.from_env(environ={"FOOTNOTE_ALLOW_PRIVATE_HOSTS": "bad host!"}, dotenv_path=None)


def test_a_listed_host_is_fetched_and_an_unlisted_private_one_refused(site: Site) -> None:
    import pytest

    from retrieval.errors import InputError
    from retrieval.networks import Reach
    from retrieval.sources.fetch import fetch

    site.serve("/a.html", page("Intranet", "Only the newsroom reads this page."))
    got = fetch(f"{site.base}/a.html", 5.0, 100_000, Reach.parse(False, "127.0.0.0/8"))
    assert b"newsroom" in got.content
    with pytest.raises(InputError, match="FOOTNOTE_ALLOW_PRIVATE_HOSTS"):
        fetch(f"{site.base}/a.html", 5.0, 100_000, Reach.parse(False, "10.0.0.0/8"))


def test_robots_txt_is_honoured_unless_the_owner_turns_it_off(
    site: Site, feeds_index: Index
) -> None:
    site.serve("/robots.txt", b"User-agent: *\nDisallow: /private/\n", "text/plain")
    site.serve("/private/memo.html", page("Memo", "The memo says the budget grows by a tenth."))
    site.serve("/open.html", page("Open", "The open page says the council met on Monday."))
    items = [("Memo", "/private/memo.html", "Fri, 04 Dec 2026 10:00:00 GMT"),
             ("Open", "/open.html", "Fri, 04 Dec 2026 09:00:00 GMT")]  # fmt: skip
    site.serve("/rss.xml", rss(site.base, items), "application/rss+xml")
    feeds = Feeds(feeds_index)
    feeds.add(f"{site.base}/rss.xml")
    feeds.poll(due_only=False)
    assert "/private/memo.html" not in site.requests and "/open.html" in site.requests
    texts = {s["title"]: feeds_index.catalog.article(s["article_id"]) for s in sources(feeds_index)}
    assert "budget" not in texts["Memo"]["text"], "the feed's own summary, not the page"
    site.serve("/rss2.xml", rss(site.base, items[:1]), "application/rss+xml")
    feed, _ = feeds.add(f"{site.base}/rss2.xml", ignore_robots=True)
    assert feed.to_json()["ignore_robots"] is True
    site.requests.clear()
    feeds.poll(due_only=False)
    assert "/private/memo.html" in site.requests, "the owner's choice for that feed"


def test_an_aggregators_own_texts_for_other_sites_entries_stay_separate_articles(
    site: Site, feeds_index: Index
) -> None:
    """An entry on another site whose page cannot be read is stored from the feed's own text,
    without the other site's address (it did not publish those words): three entries, three
    articles, never one article updated three times."""
    other = site.base.replace("127.0.0.1", "localhost")
    items = [(f"Story {i}", f"/gone-{i}.html", "Fri, 04 Dec 2026 10:00:00 GMT") for i in range(3)]
    feed = rss(other, items)
    for i in range(3):
        feed = feed.replace(
            f"Summary of Story {i}.".encode(),
            f"Summary {i}: the council voted on budget line {i} today.".encode(),
        )
    site.serve("/rss.xml", feed, "application/rss+xml")
    feeds = Feeds(feeds_index)
    feeds.add(f"{site.base}/rss.xml")
    result = feeds.poll(due_only=False)[0]
    assert result.added == 3 and not result.updated
    assert {s["url"] for s in sources(feeds_index)} == {""}
