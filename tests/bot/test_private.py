"""Private chats: every message is a question; typing, streamed edits, final HTML answer."""

from __future__ import annotations

import re
from pathlib import Path

from bot.commands.source_links import link_token
from retrieval.answer.answerer import Answerer
from testing.openai_server import FakeOpenAI
from testing.telegram_server import FakeTelegram, user
from tests.bot.conftest import bot_settings, command, running, until

ANN = user(501, "de", "Ann")


async def test_offline_answer_in_one_message(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.private_chat(ANN)
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        tg.send_text(chat, ANN, "Welches Handy benutzt der Chef von Xiaomi?")
        await bot.answered(1)
    sent = tg.messages_to(ANN["id"])
    assert len(sent) == 1 and sent[0].edits == 0  # offline: one message, no streaming
    msg = sent[0]
    assert msg.parse_mode == "HTML"
    assert "Sprachmodell" in msg.text  # the offline header, in the question's language
    assert '<a href="https://' in msg.raw and "<blockquote expandable>" in msg.raw
    buttons = [b["callback_data"] for row in msg.reply_markup["inline_keyboard"] for b in row]
    assert buttons == ["fb:1", "fb:0"]
    assert any(c.get("action") == "typing" for c in tg.calls_of("sendChatAction"))


STREAMED = (
    "Lu Weibing, the president of Xiaomi, said on stage that he has used an iPhone [1]. "
    "He made the remark while presenting the Xiaomi 17 Ultra [1]."
)


async def test_a_private_answer_streams_as_a_draft_then_arrives_as_a_message(
    tmp_path: Path, tg: FakeTelegram, llm_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    fake_openai.queue("chat", content=STREAMED, chunk=12, pause=0.05)
    chat = tg.private_chat(ANN)
    async with running(bot_settings(tmp_path, tg), llm_answerer, tg) as bot:
        tg.send_text(chat, ANN, "Which phone did the Xiaomi president say he used?")
        await bot.answered(1)
    drafts = tg.drafts[ANN["id"]]
    assert len(drafts) >= 2 and len({d for d, _ in drafts}) == 1, "one draft, updated in place"
    assert all(text.endswith("…") for _, text in drafts)
    assert len(drafts[-1][1]) > len(drafts[0][1])
    [msg] = tg.messages_to(ANN["id"])
    assert msg.edits == 0, "no edits: the final answer is its own message"
    assert msg.parse_mode == "HTML" and "iPhone" in msg.text and "[1]" in msg.text
    assert "<blockquote expandable>" in msg.raw and "Xiaomi CEO uses an iPhone" in msg.text


async def test_without_drafts_the_answer_is_edited_into_place_and_that_is_remembered(
    tmp_path: Path, tg: FakeTelegram, llm_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    tg.drafts_supported = False  # an older Bot API server
    fake_openai.default["chat"] = {"content": STREAMED, "chunk": 12, "pause": 0.05}
    chat = tg.private_chat(ANN)
    async with running(bot_settings(tmp_path, tg), llm_answerer, tg) as bot:
        tg.send_text(chat, ANN, "Which phone did the Xiaomi president say he used?")
        await bot.answered(1)
        tg.send_text(chat, ANN, "And which phone did Lei Jun use?")
        await bot.answered(2)
    assert len(tg.calls_of("sendMessageDraft")) == 1, "asked once, then edits for this chat"
    first = tg.messages_to(ANN["id"])[0]
    assert first.edits >= 2  # partial text grew, then the final HTML replaced it
    assert any(h.endswith("…") for h in first.history)
    assert first.parse_mode == "HTML" and "iPhone" in first.text


async def test_every_citation_opens_its_source(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    """The sample's English article has no URL: its citation links to the bot, which shows the
    cited passage with the article's title and origin."""
    chat = tg.private_chat(ANN)
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        tg.send_text(chat, ANN, "Welches Handy benutzt der Chef von Xiaomi?")
        await bot.answered(1)
        raw = tg.messages_to(ANN["id"])[0].raw
        links = re.findall(r'href="([^"]+)"', raw)
        assert links and all(link.startswith("https://") for link in links)
        deep = [
            link for link in links if link.startswith("https://t.me/footnote_test_bot?start=src_")
        ]
        assert deep, raw
        payload = deep[0].split("start=", 1)[1]
        tg.send_text(chat, ANN, f"/start {payload}", entities=command("/start"))
        await until(lambda: len(tg.messages_to(ANN["id"])) >= 2)
        shown = tg.messages_to(ANN["id"])[1]
        # A signed link to a passage that has since gone.
        gone = "0000000000000000-0000"
        tg.send_text(chat, ANN, f"/start src_{gone}_{link_token(bot.svc.link_secret, gone)}",
                     entities=command("/start"))  # fmt: skip
        await until(lambda: len(tg.messages_to(ANN["id"])) >= 3)
    chunk_id = payload[len("src_") :].split("_", 1)[0]
    chunk = offline_answerer.index.catalog.chunks_by_id([chunk_id])[chunk_id]
    assert shown.text.startswith(chunk.title) and chunk.text[:60] in shown.text
    assert ".txt" in shown.text, "the origin: the corpus file"
    assert tg.messages_to(ANN["id"])[2].text == "Diese Quelle ist nicht mehr unter meinen Artikeln."


async def test_a_passage_link_the_bot_did_not_make_shows_nothing(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    """Chunk ids can be counted (the article's id and a number) or guessed: a stranger who sends
    `/start src_<id>` without the bot's token, with another passage's token, or with a token of
    another installation reads nothing; the bot's own link still opens."""
    chat = tg.private_chat(ANN)
    catalog = offline_answerer.index.catalog
    [row] = catalog.query("SELECT article_id FROM articles ORDER BY article_id LIMIT 1")
    chunk = catalog.chunks_of(row["article_id"])[0]
    cid = chunk.chunk_id
    other = f"{cid[:-4]}{int(cid[-4:]) + 1:04d}"
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        secret = bot.svc.link_secret
        assert len(secret) == 32 and secret.hex() not in repr(bot.svc)
        forged = [f"src_{cid}", f"src_{cid}_{link_token(secret, other)}",
                  f"src_{cid}_{link_token(b'another installation', cid)}",
                  f"src_{cid}_{'A' * 22}"]  # fmt: skip
        for n, payload in enumerate(forged, start=1):
            tg.send_text(chat, ANN, f"/start {payload}", entities=command("/start"))
            await until(lambda n=n: len(tg.messages_to(ANN["id"])) >= n)  # type: ignore[misc]
        tg.send_text(chat, ANN, f"/start src_{cid}_{link_token(secret, cid)}",
                     entities=command("/start"))  # fmt: skip
        await until(lambda: len(tg.messages_to(ANN["id"])) > len(forged))
    replies = [m.text for m in tg.messages_to(ANN["id"])]
    assert all(r.startswith("Diesen Link kann ich nicht öffnen") for r in replies[:-1]), replies
    assert not any(chunk.text[:40] in r for r in replies[:-1])
    assert chunk.text[:40] in replies[-1]
