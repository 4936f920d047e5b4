"""The real Application, built by `bot.app`, against the fake Telegram server (and, for model
answers, the fake OpenAI-compatible server behind a real `openai` client)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.services import Services
from bot.settings import BotSettings as Settings
from retrieval.answer.answerer import Answerer
from retrieval.index.parts import Index
from testing.openai_server import FakeOpenAI, chat_model_for
from testing.telegram_server import TOKEN, FakeTelegram, user

OWNER = 42
OWNER_USER = user(OWNER, "en", "Olga")


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    server.private_chat(OWNER_USER)
    yield server
    server.stop()


def command(text: str) -> list[dict[str, int | str]]:
    """The entities Telegram sends with a message that starts with a /command."""
    return [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]


def bot_settings(tmp_path: Path, tg: FakeTelegram, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "bot-data",
        "telegram_bot_token": TOKEN,
        "telegram_base_url": tg.base_url,
        "telegram_base_file_url": tg.base_file_url,
        "admin_ids": str(OWNER),
        "telegram_group_rate": 10_000,
        "telegram_max_retries": 2,
        "edit_interval": 0.05,
        "group_edit_interval": 0.05,
        "embed_workers": 1,
        "lock_timeout": 5.0,
    }
    values.update(overrides)
    return Settings.from_env(environ={}, dotenv_path=None, **values)


@dataclass
class Bot:
    app: Any
    tg: FakeTelegram
    svc: Services

    async def answered(self, n: int, timeout: float = 30.0) -> None:
        """Wait until `n` answers are delivered and logged."""
        await until(lambda: self.svc.state.log.stats()["questions"] >= n, timeout)


async def settle(bot: Bot, quiet: float = 1.0) -> None:
    """For "nothing happens" checks: wait until every update fetched so far has been handled
    (the bot is not processing anything) and then a quiet second more."""
    await until(lambda: not bot.tg.updates, 10)
    await asyncio.sleep(quiet)
    await until(lambda: bot.app.update_queue.empty(), 10)


async def until(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll without blocking the event loop the bot runs on."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def running(settings: Settings, answerer: Answerer, tg: FakeTelegram) -> AsyncIterator[Bot]:
    """initialize/start/start_polling by hand: run_polling() cannot run inside a test's loop."""
    app = build_application(settings, answerer=answerer)
    await app.initialize()
    await app.post_init(app)  # run_polling()/run_webhook() call it; starting by hand, we do
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield Bot(app, tg, app.bot_data["services"])
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


@pytest.fixture
async def llm_answerer(sample_index: Index, fake_openai: FakeOpenAI) -> AsyncIterator[Answerer]:
    llm = chat_model_for(sample_index, fake_openai, timeout=5.0)
    yield Answerer(sample_index, llm, translate=False)
    await llm.close()


@pytest.fixture
def offline_answerer(sample_index: Index) -> Answerer:
    return Answerer(sample_index, None)
