"""The bot's own state in SQLite under the data directory: per-chat settings, allow/deny lists,
source channels, feedback, the answer log and short conversation history. Survives restarts;
every write is one short transaction, so a crash loses at most the write in flight."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chat_settings (
    chat_id INTEGER PRIMARY KEY,
    mode TEXT NOT NULL DEFAULT 'mention',
    length TEXT NOT NULL DEFAULT 'normal',
    language TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS access (
    kind TEXT NOT NULL CHECK (kind IN ('allow', 'deny')),
    id INTEGER NOT NULL,
    added_at REAL NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS channels (
    chat_id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    username TEXT NOT NULL DEFAULT '',
    added_by INTEGER NOT NULL,
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    chat_id INTEGER NOT NULL,
    chat_type TEXT NOT NULL,
    user_id INTEGER,
    language TEXT NOT NULL,
    mode TEXT NOT NULL,
    found INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    first_reply_ms REAL,
    sources TEXT NOT NULL,
    question TEXT,
    answer TEXT
);
CREATE INDEX IF NOT EXISTS answers_at ON answers (at);
CREATE TABLE IF NOT EXISTS answer_messages (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    answer_id INTEGER NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    helpful INTEGER NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
CREATE TABLE IF NOT EXISTS history (
    answer_id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    user_id INTEGER,
    at REAL NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_chat ON history (chat_id, at);
"""

MODES = ("mention", "all")
LENGTHS = ("short", "normal", "long")
HISTORY_KEEP_DAYS = 7


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


class State:
    """One SQLite file; safe to share between the event loop and worker threads."""

    def __init__(self, path: Path, log_text: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.log_text = log_text
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            self._db.executescript(_SCHEMA)
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    def _tx(self, statements: list[tuple[str, tuple[Any, ...]]]) -> int | None:
        """Several statements in one transaction; returns the last row id."""
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    cur.execute(sql, args)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            return cur.lastrowid

    # --- per-chat settings ----------------------------------------------------------------------
    def chat_settings(self, chat_id: int) -> ChatSettings:
        rows = self._run(
            "SELECT mode, length, language FROM chat_settings WHERE chat_id = ?", (chat_id,)
        )
        if not rows:
            return ChatSettings()
        r = rows[0]
        return ChatSettings(r["mode"], r["length"], r["language"])

    def set_chat_setting(self, chat_id: int, key: str, value: str) -> ChatSettings:
        allowed = {"mode": MODES, "length": LENGTHS}
        if key not in ("mode", "length", "language"):
            raise ValueError(f"unknown chat setting {key!r}")
        if key in allowed and value not in allowed[key]:
            raise ValueError(f"{key} must be one of {allowed[key]}")
        self._tx(
            [
                ("INSERT OR IGNORE INTO chat_settings (chat_id) VALUES (?)", (chat_id,)),
                (f"UPDATE chat_settings SET {key} = ? WHERE chat_id = ?", (value, chat_id)),
            ]
        )
        return self.chat_settings(chat_id)

    # --- access ---------------------------------------------------------------------------------
    def set_access(self, kind: str, ids: Iterable[int]) -> None:
        """`allow` an id removes it from the deny list and vice versa."""
        other = "deny" if kind == "allow" else "allow"
        now = time.time()
        stmts: list[tuple[str, tuple[Any, ...]]] = []
        for i in ids:
            stmts.append(("DELETE FROM access WHERE kind = ? AND id = ?", (other, i)))
            stmts.append(("INSERT OR REPLACE INTO access VALUES (?, ?, ?)", (kind, i, now)))
        self._tx(stmts)

    def access(self, kind: str) -> list[int]:
        return [
            r[0] for r in self._run("SELECT id FROM access WHERE kind = ? ORDER BY id", (kind,))
        ]

    def is_served(self, chat_id: int, user_id: int | None) -> bool:
        """Denied ids are never served; once anything is allowed, only allowed chats or users are."""
        ids = [chat_id] + ([user_id] if user_id is not None else [])
        marks = ",".join("?" * len(ids))
        with self._lock:
            denied = self._db.execute(
                f"SELECT 1 FROM access WHERE kind = 'deny' AND id IN ({marks})", ids
            ).fetchone()
            if denied:
                return False
            any_allowed = self._db.execute(
                "SELECT 1 FROM access WHERE kind = 'allow' LIMIT 1"
            ).fetchone()
            if not any_allowed:
                return True
            return (
                self._db.execute(
                    f"SELECT 1 FROM access WHERE kind = 'allow' AND id IN ({marks})", ids
                ).fetchone()
                is not None
            )

    # --- source channels ------------------------------------------------------------------------
    def add_channel(self, chat_id: int, title: str, username: str, added_by: int) -> None:
        self._tx(
            [
                (
                    "INSERT OR REPLACE INTO channels VALUES (?, ?, ?, ?, ?)",
                    (chat_id, title, username or "", added_by, time.time()),
                )
            ]
        )

    def remove_channel(self, chat_id: int) -> bool:
        with self._lock:
            return (
                self._db.execute("DELETE FROM channels WHERE chat_id = ?", (chat_id,)).rowcount > 0
            )

    def channel(self, chat_id: int) -> dict[str, Any] | None:
        rows = self._run("SELECT * FROM channels WHERE chat_id = ?", (chat_id,))
        return dict(rows[0]) if rows else None

    def channels(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._run("SELECT * FROM channels ORDER BY added_at")]

    # --- answers, history, feedback -------------------------------------------------------------
    def log_answer(self, a: LoggedAnswer, message_ids: list[int], history_question: str) -> int:
        """The answer log row, the messages that carry it (for replies and feedback) and the
        conversation turn (kept for follow-ups whether or not text logging is on)."""
        keep = self.log_text
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                cur.execute(
                    "INSERT INTO answers (at, chat_id, chat_type, user_id, language, mode, found,"
                    " latency_ms, first_reply_ms, sources, question, answer)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        time.time(), a.chat_id, a.chat_type, a.user_id, a.language, a.mode,
                        int(a.found), a.latency_ms, a.first_reply_ms, json.dumps(a.sources),
                        a.question if keep else None, a.answer if keep else None,
                    ),
                )  # fmt: skip
                answer_id = int(cur.lastrowid or 0)
                for mid in message_ids:
                    cur.execute(
                        "INSERT OR REPLACE INTO answer_messages VALUES (?, ?, ?)",
                        (a.chat_id, mid, answer_id),
                    )
                cur.execute(
                    "INSERT INTO history VALUES (?, ?, ?, ?, ?, ?)",
                    (answer_id, a.chat_id, a.user_id, time.time(), history_question, a.answer),
                )
                cur.execute(
                    "DELETE FROM history WHERE at < ?", (time.time() - HISTORY_KEEP_DAYS * 86400,)
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return answer_id

    def answer_of_message(self, chat_id: int, message_id: int) -> int | None:
        rows = self._run(
            "SELECT answer_id FROM answer_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return int(rows[0][0]) if rows else None

    def turn(self, answer_id: int) -> tuple[str, str] | None:
        rows = self._run("SELECT question, answer FROM history WHERE answer_id = ?", (answer_id,))
        return (rows[0][0], rows[0][1]) if rows else None

    def recent_turns(
        self, chat_id: int, user_id: int | None, turns: int, max_age_s: float
    ) -> list[tuple[str, str]]:
        rows = self._run(
            "SELECT question, answer FROM history WHERE chat_id = ? AND user_id IS ? AND at >= ?"
            " ORDER BY at DESC LIMIT ?",
            (chat_id, user_id, time.time() - max_age_s, turns),
        )
        return [(r[0], r[1]) for r in reversed(rows)]

    def record_feedback(self, answer_id: int, user_id: int, helpful: bool) -> bool:
        """False if the answer is unknown (e.g. pruned). A user's later vote replaces the first."""
        if not self._run("SELECT 1 FROM answers WHERE id = ?", (answer_id,)):
            return False
        self._tx(
            [
                (
                    "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?)",
                    (answer_id, user_id, int(helpful), time.time()),
                )
            ]
        )
        return True

    def answer_row(self, answer_id: int) -> dict[str, Any] | None:
        rows = self._run("SELECT * FROM answers WHERE id = ?", (answer_id,))
        return dict(rows[0]) if rows else None

    def stats(self, last: int = 10_000) -> dict[str, Any]:
        """Questions answered, latency percentiles over the last `last`, mode share, feedback."""
        total = self._run("SELECT COUNT(*) FROM answers")[0][0]
        rows = self._run(
            "SELECT latency_ms, first_reply_ms, mode FROM answers ORDER BY id DESC LIMIT ?", (last,)
        )
        lat = sorted(r[0] for r in rows)
        first = sorted(r[1] for r in rows if r[1] is not None)
        llm = sum(1 for r in rows if r[2] == "llm")
        fb = self._run("SELECT COALESCE(SUM(helpful), 0), COUNT(*) FROM feedback")[0]
        return {
            "questions": int(total),
            "latency_p50_ms": _pct(lat, 50),
            "latency_p95_ms": _pct(lat, 95),
            "first_reply_p50_ms": _pct(first, 50),
            "first_reply_p95_ms": _pct(first, 95),
            "llm_share": llm / len(rows) if rows else None,
            "offline_share": (len(rows) - llm) / len(rows) if rows else None,
            "feedback": int(fb[1]),
            "helpful_ratio": int(fb[0]) / fb[1] if fb[1] else None,
        }


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    i = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return float(values[i])
