"""Faults: the model down, slow or refusing; Telegram failing; the Chroma server going away. Users
get an answer (offline if need be) or a clear "try again", and everything recovers by itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from retrieval.answer.answerer import Answerer
from retrieval.index.ingest import ingest
from retrieval.index.parts import Index
from retrieval.llm.client import make_llm
from testing.openai_server import FakeOpenAI
from testing.services import ChromaServer
from testing.telegram_server import FakeTelegram, user
from tests.bot.conftest import bot_settings, running, until
from tests.conftest import CORPUS
from tests.record import record

QUESTION = "Which phone does the Xiaomi CEO use?"
GOOD = "Lei Jun, Xiaomi's CEO, was seen using an iPhone [1]."


async def test_model_down_slow_or_refusing_gives_offline_answers_then_recovers(
    tmp_path: Path, tg: FakeTelegram, sample_index: Index, fake_openai: FakeOpenAI
) -> None:
    settings = replace(sample_index.settings, openai_base_url=fake_openai.base_url,
                       openai_api_key="sk-x", llm_timeout=1.0, llm_retries=1)  # fmt: skip
    llm = make_llm(settings)
    faults = {
        "500": [{"status": 500}] * 2,  # the first try and the one retry
        "429": [{"status": 429, "headers": {"retry-after": "0"}}] * 2,
        "slow": [{"hang": 2.5, "content": GOOD}] * 2,  # beyond the 1 s timeout
    }
    askers = {name: user(7100 + i, "en") for i, name in enumerate([*faults, "recovered"])}
    try:
        async with running(
            bot_settings(tmp_path, tg), Answerer(sample_index, llm, translate=False), tg
        ) as bot:
            for n, (name, actions) in enumerate(faults.items(), 1):
                for action in actions:
                    fake_openai.queue("chat", **action)
                tg.send_text(tg.private_chat(askers[name]), askers[name], QUESTION)
                await bot.answered(n, timeout=30)
            fake_openai.queue("chat", content=GOOD, chunk=10)  # the model is back
            started = time.monotonic()
            tg.send_text(tg.private_chat(askers["recovered"]), askers["recovered"], QUESTION)
            await bot.answered(len(faults) + 1)
            recovery = time.monotonic() - started
    finally:
        await llm.close()  # type: ignore[union-attr]
    for name in faults:
        [msg] = tg.messages_to(askers[name]["id"])
        assert msg.text.startswith("No language model is available"), name  # offline, said so
        assert "iPhone" in msg.text
    [ok] = tg.messages_to(askers["recovered"]["id"])
    assert ok.text.startswith("Lei Jun, Xiaomi's CEO") and recovery < 5
    record("model back: question to complete model answer", recovery)


async def test_telegram_errors_on_polling_and_sending_lose_nothing(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    tg.fail("getUpdates", 502, "Bad Gateway", times=2)
    tg.fail("getUpdates", 429, "Too Many Requests: retry after 1", retry_after=1)
    tg.fail("getUpdates", 0, "connection dropped", times=1)
    tg.fail("sendMessage", 500, "Internal Server Error", times=1)
    tg.fail("sendMessage", 0, "connection dropped", times=1)
    tg.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    users = [user(7200 + i, "en") for i in range(5)]
    for u in users:  # queued before the bot even starts: pending updates
        tg.send_text(tg.private_chat(u), u, QUESTION)
    started = time.monotonic()
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        await bot.answered(5, timeout=60)
        record(
            "Telegram 502, 429, dropped connections on getUpdates and sendMessage: all 5 answered after",
            time.monotonic() - started,
        )
        await asyncio.sleep(1.0)
    for u in users:
        assert len(tg.messages_to(u["id"])) == 1  # each answered, none twice
    assert all(f.times == 0 for f in tg.faults)  # every fault was hit


@pytest.fixture
def chroma_on(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(path=tmp_path / "chroma-data")
    server.__enter__()
    yield server
    server.__exit__()


async def test_chroma_server_killed_and_restarted(
    tmp_path: Path, tg: FakeTelegram, chroma_on: ChromaServer, embedder, detector, settings
) -> None:  # type: ignore[no-untyped-def]
    s = replace(
        settings,
        chroma_host="127.0.0.1",
        chroma_port=chroma_on.port,
        gate_min_score=-10.0,
        gate_off_topic_score=-10.0,
    )
    index = Index(s, embedder=embedder, detector=detector)
    assert ingest(index, [str(CORPUS)]).ok
    askers = [user(7300 + i, "en") for i in range(3)]
    try:
        async with running(bot_settings(tmp_path, tg), Answerer(index, None), tg) as bot:
            tg.send_text(tg.private_chat(askers[0]), askers[0], QUESTION)
            await bot.answered(1)
            chroma_on.kill()
            tg.send_text(tg.private_chat(askers[1]), askers[1], QUESTION)
            await until(lambda: tg.messages_to(askers[1]["id"]), 30)
            chroma_on.restart()
            started = time.monotonic()
            tg.send_text(tg.private_chat(askers[2]), askers[2], QUESTION)
            await bot.answered(2, timeout=30)
            recovery = time.monotonic() - started
    finally:
        index.close()
    assert "iPhone" in tg.messages_to(askers[0]["id"])[0].text
    assert tg.messages_to(askers[1]["id"])[0].text == (
        "The article index is not reachable right now. Please try again in a moment."
    )
    assert "iPhone" in tg.messages_to(askers[2]["id"])[0].text and recovery < 10
    record("Chroma server restarted: first question to its answer (no bot restart)", recovery)


async def test_an_update_left_by_a_run_that_is_gone_is_answered_without_a_restart(
    tmp_path: Path, tg: FakeTelegram, sample_index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Orphaned claims are looked for while the bot runs, not only at its start: a replay the
    start missed (an earlier run of this very process claimed a question and died with it) is
    answered at the next check."""
    from bot.store.inbox import process_owner

    monkeypatch.setattr("bot.store.inbox.RENEW_SECONDS", 0.2)
    asker = user(3301, "en")
    chat = tg.private_chat(asker)
    async with running(bot_settings(tmp_path, tg), Answerer(sample_index, None), tg) as bot:
        update = tg.update_dict(message=tg.message(chat, asker, QUESTION))
        assert await asyncio.to_thread(
            bot.svc.state.inbox.claim_update, update["update_id"], process_owner(), update
        )
        await bot.answered(1, timeout=20)
        await until(lambda: not bot.svc.state.inbox.unfinished_updates(), 10)
    assert len(tg.messages_to(asker["id"])) == 1  # answered once
