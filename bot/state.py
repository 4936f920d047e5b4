"""The bot's own state: per-chat settings, allow/deny lists, source channels, feedback, the answer
log, short conversation history, shared rate-limit windows and the update inbox.

One implementation over SQLAlchemy Core serves SQLite (the default: `bot.sqlite3` in the data
directory) and PostgreSQL (`DATABASE_URL`), so several bot processes can share it. The schema is
created or migrated on start; every write is one short transaction."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

SCHEMA_VERSION = 2
MODES = ("mention", "all")
LENGTHS = ("short", "normal", "long")
HISTORY_KEEP_DAYS = 7
INBOX_KEEP_SECONDS = 86400.0
RATE_KEEP_SECONDS = 86400.0  # longer than any sensible rate window
PRUNE_EVERY = 600.0

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only

meta = sa.MetaData()
meta_kv = sa.Table(
    "meta",
    meta,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
chat_settings_t = sa.Table(
    "chat_settings", meta,
    sa.Column("chat_id", sa.BigInteger, primary_key=True),
    sa.Column("mode", sa.String(16), nullable=False, server_default="mention"),
    sa.Column("length", sa.String(16), nullable=False, server_default="normal"),
    sa.Column("language", sa.String(16), nullable=False, server_default=""),
)  # fmt: skip
access_t = sa.Table(
    "access", meta,
    sa.Column("kind", sa.String(8), primary_key=True),
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("added_at", sa.Float, nullable=False),
)  # fmt: skip
channels_t = sa.Table(
    "channels", meta,
    sa.Column("chat_id", sa.BigInteger, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("username", sa.Text, nullable=False, server_default=""),
    sa.Column("added_by", sa.BigInteger, nullable=False),
    sa.Column("added_at", sa.Float, nullable=False),
)  # fmt: skip
answers_t = sa.Table(
    "answers", meta,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("chat_id", sa.BigInteger, nullable=False),
    sa.Column("chat_type", sa.String(16), nullable=False),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("found", sa.Boolean, nullable=False),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("first_reply_ms", sa.Float),
    sa.Column("sources", sa.Text, nullable=False),
    sa.Column("question", sa.Text),
    sa.Column("answer", sa.Text),
    sa.Column("update_id", sa.BigInteger),
)  # fmt: skip
answer_messages_t = sa.Table(
    "answer_messages", meta,
    sa.Column("chat_id", sa.BigInteger, primary_key=True),
    sa.Column("message_id", sa.BigInteger, primary_key=True),
    sa.Column("answer_id", sa.BigInteger, nullable=False),
)  # fmt: skip
feedback_t = sa.Table(
    "feedback", meta,
    sa.Column("answer_id", sa.BigInteger, primary_key=True),
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("helpful", sa.Boolean, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)  # fmt: skip
history_t = sa.Table(
    "history", meta,
    sa.Column("answer_id", sa.BigInteger, primary_key=True),
    sa.Column("chat_id", sa.BigInteger, nullable=False),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Index("history_chat", "chat_id", "at"),
)  # fmt: skip
rate_events_t = sa.Table(
    "rate_events", meta,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("rate_key_at", "key", "at"),
)  # fmt: skip
rate_notices_t = sa.Table(
    "rate_notices", meta,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
)  # fmt: skip
inbox_t = sa.Table(
    "inbox", meta,
    sa.Column("update_id", sa.BigInteger, primary_key=True),
    sa.Column("status", sa.String(8), nullable=False),  # working | done
    sa.Column("owner", sa.String(128), nullable=False),
    sa.Column("claimed_at", sa.Float, nullable=False, index=True),
    sa.Column("payload", sa.Text),  # kept only while working, for a replay after a crash
)  # fmt: skip


@dataclass(frozen=True)
class ChatSettings:
    mode: str = "mention"  # answer when addressed, or also every message that is a question
    length: str = "normal"
    language: str = ""  # fixed answer language; "" = the question's


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


def database_url(url: str, data_dir: Path) -> str:
    """DATABASE_URL as SQLAlchemy wants it (psycopg 3 for PostgreSQL); SQLite by default."""
    if not url:
        data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{data_dir / 'bot.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class State:
    """Safe to share between the event loop, worker threads and other processes."""

    def __init__(self, url: str, log_text: bool = False) -> None:
        self.url = url
        self.log_text = log_text
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self._pruned_at = float("-inf")
        self.migrate()

    @classmethod
    def for_settings(cls, settings: Any) -> State:
        return cls(database_url(settings.database_url, settings.data_dir), settings.log_text)

    def migrate(self) -> None:
        """Create missing tables; record the schema version (future migrations go here, keyed
        by the stored version). Processes starting together: PostgreSQL serialises them with an
        advisory lock; SQLite's existence check can race, so a loser simply tries again."""
        for attempt in range(10):
            try:
                self._migrate()
                return
            except sa.exc.OperationalError as exc:
                if "already exists" not in str(exc).lower() or attempt == 9:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _migrate(self) -> None:
        with self.engine.begin() as c:
            if self.dialect == "postgresql":  # processes starting together take turns
                c.execute(sa.text("SELECT pg_advisory_xact_lock(7042001)"))
            meta.create_all(c)
            row = c.execute(
                sa.select(meta_kv.c.value).where(meta_kv.c.key == "schema_version")
            ).first()
            version = int(row[0]) if row else 0
            if version < 2 and row is not None:  # 1 -> 2: answers.update_id
                cols = {col["name"] for col in sa.inspect(c).get_columns("answers")}
                if "update_id" not in cols:
                    c.execute(sa.text("ALTER TABLE answers ADD COLUMN update_id BIGINT"))
            self._upsert(
                c, meta_kv, {"key": "schema_version", "value": str(SCHEMA_VERSION)}, ["key"]
            )

    def close(self) -> None:
        self.engine.dispose()

    def _upsert(
        self,
        c: Connection,
        table: sa.Table,
        values: dict[str, Any],
        keys: list[str],
        update: bool = True,
        returning: Any = None,
    ) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(table).values(**values)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(table).values(**values)
        rest = {k: v for k, v in values.items() if k not in keys}
        if update and rest:
            stmt = stmt.on_conflict_do_update(index_elements=keys, set_=rest)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=keys)
        if returning is not None:
            stmt = stmt.returning(returning)
        return c.execute(stmt)

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
        current = self.chat_settings(chat_id)
        values = {"chat_id": chat_id, "mode": current.mode, "length": current.length,
                  "language": current.language, key: value}  # fmt: skip
        with self.engine.begin() as c:
            self._upsert(c, chat_settings_t, {"chat_id": chat_id, **values}, ["chat_id"])
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
                self._upsert(
                    c, access_t, {"kind": kind, "id": i, "added_at": time.time()}, ["kind", "id"]
                )

    def access(self, kind: str) -> list[int]:
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(access_t.c.id).where(access_t.c.kind == kind).order_by(access_t.c.id)
            )
            return [int(r[0]) for r in rows]

    def is_served(self, chat_id: int, user_id: int | None) -> bool:
        """Denied ids are never served; once anything is allowed, only allowed chats or users are."""
        ids = [chat_id] + ([user_id] if user_id is not None else [])
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

    # --- source channels ------------------------------------------------------------------------
    def add_channel(self, chat_id: int, title: str, username: str, added_by: int) -> None:
        values = {"chat_id": chat_id, "title": title, "username": username or "",
                  "added_by": added_by, "added_at": time.time()}  # fmt: skip
        with self.engine.begin() as c:
            self._upsert(c, channels_t, values, ["chat_id"])

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

    # --- answers, history, feedback -------------------------------------------------------------
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
                self._upsert(c, answer_messages_t,
                             {"chat_id": a.chat_id, "message_id": mid, "answer_id": answer_id},
                             ["chat_id", "message_id"])  # fmt: skip
            c.execute(
                sa.insert(history_t).values(answer_id=answer_id, chat_id=a.chat_id, user_id=a.user_id,
                                            at=now, question=history_question, answer=a.answer)
            )  # fmt: skip
        self._maybe_prune()
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

    def record_feedback(self, answer_id: int, user_id: int, helpful: bool) -> bool:
        """False if the answer is unknown. A user's later vote replaces the first."""
        with self.engine.begin() as c:
            if not c.execute(sa.select(answers_t.c.id).where(answers_t.c.id == answer_id)).first():
                return False
            self._upsert(c, feedback_t, {"answer_id": answer_id, "user_id": user_id,
                                         "helpful": helpful, "at": time.time()}, ["answer_id", "user_id"])  # fmt: skip
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
        lat = sorted(float(r[0]) for r in rows)
        first = sorted(float(r[1]) for r in rows if r[1] is not None)
        llm = sum(1 for r in rows if r[2] == "llm")
        return {
            "questions": int(total),
            "latency_p50_ms": _pct(lat, 50),
            "latency_p95_ms": _pct(lat, 95),
            "first_reply_p50_ms": _pct(first, 50),
            "first_reply_p95_ms": _pct(first, 95),
            "llm_share": llm / len(rows) if rows else None,
            "offline_share": (len(rows) - llm) / len(rows) if rows else None,
            "feedback": int(rated),
            "helpful_ratio": int(helpful or 0) / rated if rated else None,
        }

    # --- rate limits, shared by every process -----------------------------------------------------
    def rate_check(self, keys: list[tuple[str, int]], window: float, now: float) -> str:
        """ "ok" (and the question is counted), "notify" (over a limit, first time: tell the
        user) or "silent" (over a limit, already told)."""
        with self.engine.begin() as c:
            ev, no = rate_events_t, rate_notices_t
            names = [k for k, _ in keys]
            if self.dialect == "postgresql":  # processes checking the same user take turns
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
                    if self._upsert(c, no, {"key": k, "at": now}, ["key"], update=False,
                                    returning=no.c.key).first() is not None
                ]  # fmt: skip
                return "notify" if fresh else "silent"
            c.execute(sa.insert(ev), [{"key": k, "at": now} for k in names])
            c.execute(sa.delete(no).where(no.c.key.in_(names)))
            return "ok"

    def prune(self) -> None:
        """Forget old history, finished inbox entries and rate events of users who never came
        back (a question only prunes its own keys)."""
        now = time.time()
        with self.engine.begin() as c:
            c.execute(sa.delete(history_t).where(history_t.c.at < now - HISTORY_KEEP_DAYS * 86400))
            c.execute(sa.delete(inbox_t).where(inbox_t.c.status == "done",
                                               inbox_t.c.claimed_at < now - INBOX_KEEP_SECONDS))  # fmt: skip
            c.execute(sa.delete(rate_events_t).where(rate_events_t.c.at < now - RATE_KEEP_SECONDS))
        self._pruned_at = time.monotonic()

    def _maybe_prune(self) -> None:
        """Pruning scans tables: at most every PRUNE_EVERY seconds, not on every answer."""
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY:
            self.prune()

    # --- the update inbox: each update handled once, replayed after a crash -----------------------
    def claim_update(self, update_id: int, owner: str, payload: dict[str, Any]) -> bool:
        """True if this process is the first to see the update (another process, or a replay,
        may deliver it again)."""
        with self.engine.begin() as c:
            res = self._upsert(
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
        self._maybe_prune()

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


def process_owner() -> str:
    """Who holds an update: host, pid and start time, so a restarted process on the same host
    can tell its dead predecessor's work from a live neighbour's."""
    return f"{os.uname().nodename}:{os.getpid()}:{int(time.time())}"


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    i = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return float(values[i])
