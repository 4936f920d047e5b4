"""Checking posts through the real Application: a post forwarded into the private chat, /check in
reply to a message in a group, and /check with a model (the fake, over the real `openai` client)
giving verdicts with citations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from retrieval.answer.answerer import Answerer
from testing.openai_server import FakeOpenAI
from testing.telegram_server import FakeTelegram, user
from tests.bot.conftest import bot_settings, command, running, until

ANN, BEN = user(1901, "de", "Ann"), user(1902, "en", "Ben")
GROUP = {"id": -100990, "type": "supergroup", "title": "Readers"}
NEWS = {"id": -100991, "type": "channel", "title": "Rumours", "username": "rumours"}
POST = "Xiaomi's CEO posted to his Weibo followers from an iPhone. Xiaomi builds a factory on the Moon."


async def test_a_forwarded_post_is_checked_not_asked(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.private_chat(ANN)
    origin = {"type": "channel", "chat": NEWS, "message_id": 7, "date": 1_700_000_000}
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg):
        tg.send_text(chat, ANN, POST, forward_origin=origin)
        await until(lambda: tg.messages_to(ANN["id"]))
    [reply] = tg.messages_to(ANN["id"])
    assert reply.text.startswith("Es wurde kein Urteil gefällt"), "in the asker's language"
    assert "1. “Xiaomi's CEO posted" in reply.text and "Xiaomi CEO uses an iPhone" in reply.text


async def test_check_in_reply_in_a_group_with_a_model_gives_verdicts(
    tmp_path: Path, tg: FakeTelegram, llm_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    def judge(body: dict[str, Any]) -> str:
        prompt = body["messages"][-1]["content"]
        passages = dict(re.findall(r'<source n="(\d+)"[^>]*>\n(.*?)\n</source>', prompt, re.S))
        iphone = next(n for n, t in passages.items() if "iPhone" in t)
        return f"1. SUPPORTED [{iphone}]\n2. NOT_FOUND"

    fake_openai.queue("chat", content="1. Xiaomi's CEO posted to Weibo from an iPhone.\n"
                                      "2. Xiaomi builds a factory on the Moon.")  # fmt: skip
    fake_openai.queue("chat", respond=judge)
    group = tg.add_chat(dict(GROUP))
    async with running(bot_settings(tmp_path, tg), llm_answerer, tg):
        said = tg.send_text(group, ANN, POST)
        tg.send_text(group, BEN, "/check", entities=command("/check"), reply_to=said)
        await until(lambda: tg.messages_to(GROUP["id"]))
    [reply] = tg.messages_to(GROUP["id"])
    assert reply.text.startswith("What the articles say about the post's claims")
    assert "— supported [1]" in reply.text and "— not in the articles" in reply.text
    assert reply.reply_to is not None
