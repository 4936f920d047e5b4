"""One answer at a time per asker: the lock table never drops a lock in use (which let two
answers for one asker run at once once it was rebuilt) and never keeps an idle one."""

from __future__ import annotations

import asyncio

from bot.chat_queue import Queue


async def test_a_turn_in_use_is_never_replaced_and_idle_ones_are_forgotten() -> None:
    queue = Queue()
    inside: dict[object, int] = {}
    overlaps = []

    async def ask(key: object) -> None:
        async with queue.turn(key):
            inside[key] = inside.get(key, 0) + 1
            if inside[key] > 1:
                overlaps.append(key)
            await asyncio.sleep(0)
            inside[key] -= 1

    busy = [ask(("chat", 1)) for _ in range(50)]
    crowd = [ask(("chat", n)) for n in range(2, 12_000)]  # more keys than any table cap
    await asyncio.gather(*busy, *crowd)
    assert overlaps == [] and len(queue) == 0 and not queue.busy(("chat", 1))
