"""Hosts that share only PostgreSQL and a Chroma server: each process has its own (empty) data
directory, and they behave as one index: ingest in one, sources, search and forget in another,
one writer at a time through an advisory lock, and a local catalog adopted once on upgrade."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from retrieval.errors import IndexBusyError
from retrieval.index.feed_table import FeedStore
from retrieval.index.ingest import forget, ingest
from retrieval.index.inventory import sources, stats, verify
from retrieval.index.parts import Index
from retrieval.index.sql import PostgresDatabase
from retrieval.search.hybrid import search
from retrieval.settings import Settings
from tests.conftest import CORPUS


@pytest.fixture
def shared_settings(tmp_path: Path, postgres: Any, chroma_port: int) -> Settings:
    return Settings.from_env(
        environ={}, dotenv_path=None, data_dir=tmp_path / "host-a", lock_timeout=2.0,
        embed_workers=1, chroma_host="127.0.0.1", chroma_port=chroma_port,
        collection=f"h{uuid.uuid4().hex[:12]}",
        database_url=postgres.create_database(f"h{uuid.uuid4().hex[:12]}"),
    )  # fmt: skip


@pytest.fixture
def hosts(
    shared_settings: Settings, tmp_path: Path, embedder: Any, detector: Any
) -> Iterator[list[Index]]:
    """Two indexes as on two hosts: the same database and collection, separate data dirs."""
    a = Index(shared_settings, embedder=embedder, detector=detector)
    b = Index(
        replace(shared_settings, data_dir=tmp_path / "host-b"), embedder=embedder, detector=detector
    )
    yield [a, b]
    a.close()
    b.close()


def test_ingest_on_one_host_is_listed_searched_and_forgotten_on_the_other(
    hosts: list[Index], tmp_path: Path
) -> None:
    a, b = hosts
    assert ingest(a, [str(CORPUS)]).ok
    listed = sources(b)
    assert sorted(s["title"] for s in listed) == [
        "Der Donnerlord ist anders.",
        "Xiaomi CEO uses an iPhone",
    ]
    hits = search(b, "Xiaomi CEO iPhone", k=3).hits
    assert hits and hits[0].chunk.title == "Xiaomi CEO uses an iPhone"
    assert stats(b)["catalog"].startswith("postgresql schema catalog_h")
    assert verify(b)["ok"]

    english = next(s["article_id"] for s in listed if s["title"].startswith("Xiaomi"))
    assert forget(b, english)
    assert [s["title"] for s in sources(a)] == ["Der Donnerlord ist anders."]
    assert all(h.chunk.article_id != english for h in search(a, "Xiaomi CEO iPhone", k=5).hits)
    assert verify(a)["ok"]
    # Nothing the index needs is in a data directory: no catalog, no lock file.
    for host in ("host-a", "host-b"):
        files = {p.name for p in (tmp_path / host).rglob("*") if p.is_file()}
        assert not files & {"catalog.sqlite3", "write.lock"}, (host, files)


def test_one_writer_across_hosts_and_the_busy_message_names_it(hosts: list[Index]) -> None:
    a, b = hosts
    with a.write_lock(what="footnote ingest"):
        with pytest.raises(IndexBusyError) as busy, b.write_lock(timeout=0):
            pass
        assert "footnote ingest" in str(busy.value) and "pid" in str(busy.value)
        # Feed rounds have their own lock: a poll may run while an ingest holds the write lock.
        with b.write_lock("feeds", 0):
            pass
    with b.write_lock(timeout=0):  # released: the other host gets it at once
        pass


def test_an_ingest_waits_for_the_other_hosts_writer(hosts: list[Index], tmp_path: Path) -> None:
    a, b = hosts
    released = threading.Event()

    def hold() -> None:
        with a.write_lock(what="slow writer"):
            released.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        threading.Timer(0.5, released.set).start()
        report = ingest(b, [str(CORPUS)])  # waits (lock timeout 2 s), then writes
    finally:
        holder.join()
    assert report.ok and len(report.added) == 2


def test_a_local_catalog_is_copied_to_postgres_once_on_upgrade(
    shared_settings: Settings, tmp_path: Path, embedder: Any, detector: Any
) -> None:
    local = replace(shared_settings, database_url="", chroma_host="")  # one machine, as before
    before = Index(local, embedder=embedder, detector=detector)
    assert ingest(before, [str(CORPUS)]).ok
    titles = sorted(s["title"] for s in sources(before))
    before.close()

    upgraded = replace(shared_settings, chroma_host="")  # DATABASE_URL set, same data dir
    after = Index(upgraded, embedder=embedder, detector=detector)
    assert sorted(s["title"] for s in sources(after)) == titles
    assert search(after, "Xiaomi CEO iPhone", k=1).hits[0].chunk.title.startswith("Xiaomi")
    assert verify(after)["ok"]
    # The copied articles' words and near-duplicate buckets are indexed in PostgreSQL.
    assert after.keyword.count() == after.catalog.counts()["chunks"]
    banded = after.catalog.query("SELECT COUNT(DISTINCT article_id) n FROM signature_bands")
    assert banded[0]["n"] == len(titles)
    for s in sources(after):
        forget(after, s["article_id"])
    after.close()
    again = Index(upgraded, embedder=embedder, detector=detector)  # an emptied index stays empty
    assert sources(again) == []
    again.close()


def test_feeds_keep_their_state_in_postgres(hosts: list[Index]) -> None:
    a, b = hosts
    first = FeedStore(a.catalog).add("https://example.org/rss", "rss", "Example", 30)
    other = FeedStore(b.catalog)
    assert other.add("https://example.org/rss", "rss", "Example", 30).feed_id == first.feed_id
    second = other.add("https://example.org/atom", "atom", "Other", 15)
    assert second.feed_id != first.feed_id
    other.mark_seen(first.feed_id, [("guid-1", "v1", "art1"), ("guid-2", "v1", "art2")])
    other.mark_seen(first.feed_id, [("guid-1", "v2", "art1")])
    assert FeedStore(a.catalog).seen_versions(first.feed_id) == {"guid-1": "v2", "guid-2": "v1"}
    other.update(first.feed_id, last_poll=1_800_000_000.125, errors=2)
    got = FeedStore(a.catalog).get(first.feed_id)
    assert (
        got is not None and got.last_poll == 1_800_000_000.125 and got.errors == 2
    )  # 8-byte floats


def test_the_catalog_reconnects_after_the_server_drops_it(
    shared_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from retrieval.index.sql import libpq_url, schema_name

    db = PostgresDatabase(
        shared_settings.database_url.get_secret_value(), schema_name(shared_settings.collection)
    )
    db.transact([("CREATE TABLE IF NOT EXISTS probe (k TEXT PRIMARY KEY)", {})])
    pid = db.query("SELECT pg_backend_pid() AS pid")[0]["pid"]
    import psycopg

    with psycopg.connect(
        libpq_url(shared_settings.database_url.get_secret_value()), autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    db.transact([("INSERT INTO probe (k) VALUES (:k)", {"k": "after"})])
    assert db.query("SELECT k FROM probe") == [{"k": "after"}]
    assert "connection lost; reconnecting" in caplog.text
    db.close()


def test_another_hosts_new_words_are_found_the_moment_the_writer_commits(
    hosts: list[Index], tmp_path: Path
) -> None:
    """Keyword search reads the shared catalog: a reader on another host finds a new article by
    its words on its next search, rebuilding nothing, and neither host keeps keyword files."""
    import time

    from testing.files import write_articles

    a, b = hosts
    assert ingest(a, [str(CORPUS)]).ok
    assert search(b, "Xiaomi CEO iPhone", k=1).hits
    write_articles(
        tmp_path / "more", 3, 2, "Harbour note {i}{p}: the quay zorblat was closed.", "Quay {i}"
    )
    assert ingest(a, [str(tmp_path / "more")]).ok
    started = time.monotonic()
    hits = search(b, "zorblat quay", k=5, mode="keyword", query_lang="en").hits
    assert time.monotonic() - started < 1.0
    assert hits and all("zorblat" in h.chunk.text for h in hits)
    for host in hosts:
        assert not list(host.settings.data_dir.glob("bm25*"))


def test_an_unreachable_database_is_a_clear_error_without_the_password(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from testing.services import free_port

    monkeypatch.setenv("DATABASE_URL", f"postgresql://footnote:s3cret-pw@127.0.0.1:{free_port()}/x")
    code, out, err = run("sources")
    assert code == 1 and "PostgreSQL (DATABASE_URL) is unreachable" in err
    assert "Traceback" not in err and "s3cret-pw" not in out + err


def test_prune_on_one_host_keeps_what_another_hosts_disk_holds(
    hosts: list[Index], tmp_path: Path
) -> None:
    """A path names a file on one host's disk: host B must not forget host A's upload because
    B cannot see the file. Under the directories B names, prune works as on one machine."""
    a, b = hosts
    upload = tmp_path / "host-a" / "uploads" / "u1-note.txt"
    upload.parent.mkdir(parents=True)
    upload.write_text("Harbour note\n\nThe quay at the old harbour closes in winter.", "utf-8")
    assert ingest(a, [str(upload)]).ok
    upload.unlink()  # not on B's disk (here: not on any)
    mine = tmp_path / "host-b-corpus"
    mine.mkdir()
    (mine / "one.txt").write_text("Ferry times\n\nThe ferry leaves at nine every morning.", "utf-8")
    (mine / "two.txt").write_text(
        "Bridge works\n\nThe bridge is closed for repairs in May.", "utf-8"
    )
    assert ingest(b, [str(mine)]).ok
    (mine / "two.txt").unlink()
    report = ingest(b, [str(mine)], prune=True)
    assert len(report.removed) == 1  # B's own deleted file
    assert sorted(s["title"] for s in sources(a)) == ["Ferry times", "Harbour note"]
