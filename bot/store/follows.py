"""Stories chats follow (/follow words) and the alerts told for them: each (chat, article) is
claimed once in the shared database, so that with several processes exactly one tells it, and
the day's alerts per chat are counted against a cap."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from bot.store.db import Database, follow_alerts_t, follows_t, meta_kv

MAX_PER_CHAT = 20
MAX_WORDS = 200
CURSOR = "follow_cursor"


@dataclass(frozen=True)
class Follow:
    id: int
    chat_id: int
    words: str
    lang: str


class Follows:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.engine = db.engine

    def add(self, chat_id: int, words: str, lang: str, added_by: int) -> Follow | None:
        """The new follow; None when the chat already follows MAX_PER_CHAT stories."""
        t = follows_t
        with self.engine.begin() as c:
            n = c.execute(sa.select(sa.func.count()).where(t.c.chat_id == chat_id)).scalar_one()
            if n >= MAX_PER_CHAT:
                return None
            words = words[:MAX_WORDS]
            row = {"chat_id": chat_id, "words": words, "lang": lang, "added_by": added_by,
                   "added_at": time.time()}  # fmt: skip
            new_id = c.execute(sa.insert(t).values(**row).returning(t.c.id)).scalar_one()
        return Follow(int(new_id), chat_id, words, lang)

    def of_chat(self, chat_id: int) -> list[Follow]:
        t = follows_t
        with self.engine.connect() as c:
            rows = c.execute(sa.select(t).where(t.c.chat_id == chat_id).order_by(t.c.id))
            return [Follow(int(r.id), int(r.chat_id), r.words, r.lang) for r in rows]

    def remove(self, chat_id: int, number: int) -> Follow | None:
        """The chat's `number`th follow (1-based, as /following lists them), removed."""
        mine = self.of_chat(chat_id)
        if not 1 <= number <= len(mine):
            return None
        gone = mine[number - 1]
        with self.engine.begin() as c:
            c.execute(sa.delete(follows_t).where(follows_t.c.id == gone.id))
        return gone

    def all(self) -> list[Follow]:
        t = follows_t
        with self.engine.connect() as c:
            rows = c.execute(sa.select(t).order_by(t.c.chat_id, t.c.id))
            return [Follow(int(r.id), int(r.chat_id), r.words, r.lang) for r in rows]

    def claim(
        self, chat_id: int, article_id: str, follow_id: int, cap: int, day_start: float
    ) -> str:
        """Claim telling `article_id` to `chat_id`: "send", "fold" (claimed, but the chat had
        its `cap` alerts since `day_start`: counted for the "and N more" note) or "" (another
        process, or an earlier round, has it)."""
        t = follow_alerts_t
        with self.engine.begin() as c:
            sent = c.execute(
                sa.select(sa.func.count()).where(
                    t.c.chat_id == chat_id, t.c.at >= day_start, t.c.sent.is_(True)
                )
            ).scalar_one()
            row = {"chat_id": chat_id, "article_id": article_id, "follow_id": follow_id,
                   "at": time.time(), "sent": sent < cap}  # fmt: skip
            done = self.db.upsert(c, t, row, ["chat_id", "article_id"], update=False)
            if not done.rowcount:
                return ""
        return "send" if row["sent"] else "fold"

    def release(self, chat_id: int, article_id: str) -> None:
        """A claimed alert that could not be sent: the next round tries again."""
        t = follow_alerts_t
        with self.engine.begin() as c:
            c.execute(sa.delete(t).where(t.c.chat_id == chat_id, t.c.article_id == article_id))

    def folded_since(self, chat_id: int, since: float) -> int:
        t = follow_alerts_t
        with self.engine.connect() as c:
            return int(c.execute(sa.select(sa.func.count()).where(
                t.c.chat_id == chat_id, t.c.at >= since, t.c.sent.is_(False)
            )).scalar_one())  # fmt: skip

    def cursor(self) -> float:
        with self.engine.connect() as c:
            v = c.execute(sa.select(meta_kv.c.value).where(meta_kv.c.key == CURSOR)).scalar()
        return float(v) if v else 0.0

    def move_cursor(self, to: float) -> None:
        """Forward only: a process that read less does not move it back."""
        with self.engine.begin() as c:
            if to > self._read(c):
                self.db.upsert(c, meta_kv, {"key": CURSOR, "value": repr(to)}, ["key"])

    def _read(self, c: sa.engine.Connection) -> float:
        v = c.execute(sa.select(meta_kv.c.value).where(meta_kv.c.key == CURSOR)).scalar()
        return float(v) if v else 0.0
