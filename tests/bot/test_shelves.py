"""Shelves through the real Application: a private source channel's posts are quoted in its
discussion group and nowhere else (another group, a stranger's private chat, a deep link, a
digest), and an owner's /shelf moves a chat between shelves at its next question."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.commands.source_links import link_token
from retrieval.answer.answerer import Answerer, Gate
from retrieval.index.ingest import ingest
from retrieval.index.parts import Index
from testing.telegram_server import FakeTelegram, user
from tests.bot.conftest import OWNER, OWNER_USER, bot_settings, command, running, until

BRIEFINGS = {
    "id": -100321,
    "type": "channel",
    "title": "Staff briefings",
    "linked_chat_id": -100322,
}
STAFF = {"id": -100322, "type": "supergroup", "title": "Staff"}
READERS = {"id": -100323, "type": "supergroup", "title": "Readers"}
MEMBER, STRANGER = user(811, "en", "Mia"), user(812, "en", "Sam")
SECRET_POST = (
    "Internal briefing: the Harbourview bridge closes for eleven days in March. The contractor "
    "Kestrel Works keeps the night shift, and nobody outside the newsroom knows the date yet."
)
QUESTION = "Who is the contractor of the Harbourview bridge and when does it close?"
PUBLIC = (
    "The city council met on Tuesday. The budget for parks grows by four percent, and the new "
    "library opens in the spring with longer hours on weekends."
)


@pytest.fixture
def answerer(index: Index, tmp_path: Path) -> Answerer:
    public = tmp_path / "council.md"
    public.write_text(f"# Council budget\n\n{PUBLIC}\n", encoding="utf-8")
    assert ingest(index, [str(public)]).ok
    # The hash embedder's similarities mean nothing: every question gets its closest passages,
    # so what a chat is not shown was left out by its shelves, not by the gate.
    return Answerer(index, None, gate=Gate(-10.0, 0.0, off_topic_score=-10.0))


async def ask(tg: FakeTelegram, chat: dict[str, Any], who: dict[str, Any], text: str) -> str:
    """The bot's reply to `/ask text` in `chat` (a private chat: the text itself)."""
    before = len(tg.messages_to(chat["id"]))
    if chat["type"] == "private":
        tg.send_text(chat, who, text)
    else:
        tg.send_text(chat, who, f"/ask {text}", entities=command("/ask"))
    await until(lambda: len(tg.messages_to(chat["id"])) > before)
    return "\n".join(m.text for m in tg.messages_to(chat["id"])[before:])


async def owner_says(tg: FakeTelegram, text: str) -> str:
    before = len(tg.messages_to(OWNER))
    tg.send_text(tg.chats[OWNER], OWNER_USER, text, entities=command(text))
    await until(lambda: len(tg.messages_to(OWNER)) > before)
    return tg.messages_to(OWNER)[-1].text


async def test_a_private_channels_posts_stay_in_the_chats_bound_to_its_shelf(
    tmp_path: Path, tg: FakeTelegram, answerer: Answerer
) -> None:
    for chat in (BRIEFINGS, STAFF, READERS):
        tg.add_chat(dict(chat))
    tg.members[(BRIEFINGS["id"], tg.bot["id"])] = "administrator"
    stranger_chat = tg.private_chat(STRANGER)
    async with running(bot_settings(tmp_path, tg), answerer, tg):
        said = await owner_says(tg, f"/source {BRIEFINGS['id']}")
        assert "shelf channel-100321" in said and "discussion group" in said
        tg.push(channel_post=tg.message(BRIEFINGS, None, SECRET_POST, sender_chat=BRIEFINGS))
        await until(lambda: "channel-100321" in answerer.index.catalog.shelves())

        assert "Kestrel" in await ask(tg, STAFF, MEMBER, QUESTION), "its discussion group"
        assert "Kestrel" not in await ask(tg, READERS, MEMBER, QUESTION), "another group"
        assert "Kestrel" not in await ask(tg, stranger_chat, STRANGER, QUESTION), "a stranger"

        before = len(tg.messages_to(READERS["id"]))
        tg.send_text(READERS, MEMBER, "/digest", entities=command("/digest"))
        await until(lambda: len(tg.messages_to(READERS["id"])) > before)
        digest = tg.messages_to(READERS["id"])[-1].text
        assert "Council budget" in digest and "Internal briefing" not in digest
        tg.send_text(STAFF, MEMBER, "/digest", entities=command("/digest"))
        await until(lambda: "Internal briefing" in tg.messages_to(STAFF["id"])[-1].text)

        # A group admin sees the shelves; a member who is not one is refused.
        tg.members[(READERS["id"], MEMBER["id"])] = "administrator"
        tg.send_text(READERS, MEMBER, "/shelf", entities=command("/shelf"))
        await until(lambda: "shelves" in tg.messages_to(READERS["id"])[-1].text)
        assert "public" in tg.messages_to(READERS["id"])[-1].text
        tg.send_text(READERS, STRANGER, "/shelf add channel-100321", entities=command("/shelf"))
        await until(lambda: "owner" in tg.messages_to(READERS["id"])[-1].text.lower())

        # The owner binds Readers to the channel's shelf: its next question is answered from
        # it; unbound again, not.
        said = await owner_says(tg, f"/shelf {READERS['id']} add channel-100321")
        assert "public, channel-100321" in said or "channel-100321, public" in said
        assert "Kestrel" in await ask(tg, READERS, MEMBER, QUESTION)
        said = await owner_says(tg, f"/shelf {READERS['id']} remove channel-100321")
        assert "Kestrel" not in await ask(tg, READERS, MEMBER, QUESTION)
        said = await owner_says(tg, f"/shelf {READERS['id']} remove public")
        assert "at least one shelf" in said


async def test_a_passage_link_opens_only_for_members_of_a_chat_that_sees_its_shelf(
    tmp_path: Path, tg: FakeTelegram, answerer: Answerer
) -> None:
    """An uploaded memo (no web address) is cited with a deep link signed for the chat it was
    cited in: a member opens it; a stranger with the same link, or with a link signed the
    way a public passage's is, reads nothing."""
    tg.add_chat(dict(STAFF))
    memo = SECRET_POST.encode()
    tg.files["documents/M1"] = memo
    upload = {"file_id": "M1", "file_unique_id": "uM1", "file_name": "memo.txt",
              "file_size": len(memo)}  # fmt: skip
    async with running(bot_settings(tmp_path, tg), answerer, tg) as bot:
        tg.send_text(tg.chats[OWNER], OWNER_USER, "", document=upload, caption="shelf: memos")
        await until(lambda: "memos" in answerer.index.catalog.shelves())
        said = await owner_says(tg, f"/shelf {STAFF['id']} add memos")
        assert "memos" in said
        await ask(tg, STAFF, MEMBER, QUESTION)
        answer = tg.messages_to(STAFF["id"])[-1]
        links = re.findall(r"start=(src_[A-Za-z0-9_-]+)", str(answer.raw))
        assert links, answer.raw
        link = links[0]
        assert f"_{STAFF['id']}_" in link, "signed for the chat it was cited in"

        tg.members[(STAFF["id"], STRANGER["id"])] = "left"
        chunk = link.split("_")[1]
        public_style = f"src_{chunk}_{link_token(bot.svc.link_secret, chunk)}"
        for payload in (link, public_style):
            before = len(tg.messages_to(STRANGER["id"]))
            tg.send_text(tg.private_chat(STRANGER), STRANGER, f"/start {payload}",
                         entities=command("/start"))  # fmt: skip
            await until(lambda b=before: len(tg.messages_to(STRANGER["id"])) > b)  # type: ignore[misc]
            assert "Kestrel" not in tg.messages_to(STRANGER["id"])[-1].text
        tg.send_text(tg.private_chat(MEMBER), MEMBER, f"/start {link}", entities=command("/start"))
        await until(lambda: "Kestrel" in "".join(m.text for m in tg.messages_to(MEMBER["id"])))
