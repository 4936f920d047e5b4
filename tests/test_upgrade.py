"""An installation upgrades in place: the catalog and the bot's database as the previous release
left them (tests/data/release-0.1, made by testing/make_release_data.py), on SQLite and on
PostgreSQL, open with every article, feed and setting, and the archive's words are searchable."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from retrieval.settings import Settings

RELEASE = Path(__file__).parent / "data" / "release-0.1"


def restore(url: str, dump: Path) -> None:
    """A `pg_dump --inserts` file, without psql: its meta-commands and the public schema's
    creation (it exists) are left out."""
    import psycopg

    from retrieval.index.sql import libpq_url

    skip = ("\\", "CREATE SCHEMA public;", "COMMENT ON SCHEMA public")
    sql = "\n".join(
        line for line in dump.read_text(encoding="utf-8").splitlines() if not line.startswith(skip)
    )
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[call-overload]


@pytest.fixture(params=["sqlite", "postgres"])
def upgraded(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Settings, str]:
    """Settings of an installation of the previous release, and its bot database's URL."""
    data = tmp_path / "data"
    data.mkdir()
    base = Settings.from_env(environ={}, dotenv_path=None, data_dir=data)
    if request.param == "sqlite":
        for name in ("catalog.sqlite3", "bot.sqlite3"):
            shutil.copy(RELEASE / name, data / name)
        return base, f"sqlite:///{data / 'bot.sqlite3'}"
    url = request.getfixturevalue("postgres").create_database(f"u{uuid.uuid4().hex[:12]}")
    restore(url, RELEASE / "catalog.sql")
    restore(url, RELEASE / "bot.sql")
    return replace(base, database_url=SecretStr(url)), url


def test_the_previous_releases_catalog_opens_with_everything_in_it(
    upgraded: tuple[Settings, str], embedder: Any
) -> None:
    from retrieval.index.feed_table import FeedStore
    from retrieval.index.parts import Index
    from retrieval.search.hybrid import search

    settings, _ = upgraded
    index = Index(settings, embedder=embedder)
    try:
        titles = {r["title"] for r in index.catalog.articles()}
        assert "Xiaomi CEO uses an iPhone" in titles and len(titles) == 2
        assert index.catalog.counts()["chunks"] == index.keyword.count() > 0
        banded = index.catalog.query("SELECT COUNT(DISTINCT article_id) n FROM signature_bands")
        assert banded[0]["n"] == 2, "the near-duplicate index, moved into the catalog"
        assert {r["source"] for r in index.catalog.sources()}, "sources kept"
        feeds = FeedStore(index.catalog).all()
        assert [(f.url, f.every_minutes, bool(f.ignore_robots)) for f in feeds] == [
            ("https://example.org/feed.xml", 30, True)
        ]
        hits = search(index, "Donnerlord Kommunikationsstrategie", k=3, mode="keyword",
                      query_lang="de").hits  # fmt: skip
        assert hits and "Donnerlord" in hits[0].chunk.title + hits[0].chunk.text
        named = index.keyword.search_anchors("Welches Telefon benutzte Lei Jun?", 20)
        assert len({index.catalog.chunks_by_id([c])[c].article_id for c, _ in named}) == 2
    finally:
        index.close()
    again = Index(settings, embedder=embedder)  # opening again changes nothing
    assert again.keyword.count() == again.catalog.counts()["chunks"]
    again.close()


def test_the_previous_releases_bot_database_keeps_every_setting(
    upgraded: tuple[Settings, str],
) -> None:
    from bot.store.chats import Chats
    from bot.store.db import Database
    from bot.store.subscriptions import Subscriptions

    _, url = upgraded
    from bot.store.db import database_url

    db = Database(database_url(url, Path("unused")) if "postgres" in url else url)
    try:
        chats = Chats(db)
        got = chats.chat_settings(-1001)
        assert (got.mode, got.language) == ("all", "de")
        assert chats.access("allow") == [-1002, -1001] and chats.access("deny") == [666]
        assert chats.channel(-100777) is not None
        sub = Subscriptions(db).get(-1001)
        assert sub is not None and (sub.at, sub.tz) == ("08:00", "Europe/Berlin")
    finally:
        db.close()
