"""One answer at a time per asker in a chat: a second question from the same person waits for
the first one's answer (and is marked 👀 meanwhile, see `reactions`)."""

from __future__ import annotations

import asyncio


class Queue:
    """A lock per (chat, asker)."""

    def __init__(self) -> None:
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}

    def lock(self, key: tuple[int, int]) -> asyncio.Lock:
        if len(self._locks) > 10_000:  # forget idle chats
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}
        return self._locks.setdefault(key, asyncio.Lock())
