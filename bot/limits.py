"""Per-user and per-chat question limits with one friendly notice per burst. The windows live in
the state database, so several bot processes share them."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum
from typing import Protocol

INLINE_SHARE = 5


class Verdict(Enum):
    OK = "ok"
    NOTIFY = "notify"  # over the limit: tell the user once
    SILENT = "silent"  # still over the limit and already told


class WindowStore(Protocol):
    def rate_check(self, keys: list[tuple[str, int]], window: float, now: float) -> str: ...


class RateLimiter:
    """Sliding windows: a question counts against its user and its chat."""

    def __init__(
        self,
        store: WindowStore,
        per_user: int,
        per_chat: int,
        window: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.per_user, self.per_chat, self.window = per_user, per_chat, window
        self.clock = clock

    def check_inline(self, user_id: int) -> Verdict:
        """Inline queries come as the user types: a budget of their own, INLINE_SHARE times the
        user's questions (choosing a result with a model counts as a question)."""
        key = (f"inline:{user_id}", self.per_user * INLINE_SHARE)
        return Verdict(self.store.rate_check([key], self.window, self.clock()))

    def check(self, user_id: int | None, chat_id: int) -> Verdict:
        keys = [(f"chat:{chat_id}", self.per_chat)]
        if user_id is not None:
            keys.append((f"user:{user_id}", self.per_user))
        return Verdict(self.store.rate_check(keys, self.window, self.clock()))
