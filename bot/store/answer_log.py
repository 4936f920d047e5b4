"""What was answered: the answer log (for /stats and metrics; text only when asked for), the
messages that carry each answer (replies and buttons find their answer), the conversation
history that makes follow-ups work, and the users' feedback."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.store.db import Database, answer_messages_t, answers_t, feedback_t, history_t
from retrieval.api import percentile

HISTORY_KEEP_DAYS = 7


@dataclass
class LoggedAnswer:
    chat_id: int
    chat_type: str
    user_id: int | None
    language: str
    mode: str
    found: bool
    latency_ms: float
    first_reply_ms: float | None
    sources: list[str]
    question: str
    answer: str
    update_id: int | None = None


class AnswerLog:
    def __init__(self, db: Database, log_text: bool = False) -> None:
        self.db = db
        self.engine = db.engine
        self.log_text = log_text

    def log_answer(self, a: LoggedAnswer, message_ids: list[int], history_question: str) -> int:
        """The answer log row, the messages that carry it (for replies and feedback) and the
        conversation turn (kept for follow-ups whether or not text logging is on)."""
        keep = self.log_text
        now = time.time()
        with self.engine.begin() as c:
            answer_id = c.execute(
                sa.insert(answers_t).values(
                    at=now, chat_id=a.chat_id, chat_type=a.chat_type, user_id=a.user_id,
                    language=a.language, mode=a.mode, found=a.found, latency_ms=a.latency_ms,
                    first_reply_ms=a.first_reply_ms, sources=json.dumps(a.sources),
                    question=a.question if keep else None, answer=a.answer if keep else None,
                    update_id=a.update_id,
                ).returning(answers_t.c.id)
            ).scalar_one()  # fmt: skip
            for mid in message_ids:
                self.db.upsert(c, answer_messages_t,
                               {"chat_id": a.chat_id, "message_id": mid, "answer_id": answer_id},
                               ["chat_id", "message_id"])  # fmt: skip
            c.execute(
                sa.insert(history_t).values(answer_id=answer_id, chat_id=a.chat_id, user_id=a.user_id,
                                            at=now, question=history_question, answer=a.answer)
            )  # fmt: skip
        return int(answer_id)

    def answer_of_message(self, chat_id: int, message_id: int) -> int | None:
        t = answer_messages_t
        with self.engine.connect() as c:
            r = c.execute(
                sa.select(t.c.answer_id).where(t.c.chat_id == chat_id, t.c.message_id == message_id)
            ).first()
        return int(r[0]) if r else None

    def turn(self, answer_id: int) -> tuple[str, str] | None:
        t = history_t
        with self.engine.connect() as c:
            r = c.execute(
                sa.select(t.c.question, t.c.answer).where(t.c.answer_id == answer_id)
            ).first()
        return (r[0], r[1]) if r else None

    def recent_turns(
        self, chat_id: int, user_id: int | None, turns: int, max_age_s: float
    ) -> list[tuple[str, str]]:
        t = history_t
        who = t.c.user_id.is_(None) if user_id is None else t.c.user_id == user_id
        q = (
            sa.select(t.c.question, t.c.answer)
            .where(t.c.chat_id == chat_id, who, t.c.at >= time.time() - max_age_s)
            .order_by(t.c.at.desc())
            .limit(turns)
        )
        with self.engine.connect() as c:
            rows = c.execute(q).all()
        return [(r[0], r[1]) for r in reversed(rows)]

    def record_feedback(
        self, answer_id: int, user_id: int, helpful: bool, update_id: int = 0
    ) -> bool:
        """False if the answer is unknown. A user's later vote replaces the first: later by
        Telegram's update id, so votes handled concurrently (👍👎👍 flipped fast, several
        processes) end as the user left them, whatever order they were handled in."""
        with self.engine.begin() as c:
            if not c.execute(sa.select(answers_t.c.id).where(answers_t.c.id == answer_id)).first():
                return False
            values = {"answer_id": answer_id, "user_id": user_id, "helpful": helpful,
                      "at": time.time(), "update_id": update_id}  # fmt: skip
            self.db.upsert(c, feedback_t, values, ["answer_id", "user_id"],
                           where=feedback_t.c.update_id <= update_id)  # fmt: skip
        return True

    def answer_row(self, answer_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            r = (
                c.execute(sa.select(answers_t).where(answers_t.c.id == answer_id))
                .mappings()
                .first()
            )
        return dict(r) if r else None

    def answers_for_update(self, update_id: int) -> int:
        with self.engine.connect() as c:
            return int(
                c.execute(
                    sa.select(sa.func.count()).where(answers_t.c.update_id == update_id)
                ).scalar_one()
            )

    def stats(self, last: int = 10_000) -> dict[str, Any]:
        """Questions answered, latency percentiles over the last `last`, mode share, feedback."""
        t = answers_t
        with self.engine.connect() as c:
            total = c.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            rows = c.execute(
                sa.select(t.c.latency_ms, t.c.first_reply_ms, t.c.mode)
                .order_by(t.c.id.desc())
                .limit(last)
            ).all()
            helpful, rated = c.execute(
                sa.select(sa.func.sum(sa.case((feedback_t.c.helpful, 1), else_=0)), sa.func.count()).select_from(feedback_t)
            ).one()  # fmt: skip
        lat = [float(r[0]) for r in rows]
        first = [float(r[1]) for r in rows if r[1] is not None]
        llm = sum(1 for r in rows if r[2] == "llm")
        return {
            "questions": int(total),
            "latency_p50_ms": percentile(lat, 50),
            "latency_p95_ms": percentile(lat, 95),
            "first_reply_p50_ms": percentile(first, 50),
            "first_reply_p95_ms": percentile(first, 95),
            "llm_share": llm / len(rows) if rows else None,
            "offline_share": (len(rows) - llm) / len(rows) if rows else None,
            "feedback": int(rated),
            "helpful_ratio": int(helpful or 0) / rated if rated else None,
        }

    def prune(self) -> None:
        """Forget conversation history older than a week."""
        cutoff = time.time() - HISTORY_KEEP_DAYS * 86400
        with self.engine.begin() as c:
            c.execute(sa.delete(history_t).where(history_t.c.at < cutoff))
