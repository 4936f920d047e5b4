"""Sliding windows of questions per user and per chat, in the shared database, so several bot
processes count together (the `limits.WindowStore` the rate limiter asks)."""

from __future__ import annotations

import time

import sqlalchemy as sa

from bot.store.db import Database, rate_events_t, rate_notices_t

KEEP_SECONDS = 86400.0  # longer than any sensible rate window


class RateWindows:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.engine = db.engine

    def rate_check(self, keys: list[tuple[str, int]], window: float, now: float) -> str:
        """ "ok" (and the question is counted), "notify" (over a limit, first time: tell the
        user) or "silent" (over a limit, already told)."""
        with self.engine.begin() as c:
            ev, no = rate_events_t, rate_notices_t
            names = [k for k, _ in keys]
            if self.db.dialect == "postgresql":  # processes checking the same user take turns
                for k in sorted(names):
                    c.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": k})
            c.execute(sa.delete(ev).where(ev.c.key.in_(names), ev.c.at <= now - window))
            over = []
            for key, limit in keys:
                n = c.execute(
                    sa.select(sa.func.count()).where(ev.c.key == key, ev.c.at > now - window)
                ).scalar_one()
                if n >= limit:
                    over.append(key)
            if over:
                fresh = [
                    k
                    for k in over
                    if self.db.upsert(c, no, {"key": k, "at": now}, ["key"], update=False,
                                      returning=no.c.key).first() is not None
                ]  # fmt: skip
                return "notify" if fresh else "silent"
            c.execute(sa.insert(ev), [{"key": k, "at": now} for k in names])
            c.execute(sa.delete(no).where(no.c.key.in_(names)))
            return "ok"

    def prune(self) -> None:
        """Rate events of users who never came back (a question only prunes its own keys)."""
        with self.engine.begin() as c:
            c.execute(
                sa.delete(rate_events_t).where(rate_events_t.c.at < time.time() - KEEP_SECONDS)
            )
