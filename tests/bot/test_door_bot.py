"""Costs anyone can impose and values that break a command (issue 24), through the real
Application and the fake Telegram server: /digest passes the rate limits like a question, and a
time zone is looked up, never opened as a path, after the permission check."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.i18n import t
from retrieval.answer.answerer import Answerer
from testing.telegram_server import FakeTelegram, user
from tests.bot.conftest import OWNER, OWNER_USER, bot_settings, command, running, until

GROUP = {"id": -100777, "type": "supergroup", "title": "Readers"}


async def test_digest_requests_pass_the_rate_limits(
    tmp_path: Path, tg: FakeTelegram, answerer: Answerer
) -> None:
    member = user(1501, "en")
    group = tg.add_chat(dict(GROUP))
    settings = bot_settings(tmp_path, tg, user_rate=3)
    async with running(settings, answerer, tg):
        for _ in range(12):
            tg.send_text(group, member, "/digest week", entities=command("/digest"))
        notice = t("rate_limited", "en")
        await until(lambda: any(m.text == notice for m in tg.messages_to(GROUP["id"])))
        await asyncio.sleep(1.0)  # whatever else was going to be sent has been
    sent = tg.messages_to(GROUP["id"])
    assert sum(m.text == notice for m in sent) == 1
    assert len(sent) <= 3 * 2 + 1, "three digests at most (each one or two messages), one notice"


async def test_a_zone_that_is_a_directory_or_too_long_gets_a_clear_answer(
    tmp_path: Path, tg: FakeTelegram, answerer: Answerer
) -> None:
    member = user(1502, "en")
    group = tg.add_chat(dict(GROUP))
    apology = t("error", "en")
    async with running(bot_settings(tmp_path, tg), answerer, tg):
        tg.send_text(group, member, "/subscribe daily 08:00 Europe", entities=command("/subscribe"))
        for zone in ("Europe", "x" * 300, "../../../etc/passwd", "europe/vienna"):
            text = f"/subscribe daily 08:00 {zone}"
            tg.send_text(tg.chats[OWNER], OWNER_USER, text, entities=command(text))
        await until(lambda: len(tg.messages_to(OWNER)) >= 4 and tg.messages_to(GROUP["id"]))
    to_owner = [m.text for m in tg.messages_to(OWNER)]
    assert sum(r.startswith("Unknown time zone") for r in to_owner) == 3
    assert any(r.startswith("Daily digest at 08:00 (Europe/Vienna)") for r in to_owner)
    assert tg.messages_to(GROUP["id"])[0].text.startswith("Only this group's admins")
    assert apology not in to_owner and all(m.text != apology for m in tg.messages_to(GROUP["id"]))


async def test_a_digest_that_fails_does_not_lose_its_day(
    tmp_path: Path, tg: FakeTelegram, answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The core failing once while a daily digest is made (a bad stored value, a bug): the day
    is released and the next check sends it."""
    from datetime import UTC, datetime

    from bot.commands import digests

    real = digests.digest
    calls = []

    async def failing_once(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("a value the door would refuse today")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(digests, "digest", failing_once)
    async with running(bot_settings(tmp_path, tg), answerer, tg) as bot:
        bot.svc.state.subscriptions.subscribe(OWNER, "00:00", "UTC", "en", OWNER)
        now = datetime.now(UTC)
        assert await digests.send_due(bot.app, now) == 0 and len(calls) == 1
        await digests.send_due(bot.app, now)
        assert len(calls) == 2, "the failed day was due again"
        sub = bot.svc.state.subscriptions.get(OWNER)
        assert sub is not None and sub.last_period == now.date().isoformat()
