"""Private chats: every message is a question; typing, streamed edits, final HTML answer."""

from __future__ import annotations

from pathlib import Path

from retrieval.answer import Answerer
from testing.openai_server import FakeOpenAI
from testing.telegram_server import FakeTelegram, user
from tests.bot.conftest import bot_settings, running

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


async def test_streamed_answer_is_edited_into_place(
    tmp_path: Path, tg: FakeTelegram, llm_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    reply = (
        "Lu Weibing, the president of Xiaomi, said on stage that he has used an iPhone [1]. "
        "He made the remark while presenting the Xiaomi 17 Ultra [1]."
    )
    fake_openai.queue("chat", content=reply, chunk=12, pause=0.05)
    chat = tg.private_chat(ANN)
    async with running(bot_settings(tmp_path, tg), llm_answerer, tg) as bot:
        tg.send_text(chat, ANN, "Which phone did the Xiaomi president say he used?")
        await bot.answered(1)
    [msg] = tg.messages_to(ANN["id"])
    assert msg.edits >= 2  # partial text grew, then the final HTML replaced it
    assert any(h.endswith("…") for h in msg.history)
    assert msg.parse_mode == "HTML" and "iPhone" in msg.text and "[1]" in msg.text
    assert "<blockquote expandable>" in msg.raw and "Xiaomi CEO uses an iPhone" in msg.text
