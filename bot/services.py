"""What the handlers work with, built once in `bot.app` and reached through `bot_data`."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import CallbackContext

from bot.chat_queue import Queue
from bot.limits import RateLimiter
from bot.metrics import Metrics
from bot.settings import BotSettings
from bot.store.inbox import process_owner
from bot.store.state import State
from retrieval.api import Answerer, Index

ADMIN_CACHE_SECONDS = 60.0
OWNER_NOTICE_SECONDS = 300.0


@dataclass
class Throttle:
    """Yes at most once every `seconds`, the first time included. (The last time once started
    at 0.0, and a monotonic clock is seconds since boot: on a machine up for less than five
    minutes the first error never reached the owners.)"""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    last: float = float("-inf")

    def due(self) -> bool:
        now = self.clock()
        if now - self.last < self.seconds:
            return False
        self.last = now
        return True


@dataclass
class Services:
    settings: BotSettings
    index: Index
    answerer: Answerer
    state: State
    limiter: RateLimiter
    answers: asyncio.Semaphore
    ingest_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Ingest gets its own thread so a long one never takes a thread that answers need.
    ingest_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="ingest")
    )
    admin_cache: dict[tuple[int, int], tuple[bool, float]] = field(default_factory=dict)
    owner_notices: Throttle = field(default_factory=lambda: Throttle(OWNER_NOTICE_SECONDS))
    metrics: Metrics = field(default_factory=Metrics)
    owns_core: bool = True  # built by the bot (closed on shutdown), or handed in by the caller
    owner: str = field(default_factory=lambda: process_owner())  # this process, in the inbox
    replaying: set[int] = field(default_factory=set)
    unfinished: set[int] = field(default_factory=set)  # cut short at shutdown: left claimed
    in_flight: int = 0  # answers in progress in this process
    warming: Any = None  # the future of the index's warm-up
    bot_username: str = ""
    # Signs the deep links to passages (commands/source_links.py); the same in every process.
    link_secret: bytes = field(default=b"", repr=False)
    bot_id: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)  # set at shutdown
    feeds: Any = None  # retrieval.api.Feeds, built on first use
    quick_answerer: Any = None  # an Answerer without a model, for inline results (built on use)
    transcriber: Any = None  # retrieval.api.OpenAITranscriber when voice questions are set up
    no_drafts: set[int] = field(default_factory=set)  # private chats that refused drafts
    queue: Queue = field(default_factory=Queue)
    # Updates run concurrently: presses on one chat's settings panel are applied and shown one
    # at a time, so the panel never ends on a view older than the settings.
    panels: Queue = field(default_factory=Queue)

    @property
    def owners(self) -> frozenset[int]:
        return self.settings.owners

    def is_owner(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.owners

    def cached_admin(self, chat_id: int, user_id: int) -> bool | None:
        hit = self.admin_cache.get((chat_id, user_id))
        if hit and hit[1] > time.monotonic() - ADMIN_CACHE_SECONDS:
            return hit[0]
        return None

    def remember_admin(self, chat_id: int, user_id: int, is_admin: bool) -> None:
        if len(self.admin_cache) > 10_000:
            self.admin_cache.clear()
        self.admin_cache[(chat_id, user_id)] = (is_admin, time.monotonic())

    def feed_poller(self) -> Any:
        if self.feeds is None:
            from retrieval.api import Feeds

            self.feeds = Feeds(self.index, stop=self.stopping)
        return self.feeds

    def owner_notice_due(self) -> bool:
        return self.owner_notices.due()


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    svc = context.bot_data["services"]
    assert isinstance(svc, Services)
    return svc
