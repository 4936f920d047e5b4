"""Per-user and per-chat question limits with one friendly notice per burst."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum


class Verdict(Enum):
    OK = "ok"
    NOTIFY = "notify"  # over the limit: tell the user once
    SILENT = "silent"  # still over the limit and already told


class RateLimiter:
    """Sliding windows in memory: a question counts against its user and its chat."""

    def __init__(
        self,
        per_user: int,
        per_chat: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_user, self.per_chat, self.window = per_user, per_chat, window
        self.clock = clock
        self._hits: dict[tuple[str, int], deque[float]] = {}
        self._notified: dict[tuple[str, int], float] = {}

    def check(self, user_id: int | None, chat_id: int) -> Verdict:
        now = self.clock()
        keys = [("chat", chat_id, self.per_chat)]
        if user_id is not None:
            keys.append(("user", user_id, self.per_user))
        over = []
        for kind, ident, limit in keys:
            q = self._hits.setdefault((kind, ident), deque())
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= limit:
                over.append((kind, ident))
        if over:
            fresh = [k for k in over if k not in self._notified]
            for k in fresh:
                self._notified[k] = now
            return Verdict.NOTIFY if fresh else Verdict.SILENT
        for kind, ident, _ in keys:
            self._hits[(kind, ident)].append(now)
            self._notified.pop((kind, ident), None)
        if len(self._hits) > 50_000:  # forget idle keys so memory stays flat
            for k in [k for k, q in self._hits.items() if not q or q[-1] <= now - self.window]:
                del self._hits[k]
        return Verdict.OK
