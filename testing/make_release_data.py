"""Databases as a release left them, for the upgrade test (tests/test_upgrade.py): run from a
checkout of that release, with this repository's virtualenv, e.g.

    git worktree add /tmp/release <commit>
    cd /tmp/release && PYTHONPATH=/tmp/release /path/to/.venv/bin/python \
        /path/to/testing/make_release_data.py /path/to/tests/data/release-0.1

It writes catalog.sqlite3 and bot.sqlite3 (the embedded default) and catalog.sql and bot.sql
(`pg_dump --inserts` of the same state made in PostgreSQL). The vectors are not kept: the test
upgrades the databases, not Chroma."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any


def fill(settings: Any, bot_url: str) -> None:
    from bot.store.chats import Chats
    from bot.store.db import Database
    from bot.store.subscriptions import Subscriptions
    from retrieval.index.feed_table import FeedStore
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index
    from testing.embedder import HashEmbedder

    index = Index(settings, embedder=HashEmbedder())
    assert ingest(index, [str(Path("corpus").resolve())]).ok
    FeedStore(index.catalog).add("https://example.org/feed.xml", "rss", "Example feed", 30, True)
    index.close()
    db = Database(bot_url)
    chats = Chats(db)
    chats.set_chat_setting(-1001, "mode", "all")
    chats.set_chat_setting(-1001, "language", "de")
    chats.set_access("allow", [-1001, -1002])
    chats.set_access("deny", [666])
    chats.add_channel(-100777, "Briefings", "briefings", 42)
    Subscriptions(db).subscribe(-1001, "08:00", "Europe/Berlin", "de", 42)
    db.close()


def main(out: Path) -> None:
    from retrieval.settings import Settings
    from testing.services import Postgres

    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="footnote-release-"))
    root.chmod(0o755)
    base = Settings.from_env(environ={}, dotenv_path=None, data_dir=root / "local")
    fill(base, f"sqlite:///{root / 'local' / 'bot.sqlite3'}")
    for name in ("catalog.sqlite3", "bot.sqlite3"):
        src = sqlite_checkpointed(root / "local" / name)
        shutil.copy(src, out / name)
    pg = Postgres(root / "pg").start()
    try:
        url = pg.create_database("release")
        from pydantic import SecretStr

        fill(replace(base, data_dir=root / "shared", database_url=SecretStr(url)), url)
        assert pg.bin is not None
        dump = pg.bin / "pg_dump"
        for schema, name in (("catalog_*", "catalog.sql"), ("public", "bot.sql")):
            done = subprocess.run(
                [str(dump), "--no-owner", "--no-privileges", "--inserts", "-n", schema, url],
                capture_output=True,
                text=True,
                check=True,
            )
            (out / name).write_text(done.stdout, encoding="utf-8")
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def sqlite_checkpointed(path: Path) -> Path:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    return path


if __name__ == "__main__":
    main(Path(sys.argv[1]))
