"""The update inbox: each update is handled once, however often it is delivered (another process,
a webhook retry, a replay), and an update a crashed process was handling is replayed."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import sqlalchemy as sa

from .db import Database, inbox_t

KEEP_SECONDS = 86400.0  # finished entries, long enough to catch a late redelivery
LEASE_SECONDS = 600.0  # an unfinished update of another host is taken over after this


def process_owner() -> str:
    """Who holds an update: host, pid and start time, so a restarted process on the same host
    can tell its dead predecessor's work from a live neighbour's."""
    return f"{os.uname().nodename}:{os.getpid()}:{int(time.time())}"


def owner_gone(owner: str, claimed_at: float, me: str, lease: float = LEASE_SECONDS) -> bool:
    """Dead if it ran on this host and its pid is gone (or is us, restarted), or its claim is older
    than the lease (another host)."""
    host, _, rest = owner.partition(":")
    pid_s = rest.partition(":")[0]
    if owner == me:
        return False
    if host == me.split(":")[0]:
        try:
            os.kill(int(pid_s), 0)
        except (ProcessLookupError, ValueError):
            return True
        except PermissionError:
            return False
        return int(pid_s) == os.getpid()  # same pid number, earlier start: that was us
    return time.time() - claimed_at > lease


class Inbox:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.engine = db.engine

    def claim_update(self, update_id: int, owner: str, payload: dict[str, Any]) -> bool:
        """True if this process is the first to see the update (another process, or a replay,
        may deliver it again)."""
        with self.engine.begin() as c:
            res = self.db.upsert(
                c, inbox_t,
                {"update_id": update_id, "status": "working", "owner": owner,
                 "claimed_at": time.time(), "payload": json.dumps(payload)},
                ["update_id"], update=False, returning=inbox_t.c.update_id,
            )  # fmt: skip
            return res.first() is not None  # rowcount is not reliable here across drivers

    def finish_update(self, update_id: int) -> None:
        with self.engine.begin() as c:
            c.execute(
                sa.update(inbox_t)
                .where(inbox_t.c.update_id == update_id)
                .values(status="done", payload=None)
            )

    def unfinished_updates(self) -> list[tuple[int, str, float, dict[str, Any]]]:
        t = inbox_t
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(t.c.update_id, t.c.owner, t.c.claimed_at, t.c.payload)
                .where(t.c.status == "working")
                .order_by(t.c.update_id)
            ).all()
        return [(int(r[0]), r[1], float(r[2]), json.loads(r[3] or "{}")) for r in rows]

    def take_over_update(self, update_id: int, old_owner: str, owner: str) -> bool:
        """Move an unfinished update from a dead owner to this process (one winner)."""
        t = inbox_t
        with self.engine.begin() as c:
            res = c.execute(
                sa.update(t).where(t.c.update_id == update_id, t.c.owner == old_owner, t.c.status == "working")
                .values(owner=owner, claimed_at=time.time())
            )  # fmt: skip
            return bool(res.rowcount)

    def orphaned(self, me: str) -> list[tuple[int, dict[str, Any]]]:
        """Unfinished updates whose claimant is gone, now taken over by `me`: (id, payload)."""
        taken = []
        for uid, owner, claimed_at, payload in self.unfinished_updates():
            if owner_gone(owner, claimed_at, me) and self.take_over_update(uid, owner, me):
                taken.append((uid, payload))
        return taken

    def prune(self) -> None:
        cutoff = time.time() - KEEP_SECONDS
        with self.engine.begin() as c:
            c.execute(sa.delete(inbox_t).where(inbox_t.c.status == "done",
                                               inbox_t.c.claimed_at < cutoff))  # fmt: skip
