"""What owners and group admins decide about chats: per-group settings, who is served (allow and
deny lists), and which channels are sources of articles."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.store.db import Database, access_t, channels_t, chat_settings_t, chat_shelves_t
from retrieval.api import PUBLIC_SHELF

MODES = ("mention", "all")
LENGTHS = ("short", "normal", "long")


@dataclass(frozen=True)
class ChatSettings:
    mode: str = "mention"  # answer when addressed, or also every message that is a question
    length: str = "normal"
    language: str = ""  # fixed answer language; "" = the question's


class Chats:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.engine = db.engine

    # --- per-chat settings ----------------------------------------------------------------------
    def chat_settings(self, chat_id: int) -> ChatSettings:
        t = chat_settings_t
        with self.engine.connect() as c:
            r = c.execute(
                sa.select(t.c.mode, t.c.length, t.c.language).where(t.c.chat_id == chat_id)
            ).first()
        return ChatSettings(r.mode, r.length, r.language) if r else ChatSettings()

    def set_chat_setting(self, chat_id: int, key: str, value: str) -> ChatSettings:
        allowed = {"mode": MODES, "length": LENGTHS}
        if key not in ("mode", "length", "language"):
            raise ValueError(f"unknown chat setting {key!r}")
        if key in allowed and value not in allowed[key]:
            raise ValueError(f"{key} must be one of {allowed[key]}")
        if key == "language" and len(value) > 16:
            raise ValueError("language must be an ISO 639-1 code")
        # Only the one column is written, so two admins pressing different buttons at the same
        # moment cannot undo each other (a read-then-write lost the first press).
        with self.engine.begin() as c:
            self.db.upsert(c, chat_settings_t, {"chat_id": chat_id, key: value}, ["chat_id"])
        return self.chat_settings(chat_id)

    # --- access ---------------------------------------------------------------------------------
    def set_access(self, kind: str, ids: Iterable[int]) -> None:
        """`allow` an id removes it from the deny list and vice versa."""
        if kind not in ("allow", "deny"):
            raise ValueError(kind)
        other = "deny" if kind == "allow" else "allow"
        with self.engine.begin() as c:
            for i in ids:
                c.execute(sa.delete(access_t).where(access_t.c.kind == other, access_t.c.id == i))
                self.db.upsert(
                    c, access_t, {"kind": kind, "id": i, "added_at": time.time()}, ["kind", "id"]
                )

    def access(self, kind: str) -> list[int]:
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(access_t.c.id).where(access_t.c.kind == kind).order_by(access_t.c.id)
            )
            return [int(r[0]) for r in rows]

    def is_served(
        self, chat_id: int, user_id: int | None, sender_chat_id: int | None = None
    ) -> bool:
        """Denied ids are never served; once anything is allowed, only allowed chats or users are."""
        ids = [chat_id] + [i for i in (user_id, sender_chat_id) if i is not None]
        t = access_t
        with self.engine.connect() as c:
            if c.execute(
                sa.select(t.c.id).where(t.c.kind == "deny", t.c.id.in_(ids)).limit(1)
            ).first():
                return False
            if not c.execute(sa.select(t.c.id).where(t.c.kind == "allow").limit(1)).first():
                return True
            return (
                c.execute(
                    sa.select(t.c.id).where(t.c.kind == "allow", t.c.id.in_(ids)).limit(1)
                ).first()
                is not None
            )

    # --- shelves: what each chat answers from ---------------------------------------------------
    def shelves_of(self, chat_id: int) -> tuple[str, ...]:
        """The shelves `chat_id` sees: those an owner bound it to; else `public`, and for the
        discussion group of source channels their shelves too. Read at every question, so a
        change takes effect at the next one, in every process."""
        t, ch = chat_shelves_t, channels_t
        with self.engine.connect() as c:
            bound = (
                c.execute(sa.select(t.c.shelf).where(t.c.chat_id == chat_id).order_by(t.c.shelf))
                .scalars()
                .all()
            )
            if bound:
                return tuple(bound)
            linked = (
                c.execute(
                    sa.select(ch.c.shelf).where(ch.c.linked_chat_id == chat_id, ch.c.shelf != "")
                )
                .scalars()
                .all()
            )
        return tuple(dict.fromkeys([PUBLIC_SHELF, *sorted(linked)]))

    def bound(self, chat_id: int) -> bool:
        """Whether an owner chose this chat's shelves (else it has the default)."""
        t = chat_shelves_t
        with self.engine.connect() as c:
            return (
                c.execute(sa.select(t.c.shelf).where(t.c.chat_id == chat_id).limit(1)).first()
                is not None
            )

    def set_shelves(self, chat_id: int, shelves: Iterable[str], added_by: int) -> tuple[str, ...]:
        """Bind `chat_id` to exactly `shelves` (checked names; at least one) in one transaction;
        an empty set returns it to the default."""
        wanted = list(dict.fromkeys(shelves))
        t = chat_shelves_t
        with self.engine.begin() as c:
            c.execute(sa.delete(t).where(t.c.chat_id == chat_id))
            if wanted:
                now = time.time()
                c.execute(sa.insert(t), [
                    {"chat_id": chat_id, "shelf": s, "added_by": added_by, "added_at": now}
                    for s in wanted
                ])  # fmt: skip
        return self.shelves_of(chat_id)

    def chats_on(self, shelf: str) -> list[int]:
        """The chats an owner bound to `shelf` (for `/shelf` in a private chat)."""
        t = chat_shelves_t
        with self.engine.connect() as c:
            return [int(r) for r in c.execute(
                sa.select(t.c.chat_id).where(t.c.shelf == shelf).order_by(t.c.chat_id)
            ).scalars()]  # fmt: skip

    # --- source channels ------------------------------------------------------------------------
    def add_channel(
        self,
        chat_id: int,
        title: str,
        username: str,
        added_by: int,
        shelf: str = "",
        linked_chat_id: int | None = None,
    ) -> None:
        values = {"chat_id": chat_id, "title": title, "username": username or "",
                  "added_by": added_by, "added_at": time.time(), "shelf": shelf,
                  "linked_chat_id": linked_chat_id}  # fmt: skip
        with self.engine.begin() as c:
            self.db.upsert(c, channels_t, values, ["chat_id"])

    def remove_channel(self, chat_id: int) -> bool:
        with self.engine.begin() as c:
            return bool(
                c.execute(sa.delete(channels_t).where(channels_t.c.chat_id == chat_id)).rowcount
            )

    def channel(self, chat_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            r = (
                c.execute(sa.select(channels_t).where(channels_t.c.chat_id == chat_id))
                .mappings()
                .first()
            )
        return dict(r) if r else None

    def channels(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [
                dict(r)
                for r in c.execute(sa.select(channels_t).order_by(channels_t.c.added_at)).mappings()
            ]
