"""The update inbox: each update is handled once, however often it is delivered (another process,
a webhook retry, a replay), and an update a crashed process was handling is replayed.

Who holds an update is a *run*: one start of the bot, named by host, pid, the pid namespace it
lives in and a random part. Two starts never share a name, even when a restarted container's bot
is pid 1 again within the same second (the name once was host, pid and start second, and such a
restart never took its predecessor's work over). A live run renews its claims; a claim is taken
over when its run is known to be gone (this process's earlier run, or a dead pid in the same pid
namespace) or has stopped renewing for longer than the lease (any other host)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.store.db import Database, inbox_t

KEEP_SECONDS = 86400.0  # finished entries, long enough to catch a late redelivery
LEASE_SECONDS = 300.0  # a claim not renewed for this long belongs to a run that is gone
RENEW_SECONDS = 60.0  # how often a live run renews its claims and looks for orphans

_running: set[str] = set()  # the runs of this process that still handle updates
_running_lock = threading.Lock()


def _pid_space() -> str:
    """Where a pid names one process: this boot of this kernel and this pid namespace (two
    containers on one machine may both be pid 1). Empty where the system does not say."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return ""
    return hashlib.sha1(f"{boot}/{namespace}".encode()).hexdigest()[:8]


def process_owner() -> str:
    """A new run's name: `host:pid:space:random`, unique per start (host and pid for the log)."""
    host = os.uname().nodename.replace(":", "_")[:64]
    return f"{host}:{os.getpid()}:{_pid_space() or '-'}:{uuid.uuid4().hex[:16]}"


def begin_run(owner: str) -> None:
    """This process handles updates as `owner` from now on: its claims are alive."""
    with _running_lock:
        _running.add(owner)


def end_run(owner: str) -> None:
    """`owner` stopped: what it left claimed may be taken over (by the next run, say)."""
    with _running_lock:
        _running.discard(owner)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process, or not a pid we can ask about: assume alive
    return True


def owner_gone(
    owner: str, claimed_at: float, me: str, now: float | None = None, lease: float = LEASE_SECONDS
) -> bool:
    """Whether the run that claimed an update is gone, so `me` may take the update over.

    Certain when it shared our pid namespace: our own pid but not one of our running runs (an
    earlier start of this process), or a pid that no longer exists. Otherwise (another host or
    container, a pid since reused) only its lease tells: live runs renew their claims."""
    if owner == me:
        return False
    with _running_lock:
        if owner in _running:
            return False
    now = time.time() if now is None else now
    host, pid, space = _parts(owner)
    my_host, my_pid, my_space = _parts(me)
    # The previous release named runs host:pid:second (no space): its pids are this host's.
    same_space = host == my_host and space in (my_space, "")
    if pid is not None and same_space and (pid == my_pid or not _pid_alive(pid)):
        return True
    return now - claimed_at > lease


def _parts(owner: str) -> tuple[str, int | None, str]:
    """Host, pid and pid space of a run's name (space "" for the older three-part names)."""
    fields = owner.split(":")
    try:
        pid = int(fields[1]) if len(fields) > 1 else None
    except ValueError:
        pid = None
    return fields[0], pid, fields[2] if len(fields) == 4 else ""


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

    def renew(self, owner: str) -> int:
        """Keep `owner`'s unfinished claims alive (a long ingest outlives any lease)."""
        t = inbox_t
        with self.engine.begin() as c:
            res = c.execute(
                sa.update(t).where(t.c.owner == owner, t.c.status == "working")
                .values(claimed_at=time.time())
            )  # fmt: skip
            return int(res.rowcount or 0)

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

    def orphaned(self, me: str, now: float | None = None) -> list[tuple[int, dict[str, Any]]]:
        """Unfinished updates whose claimant is gone, now taken over by `me`: (id, payload)."""
        taken = []
        for uid, owner, claimed_at, payload in self.unfinished_updates():
            if owner_gone(owner, claimed_at, me, now) and self.take_over_update(uid, owner, me):
                taken.append((uid, payload))
        return taken

    def prune(self) -> None:
        cutoff = time.time() - KEEP_SECONDS
        with self.engine.begin() as c:
            c.execute(sa.delete(inbox_t).where(inbox_t.c.status == "done",
                                               inbox_t.c.claimed_at < cutoff))  # fmt: skip
