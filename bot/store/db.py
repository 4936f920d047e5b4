"""The bot's database: its tables, how they are created and migrated, and the one engine the
stores in `chats`, `answer_log`, `inbox` and `rate_windows` share.

One implementation over SQLAlchemy Core serves SQLite (the default: `bot.sqlite3` in the data
directory) and PostgreSQL (`DATABASE_URL`), so several bot processes can share it. Every write
is one short transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.retry import retry_on
from retrieval.api import (
    Migration,
    add_column,
    apply_migrations,
    create_tables,
    pg_lock,
    with_wal,
)

SCHEMA_VERSION = 5
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only

meta = sa.MetaData()
meta_kv = sa.Table(
    "meta", meta,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)  # fmt: skip
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
    sa.Column("shelf", sa.Text, nullable=False, server_default=""),  # "" before shelves
    sa.Column("linked_chat_id", sa.BigInteger),  # its discussion group, if it has one
)  # fmt: skip
chat_shelves_t = sa.Table(  # a chat bound by an owner; a chat without rows has the default
    "chat_shelves", meta,
    sa.Column("chat_id", sa.BigInteger, primary_key=True),
    sa.Column("shelf", sa.String(40), primary_key=True),
    sa.Column("added_by", sa.BigInteger, nullable=False),
    sa.Column("added_at", sa.Float, nullable=False),
)  # fmt: skip
follows_t = sa.Table(  # stories a chat follows (/follow)
    "follows", meta,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("chat_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("words", sa.Text, nullable=False),
    sa.Column("lang", sa.String(16), nullable=False, server_default=""),
    sa.Column("added_by", sa.BigInteger, nullable=False),
    sa.Column("added_at", sa.Float, nullable=False),
)  # fmt: skip
follow_alerts_t = sa.Table(  # an article told to a chat, once (the claim that makes it once)
    "follow_alerts", meta,
    sa.Column("chat_id", sa.BigInteger, primary_key=True),
    sa.Column("article_id", sa.String(64), primary_key=True),
    sa.Column("follow_id", sa.BigInteger, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("sent", sa.Boolean, nullable=False),  # false: over the day's cap, folded
    sa.Index("follow_alerts_chat_at", "chat_id", "at"),
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
    # Telegram's update id of the vote: a vote handled late never replaces a later one.
    sa.Column("update_id", sa.BigInteger, nullable=False, server_default="0"),
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
subscriptions_t = sa.Table(
    "subscriptions", meta,
    sa.Column("chat_id", sa.BigInteger, primary_key=True),
    sa.Column("at", sa.String(5), nullable=False),  # local HH:MM
    sa.Column("tz", sa.String(64), nullable=False),
    sa.Column("lang", sa.String(16), nullable=False),
    sa.Column("added_by", sa.BigInteger, nullable=False),
    sa.Column("last_period", sa.String(10), nullable=False, server_default=""),  # local day
    sa.Column("last_sent_at", sa.Float, nullable=False, server_default="0"),
)  # fmt: skip
inbox_t = sa.Table(
    "inbox", meta,
    sa.Column("update_id", sa.BigInteger, primary_key=True),
    sa.Column("status", sa.String(8), nullable=False),  # working | done
    sa.Column("owner", sa.String(128), nullable=False),
    sa.Column("claimed_at", sa.Float, nullable=False, index=True),
    sa.Column("payload", sa.Text),  # kept only while working, for a replay after a crash
)  # fmt: skip


# In order, forever: a released name never changes (it is recorded in each database).
MIGRATIONS = [
    Migration("bot-0001-tables", create_tables(meta)),
    Migration("bot-0002-answers-update-id", add_column("answers", "update_id", "BIGINT")),
    Migration("bot-0003-feedback-update-id",
              add_column("feedback", "update_id", "BIGINT NOT NULL DEFAULT 0")),
    Migration("bot-0004-channel-shelf", add_column("channels", "shelf", "TEXT NOT NULL DEFAULT ''")),
    Migration("bot-0005-channel-discussion", add_column("channels", "linked_chat_id", "BIGINT")),
    Migration("bot-0006-chat-shelves", create_tables(meta)),
    Migration("bot-0007-follows", create_tables(meta)),
]  # fmt: skip


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
        # SQLAlchemy's own transactions (the catalog's engine takes `BEGIN IMMEDIATE` itself).
        return with_wal(
            sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        )
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _schema_race(exc: BaseException) -> bool:
    """SQLite's "does the table exist?" check can race with another process creating it, a
    read that turns into a write while another process writes gets "database is locked" at once
    (SQLite skips its busy wait there to avoid a deadlock), and two processes that both found a
    migration missing both record it (the second breaks the name's uniqueness): all are worth
    another try, which finds the schema made."""
    text = str(exc).lower()
    if isinstance(exc, sa.exc.IntegrityError):
        return "migrations.name" in text or "migrations_pkey" in text
    return isinstance(exc, sa.exc.OperationalError) and (
        "already exists" in text or "database is locked" in text
    )


class Database:
    """Safe to share between the event loop's worker threads and other processes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self.migrate()

    @retry_on(_schema_race, attempts=20, wait=0.05)
    def migrate(self) -> None:
        """The named migrations this database lacks (the catalog's mechanism, recorded in its
        `migrations` table). Processes starting together: PostgreSQL serialises them with an
        advisory lock; on SQLite the loser of a race simply tries again. `schema_version` is
        still written, for the tools of releases before named migrations."""
        with self.engine.begin() as c:
            pg_lock(c, 7042001)
            apply_migrations(c, MIGRATIONS)
            self.upsert(
                c, meta_kv, {"key": "schema_version", "value": str(SCHEMA_VERSION)}, ["key"]
            )

    def upsert(
        self,
        c: Connection,
        table: sa.Table,
        values: dict[str, Any],
        keys: list[str],
        update: bool = True,
        returning: Any = None,
        where: Any = None,
    ) -> Any:
        """INSERT … ON CONFLICT in either dialect: update the other columns (only where `where`
        holds for the stored row, when given), or do nothing."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(table).values(**values)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(table).values(**values)
        rest = {k: v for k, v in values.items() if k not in keys}
        if update and rest:
            stmt = stmt.on_conflict_do_update(index_elements=keys, set_=rest, where=where)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=keys)
        if returning is not None:
            stmt = stmt.returning(returning)
        return c.execute(stmt)

    def close(self) -> None:
        self.engine.dispose()
