"""One answer at a time per asker in a chat: a second question from the same person waits for
the first one's answer (and is marked 👀 meanwhile, see `reactions`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class Queue:
    """A lock per key: (chat, asker) for answers, a chat for its settings panel. An entry lives
    exactly as long as someone holds or waits for it: the table never grows with idle chats,
    and a lock in use is never dropped for a fresh one (two answers at once)."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._users: dict[Hashable, int] = {}

    def busy(self, key: Hashable) -> bool:
        """Someone holds or waits for this key's turn."""
        return key in self._users

    @asynccontextmanager
    async def turn(self, key: Hashable) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)
