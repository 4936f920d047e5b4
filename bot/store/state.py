"""The bot's state, opened once: one database and the stores that own its tables (chats, the
answer log, the update inbox, rate windows, digests, follows). A box of parts; the verbs are the stores'."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bot.store.answer_log import AnswerLog
from bot.store.chats import Chats
from bot.store.db import Database, database_url
from bot.store.follows import Follows
from bot.store.inbox import Inbox
from bot.store.rate_windows import RateWindows
from bot.store.subscriptions import Subscriptions

PRUNE_EVERY = 600.0  # pruning scans tables: at most this often, not on every answer


@dataclass
class State:
    db: Database
    chats: Chats
    log: AnswerLog
    inbox: Inbox
    windows: RateWindows
    subscriptions: Subscriptions
    follows: Follows
    _pruned_at: float = field(default=float("-inf"), repr=False)

    @classmethod
    def open(cls, url: str, log_text: bool = False) -> State:
        db = Database(url)
        return cls(db, Chats(db), AnswerLog(db, log_text), Inbox(db), RateWindows(db),
                   Subscriptions(db), Follows(db))  # fmt: skip

    @classmethod
    def for_settings(cls, settings: Any) -> State:
        return cls.open(
            database_url(settings.database_url.get_secret_value(), settings.data_dir),
            settings.log_text,
        )

    def tidy(self) -> None:
        """Forget old history, finished inbox entries and stale rate events (at most every
        PRUNE_EVERY seconds; called from a worker thread after an update is handled)."""
        if time.monotonic() - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = time.monotonic()
        self.log.prune()
        self.inbox.prune()
        self.windows.prune()

    def close(self) -> None:
        self.db.close()
