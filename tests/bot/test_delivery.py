"""Telegram's limits and faults: entity errors, long answers, flood control, rate limits, errors."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from bot.redact import setup_logging
from retrieval.answer.answerer import Answerer
from retrieval.errors import StoreUnavailableError
from testing.openai_server import FakeOpenAI
from testing.telegram_server import TOKEN, FakeTelegram, user
from tests.bot.conftest import OWNER, bot_settings, running, until

CLARA = user(1001, "fr", "Clara")
QUESTION = "Which phone does the Xiaomi CEO use?"


async def test_rejected_entities_resend_the_same_answer_as_plain_text(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.private_chat(CLARA)
    tg.fail("sendMessage", 400, "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 3",
            when=lambda p: p.get("parse_mode") == "HTML")  # fmt: skip
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        tg.send_text(chat, CLARA, QUESTION)
        await bot.answered(1)
    [msg] = tg.messages_to(CLARA["id"])
    assert msg.parse_mode is None
    assert "iPhone" in msg.text and "Sources:\n[1]" in msg.text and "<" not in msg.text
    assert msg.reply_markup is not None  # the feedback buttons survive the fallback


async def test_long_answer_is_split_under_the_limit(
    tmp_path: Path, tg: FakeTelegram, llm_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    # Posts tagged in letters ("post fj" is the 60th): a number the passage lacks would now lose
    # its citation (citation support checks the facts), and this test is about splitting.
    tags = ["".join(chr(97 + int(d)) for d in f"{i:02d}") for i in range(60)]
    para = " ".join(f"Lei Jun was seen with an iPhone in post {tag} [1]." for tag in tags)
    reply = "\n\n".join([para] * 4)  # ~13,000 characters
    fake_openai.queue("chat", content=reply, chunk=400)
    chat = tg.private_chat(CLARA)
    async with running(bot_settings(tmp_path, tg), llm_answerer, tg) as bot:
        tg.send_text(chat, CLARA, QUESTION)
        await bot.answered(1)
    msgs = tg.messages_to(CLARA["id"])
    assert len(msgs) >= 4
    assert all(len(m.text.encode("utf-16-le")) // 2 <= 4096 for m in msgs)
    assert all(m.parse_mode == "HTML" for m in msgs)
    assert [m.reply_markup is not None for m in msgs] == [False] * (len(msgs) - 1) + [True]
    body = " ".join(m.text for m in msgs)
    assert body.count("post fj [1]") == 4  # nothing lost or repeated across parts


async def test_flood_control_on_send_is_waited_out(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.private_chat(CLARA)
    tg.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        tg.send_text(chat, CLARA, QUESTION)
        await bot.answered(1)
    assert len(tg.messages_to(CLARA["id"])) == 1
    assert len(tg.calls_of("sendMessage")) == 2  # refused once, then sent


@pytest.mark.parametrize("method", ["editMessageText", "sendMessageDraft"])
async def test_flood_control_on_the_stream_slows_it(
    tmp_path: Path,
    tg: FakeTelegram,
    llm_answerer: Answerer,
    fake_openai: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
    method: str,
) -> None:
    reply = "Lei Jun, Xiaomi's CEO, was seen using an iPhone on social networks [1]. " * 6
    fake_openai.queue("chat", content=reply, chunk=10, pause=0.03)
    tg.fail(method, 429, "Too Many Requests: retry after 1", retry_after=1,
            when=lambda p: p.get("parse_mode") is None)  # fmt: skip
    chat = tg.private_chat(CLARA)
    settings = bot_settings(tmp_path, tg, drafts=method == "sendMessageDraft")
    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        async with running(settings, llm_answerer, tg) as bot:
            tg.send_text(chat, CLARA, QUESTION)
            await bot.answered(1)
    [msg] = tg.messages_to(CLARA["id"])
    assert msg.parse_mode == "HTML" and "iPhone" in msg.text
    assert "flood control in chat 1001: edits every 1.5 s" in caplog.text


async def test_rate_limit_notice_once(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.private_chat(CLARA)
    async with running(bot_settings(tmp_path, tg, user_rate=2), offline_answerer, tg) as bot:
        for _ in range(5):
            tg.send_text(chat, CLARA, QUESTION)
        await bot.answered(2)
        await until(lambda: len(tg.messages_to(CLARA["id"])) >= 3)
        await asyncio.sleep(0.5)
    texts = [m.text for m in tg.messages_to(CLARA["id"])]
    notices = [t for t in texts if t.startswith("Vous posez des questions plus vite")]
    assert len(texts) == 3 and len(notices) == 1


class Failing(Answerer):
    """The core failing the way a bug would (and leaking the token into its message)."""

    def __init__(self, base: Answerer, exc: Exception) -> None:
        super().__init__(base.index, None)
        self.exc = exc

    async def answer(self, *args: Any, **kwargs: Any) -> Any:
        raise self.exc


@pytest.fixture
def bot_log() -> Any:
    """The logging `footnote run` sets up (secrets redacted, httpx quiet), at DEBUG, into a buffer."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    setup_logging(logging.DEBUG, TOKEN)
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logging.getLogger("httpx").setLevel(logging.NOTSET)
    logging.getLogger("httpcore").setLevel(logging.NOTSET)


async def test_errors_apologise_notify_owners_once_and_never_log_the_token(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer, bot_log: io.StringIO
) -> None:
    chat = tg.private_chat(CLARA)
    failing = Failing(offline_answerer, RuntimeError(f"boom at /bot{TOKEN}/sendMessage"))
    async with running(bot_settings(tmp_path, tg), failing, tg):
        tg.send_text(chat, CLARA, QUESTION)
        tg.send_text(chat, CLARA, QUESTION)
        await until(lambda: len(tg.messages_to(CLARA["id"])) >= 2)
        await until(lambda: tg.messages_to(OWNER))
        await asyncio.sleep(0.3)
    apologies = [m.text for m in tg.messages_to(CLARA["id"])]
    assert (
        apologies
        == ["Désolé, un problème est survenu pendant la réponse. Réessayez dans un instant."] * 2
    )
    [notice] = tg.messages_to(OWNER)  # rate-limited: one notice for two errors
    assert "RuntimeError" in notice.text and TOKEN not in notice.text
    text = bot_log.getvalue()
    assert "Traceback" in text and "boom at /bot<redacted>/sendMessage" in text
    assert "Set Bot API URL: http://127.0.0.1" in text  # PTB's own DEBUG line, redacted
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert "HTTP Request: POST" not in text  # httpx's per-request lines are silenced


def test_the_first_owner_notice_is_sent_on_a_machine_just_booted() -> None:
    """The monotonic clock counts from boot: the test above failed on a machine up for 3
    minutes, where a last notice "at 0.0" looked less than 5 minutes old."""
    from bot.services import OWNER_NOTICE_SECONDS, Throttle

    now = [180.0]  # three minutes after boot
    notices = Throttle(OWNER_NOTICE_SECONDS, clock=lambda: now[0])
    assert notices.due() and not notices.due()
    now[0] += OWNER_NOTICE_SECONDS - 1
    assert not notices.due()
    now[0] += 1
    assert notices.due()


async def test_store_down_says_try_again(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.private_chat(CLARA)
    failing = Failing(offline_answerer, StoreUnavailableError("chroma server unreachable"))
    async with running(bot_settings(tmp_path, tg), failing, tg):
        tg.send_text(chat, CLARA, QUESTION)
        await until(lambda: tg.messages_to(CLARA["id"]))
    assert tg.messages_to(CLARA["id"])[0].text.startswith("L’index des articles est momentanément")


async def test_a_slow_model_does_not_hold_up_other_chats(
    tmp_path: Path, tg: FakeTelegram, llm_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    fake_openai.default["chat"] = {"content": "Lei Jun uses an iPhone [1].", "hang": 1.0}
    users = [user(1100 + i, "en") for i in range(8)]
    async with running(bot_settings(tmp_path, tg), llm_answerer, tg) as bot:
        started = time.monotonic()
        for u in users:
            tg.send_text(tg.private_chat(u), u, QUESTION)
        await bot.answered(len(users))
        elapsed = time.monotonic() - started
    assert all(tg.messages_to(u["id"]) for u in users)
    assert elapsed < 4.0, elapsed  # eight 1-second model calls overlap


async def test_under_load_answers_skip_typing_and_streaming(
    tmp_path: Path, tg: FakeTelegram, llm_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    reply = "Lei Jun, Xiaomi's CEO, was seen using an iPhone on social networks [1]. " * 3
    fake_openai.default["chat"] = {"content": reply, "chunk": 10, "pause": 0.05}
    users = [user(1300 + i, "en") for i in range(3)]
    async with running(bot_settings(tmp_path, tg, stream_below=1), llm_answerer, tg) as bot:
        for u in users:
            tg.send_text(tg.private_chat(u), u, QUESTION)
        await bot.answered(3)
    msgs = [tg.messages_to(u["id"])[0] for u in users]
    assert all(m.parse_mode == "HTML" and "iPhone" in m.text for m in msgs)
    streamed = [m for m in msgs if m.edits or tg.drafts.get(m.chat_id)]
    typed = {c["chat_id"] for c in tg.calls_of("sendChatAction")}
    assert len(streamed) == 1 and typed == {streamed[0].chat_id}  # the others came in one message
