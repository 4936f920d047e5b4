"""Feeds from Telegram: owners add, list and remove them; the bot polls in the background and
tells owners once when a feed keeps failing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.commands.feeds import poll_now
from bot.settings import BotSettings as Settings
from retrieval.answer.answerer import Answerer
from retrieval.index.feed_table import FeedStore
from retrieval.index.inventory import sources
from retrieval.index.parts import Index
from testing.embedder import HashEmbedder
from testing.telegram_server import FakeTelegram, user
from testing.web import ARTICLE_HTML, http_server
from tests.bot.conftest import OWNER, OWNER_USER, bot_settings, command, running, until

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour News</title>
<item><title>Harbour closed by storm</title><link>{base}/harbour</link><guid>h1</guid>
<pubDate>Tue, 01 Dec 2026 07:30:00 GMT</pubDate></item></channel></rss>"""


@pytest.fixture
def site() -> Iterator[tuple[str, dict[str, tuple[int, str, bytes, float]]]]:
    routes: dict[str, tuple[int, str, bytes, float]] = {
        "/harbour": (200, "text/html", ARTICLE_HTML, 0)
    }
    with http_server(routes) as base:
        routes["/rss.xml"] = (200, "application/rss+xml", RSS.format(base=base).encode(), 0)
        yield base, routes


@pytest.fixture
def writable(settings: Settings, embedder: HashEmbedder, detector) -> Iterator[Answerer]:  # type: ignore[no-untyped-def]
    s = dataclasses.replace(settings, allow_private_urls=True, feed_host_delay=0.0)
    idx = Index(s, embedder=embedder, detector=detector)
    yield Answerer(idx, None)
    idx.close()


async def test_owner_adds_a_feed_and_the_bot_polls_it(
    tmp_path: Path,
    tg: FakeTelegram,
    writable: Answerer,
    site: tuple[str, dict],  # type: ignore[type-arg]
) -> None:
    base, routes = site
    owner_chat = tg.chats[OWNER]
    stranger = user(1301, "de")
    async with running(bot_settings(tmp_path, tg), writable, tg) as bot:
        tg.send_text(tg.private_chat(stranger), stranger, f"/feed add {base}/rss.xml",
                     entities=command("/feed"))  # fmt: skip
        await until(lambda: tg.messages_to(stranger["id"]))
        text = f"/feed add {base}/rss.xml 15"
        tg.send_text(owner_chat, OWNER_USER, text, entities=command(text))
        await until(lambda: tg.messages_to(OWNER))
        assert tg.messages_to(OWNER)[0].text.startswith(f"Feed 1 added: {base}/rss.xml (rss)")
        await until(lambda: len(sources(writable.index)) == 1, 20)  # polled at once
        assert sources(writable.index)[0]["title"] == "Harbour closed by storm"
        feeds = FeedStore(writable.index.catalog)  # the poll's own record follows its ingest
        await until(lambda: feeds.all()[0].articles == 1, 20)
        tg.send_text(owner_chat, OWNER_USER, "/feeds", entities=command("/feeds"))
        await until(lambda: len(tg.messages_to(OWNER)) >= 2)
        listing = tg.messages_to(OWNER)[1].text
        assert "every 15 min" in listing and "1 articles" in listing

        # Failing again and again: the owners hear of it once.
        routes["/rss.xml"] = (500, "text/plain", b"down", 0)
        poller = bot.svc.feed_poller()
        for _ in range(4):
            poller.store.update(1, next_poll=0)
            await poll_now(bot.app)
        notices = [m.text for m in tg.messages_to(OWNER) if "keeps failing" in m.text]
        assert len(notices) == 1 and "HTTP 500" in notices[0]

        tg.send_text(owner_chat, OWNER_USER, "/feed remove 1", entities=command("/feed"))
        await until(lambda: any("removed" in m.text for m in tg.messages_to(OWNER)))
        tg.send_text(owner_chat, OWNER_USER, "/feed nonsense", entities=command("/feed"))
        await until(lambda: any(m.text.startswith("Usage") for m in tg.messages_to(OWNER)))
    refused = [m.text for m in tg.messages_to(stranger["id"])]
    assert refused == ["Diesen Befehl können nur die Betreiber des Bots verwenden."]
    assert poller.all() == [] and len(sources(writable.index)) == 1


async def test_an_owner_may_fetch_a_feeds_pages_whatever_robots_txt_says(
    tmp_path: Path,
    tg: FakeTelegram,
    writable: Answerer,
    site: tuple[str, dict],  # type: ignore[type-arg]
) -> None:
    base, _ = site
    async with running(bot_settings(tmp_path, tg), writable, tg) as bot:
        text = f"/feed add {base}/rss.xml 15 ignore-robots"
        tg.send_text(tg.chats[OWNER], OWNER_USER, text, entities=command(text))
        await until(lambda: tg.messages_to(OWNER))
        assert tg.messages_to(OWNER)[0].text.startswith(f"Feed 1 added: {base}/rss.xml (rss)")
        feed = bot.svc.feed_poller().store.get(1)
        assert feed is not None and feed.ignore_robots and feed.every_minutes == 15
