"""One answer at a time per asker in a chat: a second question from the same person waits for
the first one's answer (and is marked 👀 meanwhile, see `reactions`)."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable


class Queue:
    """A lock per key: (chat, asker) for answers, a chat for its settings panel."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}

    def lock(self, key: Hashable) -> asyncio.Lock:
        if len(self._locks) > 10_000:  # forget idle chats
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}
        return self._locks.setdefault(key, asyncio.Lock())
