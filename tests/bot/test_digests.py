"""Digests: /digest in a chat, and a daily digest a channel receives once per local day even
with two processes, skipped when nothing is new, never posted into a source channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.commands.digests import send_due
from bot.store.state import State
from retrieval.answer.answerer import Answerer
from retrieval.index.ingest import ingest
from retrieval.index.parts import Index
from testing.telegram_server import FakeTelegram, user
from tests.bot.conftest import OWNER, OWNER_USER, bot_settings, command, running, until

NEWS = {"id": -100777, "type": "channel", "title": "Morning News", "username": "morningnews"}
GROUP = {"id": -100779, "type": "supergroup", "title": "Readers"}
SOURCE = {"id": -100778, "type": "channel", "title": "Wire", "username": "wire"}


@pytest.fixture
def dated(index: Index, tmp_path: Path) -> Answerer:
    now = datetime.now(UTC)
    rows = [
        {"id": "r1", "title": "Harbour reopens after repairs", "url": "https://a.example/r1",
         "date": (now - timedelta(hours=3)).isoformat(),
         "text": "The harbour of Port Elin reopened after repairs to the pier on Monday."},
        {"id": "r2", "title": "Old storm report", "url": "https://a.example/r2",
         "date": (now - timedelta(days=20)).isoformat(),
         "text": "A storm closed the harbour of Port Elin for two days last month."},
    ]  # fmt: skip
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "n.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert ingest(index, [str(folder)]).ok
    return Answerer(index, None)


async def test_digest_command_lists_todays_stories_with_links(
    tmp_path: Path, tg: FakeTelegram, dated: Answerer
) -> None:
    ann = user(1401, "de")
    chat = tg.private_chat(ann)
    async with running(bot_settings(tmp_path, tg), dated, tg):
        tg.send_text(chat, ann, "/digest", entities=command("/digest"))
        await until(lambda: tg.messages_to(ann["id"]))
    text = tg.messages_to(ann["id"])[0].text
    assert text.startswith("Neue Meldungen seit")
    assert "Harbour reopens after repairs" in text and "Old storm report" not in text
    assert '<a href="https://a.example/r1">' in tg.messages_to(ann["id"])[0].raw


async def test_a_channel_gets_its_morning_digest_once(
    tmp_path: Path, tg: FakeTelegram, dated: Answerer
) -> None:
    tg.add_chat(dict(NEWS))
    tg.add_chat(dict(SOURCE))
    tg.members[(NEWS["id"], tg.bot["id"])] = "administrator"
    tg.members[(SOURCE["id"], tg.bot["id"])] = "administrator"
    settings = bot_settings(tmp_path, tg)
    member = user(1402, "en")
    group = tg.add_chat(dict(GROUP))
    async with running(settings, dated, tg) as bot:
        bot.svc.state.chats.add_channel(SOURCE["id"], "Wire", "wire", OWNER)
        for text in ["/subscribe daily 00:00 Europe/Vienna @morningnews",
                     "/subscribe daily 08:00 @wire", "/subscribe daily 25:00"]:  # fmt: skip
            tg.send_text(tg.chats[OWNER], OWNER_USER, text, entities=command(text))
        tg.send_text(group, member, "/subscribe daily 07:00", entities=command("/subscribe"))
        await until(lambda: len(tg.messages_to(OWNER)) >= 3 and tg.messages_to(GROUP["id"]))
        replies = sorted(m.text for m in tg.messages_to(OWNER))
        assert any(
            r.startswith("Daily digest at 00:00 (Europe/Vienna) for @morningnews") for r in replies
        )
        assert any("is a source channel" in r for r in replies)
        assert any(r.startswith("Usage: /subscribe") for r in replies)
        assert tg.messages_to(GROUP["id"])[0].text.startswith("Only this group's admins")

        # Past midnight in Vienna: sent once, whatever the number of processes asking.
        now = datetime.now(UTC)
        other = State.for_settings(settings)  # a second process on the same database
        assert await send_due(bot.app, now) == 1
        assert await send_due(bot.app, now) == 0, "the day is taken"
        sub = other.subscriptions.get(NEWS["id"])
        assert sub is not None and other.subscriptions.claim(NEWS["id"], sub.last_period) is None
        other.close()
        posts = tg.messages_to(NEWS["id"])
        assert len(posts) == 1 and "Harbour reopens after repairs" in posts[0].text
        assert tg.messages_to(SOURCE["id"]) == []

        # The next morning nothing new has arrived: no post at all.
        assert await send_due(bot.app, now + timedelta(days=1)) == 0
        assert len(tg.messages_to(NEWS["id"])) == 1
        text = "/unsubscribe @morningnews"
        tg.send_text(tg.chats[OWNER], OWNER_USER, text, entities=command(text))
        await until(lambda: any("No more daily digests" in m.text for m in tg.messages_to(OWNER)))
    assert bot.svc.state.subscriptions.all() == []


def test_a_story_dated_by_its_day_is_in_a_period_that_overlaps_that_day(dated: Answerer) -> None:
    """Dates are stored as days: asked just after midnight, yesterday's story is still new."""
    from retrieval.answer.digest import stories

    day = datetime.fromisoformat(
        (datetime.now(UTC) - timedelta(hours=3)).date().isoformat()
    ).replace(tzinfo=UTC)
    since = day + timedelta(minutes=9)
    found = stories(dated.index, since, since + timedelta(hours=24))
    assert [s.title for s in found] == ["Harbour reopens after repairs"]
    assert stories(dated.index, day + timedelta(days=1), day + timedelta(days=2)) == []
    now = datetime.now(UTC)  # after the ingest: the next digest does not list it again
    assert stories(dated.index, now, now + timedelta(days=1)) == []
