"""Owners feed the corpus from Telegram: files, /ingest URL, source channels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from retrieval.answer.answerer import Answerer, Gate
from retrieval.ids import article_id
from retrieval.index.ingest import ingest
from retrieval.index.inventory import sources
from retrieval.index.parts import Index
from testing.files import distinct_words
from testing.telegram_server import FakeTelegram, user
from testing.web import ARTICLE_HTML, http_server
from tests.bot.conftest import OWNER, OWNER_USER, bot_settings, command, running, until

CHANNEL = {"id": -100999, "type": "channel", "title": "Daily Brief", "username": "dailybrief"}


@pytest.fixture
def writable(index: Index) -> Answerer:
    """A small writable index (hash embedder): these tests are about what gets stored."""
    return Answerer(index, None)


def document(tg: FakeTelegram, file_id: str, name: str, data: bytes) -> dict[str, object]:
    tg.files[f"documents/{file_id}"] = data
    return {
        "file_id": file_id,
        "file_unique_id": f"u{file_id}",
        "file_name": name,
        "file_size": len(data),
    }


async def test_owner_file_is_ingested_under_a_safe_name(
    tmp_path: Path, tg: FakeTelegram, writable: Answerer
) -> None:
    owner_chat = tg.chats[OWNER]
    settings = bot_settings(tmp_path, tg)
    async with running(settings, writable, tg):
        doc = document(tg, "F1", "../../../etc/cron.d/evil article.html", ARTICLE_HTML)
        tg.send_text(owner_chat, OWNER_USER, "", document=doc)
        await until(lambda: any("added" in m.text for m in tg.messages_to(OWNER)))
    report = tg.messages_to(OWNER)[-1].text
    assert report.startswith("evil article.html: 1 added, 0 updated, 0 unchanged, 0 failed")
    uploads = list((settings.data_dir / "uploads").iterdir())
    assert [p.name for p in uploads] == ["uF1-evil article.html"]
    assert not (tmp_path / "etc").exists()
    titles = [s["title"] for s in sources(writable.index)]
    assert len(titles) == 1 and titles[0]


async def test_files_from_others_and_unknown_types_are_refused(
    tmp_path: Path, tg: FakeTelegram, writable: Answerer
) -> None:
    stranger = user(1201, "de")
    chat = tg.private_chat(stranger)
    async with running(bot_settings(tmp_path, tg, max_file_mb=1), writable, tg):
        tg.send_text(chat, stranger, "", document=document(tg, "F2", "a.html", ARTICLE_HTML))
        tg.send_text(
            tg.chats[OWNER], OWNER_USER, "", document=document(tg, "F3", "tool.exe", b"MZ")
        )
        tg.send_text(
            tg.chats[OWNER],
            OWNER_USER,
            "",
            document=document(tg, "F4", "big.txt", b"x" * 2_000_000),
        )
        await until(lambda: tg.messages_to(stranger["id"]) and len(tg.messages_to(OWNER)) >= 2)
    assert tg.messages_to(stranger["id"])[0].text.startswith("Nur die Betreiber des Bots")
    assert [m.text for m in tg.messages_to(OWNER)] == [
        "I can read txt, md, html, json, jsonl and pdf files up to 1 MB."
    ] * 2
    assert sources(writable.index) == []
    assert tg.calls_of("getFile") == []  # nothing was even downloaded


async def test_long_ingest_shows_progress(
    tmp_path: Path, tg: FakeTelegram, writable: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.commands.owner.PROGRESS_EVERY", 0.05)
    records = [
        {"id": f"r{i}", "title": f"Report {i}", "text": f"Paragraph about topic {i}. " * 40}
        for i in range(150)
    ]
    data = "\n".join(json.dumps(r) for r in records).encode()
    async with running(bot_settings(tmp_path, tg), writable, tg):
        tg.send_text(
            tg.chats[OWNER], OWNER_USER, "", document=document(tg, "F5", "batch.jsonl", data)
        )
        await until(lambda: any("150 added" in m.text for m in tg.messages_to(OWNER)), 120)
    status = tg.messages_to(OWNER)[0]
    assert status.edits >= 1 and any("batch.jsonl:" in h for h in [*status.history, status.text])
    assert len(sources(writable.index)) == 150


@pytest.fixture
def article_site() -> Iterator[str]:
    with http_server({"/a": (200, "text/html", ARTICLE_HTML, 0)}) as base:
        yield base


async def test_ingest_url_and_ssrf_refusal(
    tmp_path: Path, tg: FakeTelegram, index: Index, article_site: str
) -> None:
    async with running(bot_settings(tmp_path, tg), Answerer(index, None), tg):
        tg.send_text(
            tg.chats[OWNER], OWNER_USER, f"/ingest {article_site}/a", entities=command("/ingest")
        )
        await until(lambda: any("failed" in m.text for m in tg.messages_to(OWNER)))
    report = tg.messages_to(OWNER)[-1].text
    assert "0 added" in report and "1 failed" in report and "private" in report.lower()
    assert sources(index) == []

    index.settings = replace(index.settings, allow_private_urls=True)  # an operator's choice
    tg2 = tg
    async with running(bot_settings(tmp_path, tg2), Answerer(index, None), tg2):
        tg.send_text(
            tg.chats[OWNER], OWNER_USER, f"/ingest {article_site}/a", entities=command("/ingest")
        )
        await until(lambda: any("1 added" in m.text for m in tg.messages_to(OWNER)))
    assert len(sources(index)) == 1


async def test_channel_posts_become_articles_and_the_bot_never_posts_there(
    tmp_path: Path, tg: FakeTelegram, writable: Answerer
) -> None:
    channel = tg.add_chat(dict(CHANNEL))
    tg.members[(CHANNEL["id"], tg.bot["id"])] = "administrator"
    other = tg.add_chat({"id": -100444, "type": "channel", "title": "Unregistered"})
    text = "Berlin opens a new library. The building holds two million books. Details here"
    links = [
        {
            "type": "text_link",
            "offset": text.index("here"),
            "length": 4,
            "url": "https://example.org/lib",
        }
    ]
    async with running(bot_settings(tmp_path, tg), writable, tg):
        # The bot is made admin of the channel: owners hear how to use it.
        tg.push(my_chat_member={
            "chat": channel, "from": OWNER_USER, "date": 0,
            "old_chat_member": {"status": "left", "user": tg.bot},
            "new_chat_member": {"status": "administrator", "user": tg.bot, "can_be_edited": False,
                                "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
                                "can_manage_video_chats": True, "can_restrict_members": True,
                                "can_promote_members": False, "can_change_info": True, "can_invite_users": True,
                                "can_post_stories": True, "can_edit_stories": True, "can_delete_stories": True,
                                "can_post_messages": True, "can_edit_messages": True},
        })  # fmt: skip
        await until(lambda: tg.messages_to(OWNER))
        assert "/source @dailybrief" in tg.messages_to(OWNER)[0].text
        tg.send_text(
            tg.chats[OWNER], OWNER_USER, "/source @dailybrief", entities=command("/source")
        )
        await until(lambda: len(tg.messages_to(OWNER)) >= 2)
        post = tg.message(channel, None, text, entities=links, sender_chat=channel)
        tg.push(channel_post=post)
        tg.push(
            channel_post=tg.message(
                other, None, "Unregistered channel news about Berlin.", sender_chat=other
            )
        )
        await until(lambda: sources(writable.index))
        new_text = text.replace("two million", "three million")
        new_links = [dict(links[0], offset=new_text.index("here"))]
        edited = dict(post, text=new_text, entities=new_links, edit_date=1)
        tg.push(edited_channel_post=edited)
        aid = article_id(f"id:tg-{CHANNEL['id']}-{post['message_id']}", "", "")
        catalog = writable.index.catalog
        await until(lambda: "three million" in dict(catalog.article(aid) or {}).get("text", ""))
    [article] = sources(writable.index)
    assert article["article_id"] == aid
    assert article["url"] == f"https://t.me/dailybrief/{post['message_id']}"
    assert article["title"].startswith("Berlin opens a new library")
    stored = dict(catalog.article(aid) or {})
    assert "here: https://example.org/lib" in stored["text"]
    assert tg.messages_to(CHANNEL["id"]) == [] and tg.messages_to(other["id"]) == []


async def test_answers_keep_coming_during_a_long_ingest(
    tmp_path: Path, tg: FakeTelegram, writable: Answerer
) -> None:
    from tests.conftest import CORPUS

    assert ingest(writable.index, [str(CORPUS)]).ok
    records = [
        {
            "id": f"bulk{i}",
            "title": f"Bulletin {i}",
            "text": f"Report number {i} on the harbour. " * 30 + distinct_words(i, 120),
        }
        for i in range(400)
    ]
    data = "\n".join(json.dumps(r) for r in records).encode()
    asker = user(1250, "en")
    async with running(
        bot_settings(tmp_path, tg), Answerer(writable.index, None, gate=_open_gate()), tg
    ) as bot:
        tg.send_text(
            tg.chats[OWNER], OWNER_USER, "", document=document(tg, "F9", "bulk.jsonl", data)
        )
        await until(lambda: tg.messages_to(OWNER))  # "Reading bulk.jsonl…": the ingest is running
        tg.send_text(tg.private_chat(asker), asker, "Which phone does the Xiaomi CEO use?")
        await bot.answered(1)
        answered_during = not any("400 added" in m.text for m in tg.messages_to(OWNER))
        await until(lambda: any("400 added" in m.text for m in tg.messages_to(OWNER)), 180)
    assert answered_during  # the answer did not wait for the ingest
    assert len(sources(writable.index)) == 402


def _open_gate() -> object:

    # The hash embedder's similarities mean nothing: let every answer through.
    return Gate(-10.0, 0.0, off_topic_score=-10.0)


async def test_an_upload_cut_short_by_shutdown_is_finished_after_the_restart(
    tmp_path: Path, tg: FakeTelegram, writable: Answerer
) -> None:
    """SIGTERM during a long ingest: it stops between two embedding batches within the grace
    period, the index stays consistent, the owner is told, and the update stays claimed, so the
    next start ingests the rest (what was written counts as unchanged, nothing twice)."""
    from bot.store.state import State
    from retrieval.index.inventory import verify

    records = [
        {"id": f"cut{i}", "title": f"Notice {i}",
         "text": f"Notice number {i} about the ferry. " * 8 + distinct_words(i, 40)}
        for i in range(80)
    ]  # fmt: skip
    data = "\n".join(json.dumps(r) for r in records).encode()
    settings = bot_settings(tmp_path, tg)
    index = writable.index
    async with running(settings, writable, tg) as bot:
        tg.send_text(
            tg.chats[OWNER], OWNER_USER, "", document=document(tg, "F10", "cut.jsonl", data)
        )
        await until(lambda: index.catalog.counts()["articles"] >= 1, 120)  # writing has begun
        update_id = next(iter(bot.svc.state.inbox.unfinished_updates()))[0]
    # The context's exit is the shutdown: it returned within the grace period.
    paused = tg.messages_to(OWNER)[-1].text
    assert paused.startswith("cut.jsonl: stopped for a restart after "), paused
    written = index.catalog.counts()["articles"]
    assert 1 <= written < 80 and verify(index)["ok"]
    state = State.open(f"sqlite:///{settings.data_dir / 'bot.sqlite3'}")
    try:
        assert [u[0] for u in state.inbox.unfinished_updates()] == [update_id]
    finally:
        state.close()

    async with running(settings, writable, tg):  # the next start replays the upload
        await until(lambda: "unchanged" in tg.messages_to(OWNER)[-1].text, 240)
    done = tg.messages_to(OWNER)[-1].text
    assert done.startswith(f"cut.jsonl: {80 - written} added, 0 updated, {written} unchanged"), done
    assert len(sources(index)) == 80 and verify(index)["ok"]
