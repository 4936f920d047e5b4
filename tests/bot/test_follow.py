"""Following a story through the real Application: /follow, then articles written later are
told once (two rounds racing, a near-duplicate copy, a second round), only those of the story,
only from the chat's shelves, and past the day's cap folded into one note."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.commands.follows import tell_new
from retrieval.answer.answerer import Answerer
from retrieval.index.ingest import ingest_documents
from retrieval.index.parts import Index
from retrieval.types import Document
from testing.openai_server import FakeOpenAI, chat_model_for
from testing.telegram_server import FakeTelegram
from tests.bot.conftest import OWNER, OWNER_USER, bot_settings, command, running, until

BRIDGE = ("The Harbourview bridge closes for eleven days in March while Kestrel Works replaces "
          "its deck; ferries run every twenty minutes during the works on the Harbourview bridge.")  # fmt: skip
OTHER = "The city council grows the parks budget by four percent and opens a new library."


def doc(n: int, text: str, shelf: str = "public") -> Document:
    return Document(f"feed:item{n}", f"{text} Report {n}.", f"Story {n}", f"https://news.example/{n}",
                    "2026-12-07", preclean=True, shelf=shelf)  # fmt: skip


async def follow_bridge(tg: FakeTelegram, chat: Any, sender: Any) -> None:
    """`sender` follows the bridge works from `chat`, and the bot has said so."""
    text = "/follow Harbourview bridge works"
    tg.send_text(chat, sender, text, entities=command(text))
    await until(lambda: tg.messages_to(chat["id"]))


async def first_round(app: Any) -> int:
    """The round that starts the follows' clock, then a tick so later writes are newer."""
    told = await tell_new(app)
    await asyncio.sleep(0.01)
    return told


async def test_a_followed_story_is_told_once_per_new_article_within_the_days_cap(
    tmp_path: Path, tg: FakeTelegram, index: Index
) -> None:
    index.settings = replace(index.settings, follow_threshold=0.25)  # the hash embedder's scale
    answerer = Answerer(index, None)
    async with running(bot_settings(tmp_path, tg, follow_daily=2), answerer, tg) as bot:
        await follow_bridge(tg, tg.chats[OWNER], OWNER_USER)
        assert "Harbourview bridge works" in tg.messages_to(OWNER)[-1].text
        assert await first_round(bot.app) == 0  # the first round starts the clock: no old news
        copy = replace(doc(1, BRIDGE), source="feed:copy", url="https://other.example/1")
        report = ingest_documents(index, [doc(1, BRIDGE), doc(2, OTHER), copy,
                                          doc(3, BRIDGE.replace("March", "April"), "newsroom")])  # fmt: skip
        assert len(report.added) == 3, "the copy from another outlet is stored as a link on it"
        told = await asyncio.gather(tell_new(bot.app), tell_new(bot.app))
        assert sum(told) == 1, "two rounds at once (two processes): told once"
        assert await tell_new(bot.app) == 0, "and not again"
        alerts = [m for m in tg.messages_to(OWNER) if m.text.startswith("🔔")]
        assert len(alerts) == 1 and "Story 1" in alerts[0].text and "eleven days" in alerts[0].text

        ingest_documents(index, [doc(n, BRIDGE.replace("eleven", f"{n} more")) for n in (4, 5, 6)])
        await tell_new(bot.app)
        await tell_new(bot.app)
    alerts = [m for m in tg.messages_to(OWNER) if m.text.startswith("🔔")]
    notes = [m for m in tg.messages_to(OWNER) if m.text.startswith("…and")]
    assert len(alerts) == 2, "the day's cap: two alerts"
    assert len(notes) == 1 and "2 more" in notes[0].text, "the rest folded into one note"
    assert not any("Story 2" in m.text or "Story 3" in m.text for m in tg.messages_to(OWNER)), (
        "not the other story, and not an article of a shelf this chat does not see"
    )


async def test_following_and_unfollowing(tmp_path: Path, tg: FakeTelegram, index: Index) -> None:
    async with running(bot_settings(tmp_path, tg), Answerer(index, None), tg):
        for text in ("/follow Xiaomi 17 launch", "/follow Harbourview bridge", "/following",
                     "/unfollow 1", "/following", "/unfollow 9"):  # fmt: skip
            n = len(tg.messages_to(OWNER))
            tg.send_text(tg.chats[OWNER], OWNER_USER, text, entities=command(text))
            await until(lambda n=n: len(tg.messages_to(OWNER)) > n)  # type: ignore[misc]
    said = [m.text for m in tg.messages_to(OWNER)]
    assert "1. Xiaomi 17 launch\n2. Harbourview bridge" in said[2]
    assert "Xiaomi 17 launch" in said[3] and "1. Harbourview bridge" in said[4]
    assert "/follow" in said[5], "an unknown number gets the usage"


async def test_with_a_model_the_alert_says_what_is_new_in_one_cited_sentence(
    tmp_path: Path, tg: FakeTelegram, index: Index, fake_openai: FakeOpenAI
) -> None:
    index.settings = replace(index.settings, follow_threshold=0.25)
    llm = chat_model_for(index, fake_openai, timeout=5.0)
    fake_openai.queue(
        "chat", content="The deck of the Harbourview bridge is replaced in March [1]."
    )
    try:
        async with running(
            bot_settings(tmp_path, tg), Answerer(index, llm, translate=False), tg
        ) as bot:
            await follow_bridge(tg, tg.chats[OWNER], OWNER_USER)
            await first_round(bot.app)
            ingest_documents(index, [doc(7, BRIDGE)])
            assert await tell_new(bot.app) == 1
    finally:
        await llm.close()
    [alert] = [m for m in tg.messages_to(OWNER) if m.text.startswith("🔔")]
    assert "The deck of the Harbourview bridge is replaced in March" in alert.text
    prompt = fake_openai.chats()[-1]["messages"][-1]["content"]
    assert '"Harbourview bridge works"' in prompt and '<source n="1"' in prompt


async def test_a_burst_larger_than_a_round_reads_is_told_over_the_next_rounds(
    tmp_path: Path, tg: FakeTelegram, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cursor moves past each page: a burst of writes behind it never holds it back."""
    monkeypatch.setattr("bot.commands.follows.PAGE", 2)
    index.settings = replace(index.settings, follow_threshold=0.25)
    async with running(bot_settings(tmp_path, tg), Answerer(index, None), tg) as bot:
        await follow_bridge(tg, tg.chats[OWNER], OWNER_USER)
        await first_round(bot.app)
        ingest_documents(
            index, [doc(n, BRIDGE.replace("eleven", f"{n} more")) for n in range(10, 15)]
        )
        told = [await tell_new(bot.app) for _ in range(4)]
    assert told == [2, 2, 1, 0]


async def test_a_chat_denied_after_following_is_told_nothing(
    tmp_path: Path, tg: FakeTelegram, index: Index
) -> None:
    from testing.telegram_server import user

    reader = user(1951, "en", "Rae")
    chat = tg.private_chat(reader)
    index.settings = replace(index.settings, follow_threshold=0.25)
    async with running(bot_settings(tmp_path, tg), Answerer(index, None), tg) as bot:
        await follow_bridge(tg, chat, reader)
        deny = f"/deny {reader['id']}"
        tg.send_text(tg.chats[OWNER], OWNER_USER, deny, entities=command(deny))
        await until(lambda: tg.messages_to(OWNER))
        await first_round(bot.app)
        ingest_documents(index, [doc(20, BRIDGE)])
        assert await tell_new(bot.app) == 0
    assert not [m for m in tg.messages_to(reader["id"]) if m.text.startswith("🔔")]
