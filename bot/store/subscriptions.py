"""Daily digest subscriptions: which chat gets its digest at what local time, and which local
day was last served. Claiming a day is one conditional UPDATE, so with several processes
exactly one sends it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.store.db import Database, subscriptions_t


@dataclass(frozen=True)
class Subscription:
    chat_id: int
    at: str
    tz: str
    lang: str
    added_by: int
    last_period: str
    last_sent_at: float

    def due_period(self, now: datetime) -> str:
        """The local day to send now ('' if not yet time or already sent)."""
        try:
            zone = ZoneInfo(self.tz)
        except (ValueError, OSError):  # stored by an earlier release without the zone check
            zone = ZoneInfo("UTC")
        local = now.astimezone(zone)
        hour, minute = (int(x) for x in self.at.split(":"))
        day = local.date().isoformat()
        if (local.hour, local.minute) < (hour, minute) or self.last_period == day:
            return ""
        return day


class Subscriptions:
    def __init__(self, db: Database) -> None:
        self.db = db

    def subscribe(self, chat_id: int, at: str, tz: str, lang: str, added_by: int) -> None:
        with self.db.engine.begin() as c:
            self.db.upsert(
                c, subscriptions_t,
                {"chat_id": chat_id, "at": at, "tz": tz, "lang": lang, "added_by": added_by},
                ["chat_id"],
            )  # fmt: skip

    def unsubscribe(self, chat_id: int) -> bool:
        with self.db.engine.begin() as c:
            t = subscriptions_t
            return bool(c.execute(sa.delete(t).where(t.c.chat_id == chat_id)).rowcount)

    def get(self, chat_id: int) -> Subscription | None:
        return next((s for s in self.all() if s.chat_id == chat_id), None)

    def all(self) -> list[Subscription]:
        with self.db.engine.connect() as c:
            rows = c.execute(sa.select(subscriptions_t).order_by(subscriptions_t.c.chat_id))
            return [Subscription(**r._mapping) for r in rows]

    def release(self, chat_id: int, previous_send: float) -> None:
        """A claimed day whose digest failed: due again, "new since" the previous send."""
        t = subscriptions_t
        with self.db.engine.begin() as c:
            c.execute(
                sa.update(t)
                .where(t.c.chat_id == chat_id)
                .values(last_period="", last_sent_at=previous_send)
            )

    def claim(self, chat_id: int, period: str) -> float | None:
        """Take the day `period` for this process; the previous send time (for "new since"),
        or None when another process already took it."""
        t = subscriptions_t
        with self.db.engine.begin() as c:
            prev = c.execute(sa.select(t.c.last_sent_at).where(t.c.chat_id == chat_id)).first()
            done = c.execute(
                sa.update(t)
                .where(t.c.chat_id == chat_id, t.c.last_period != period)
                .values(last_period=period, last_sent_at=time.time())
            ).rowcount
        return float(prev[0]) if done and prev is not None else None
