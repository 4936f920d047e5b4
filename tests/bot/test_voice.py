"""Voice questions through the real Application: the recording is fetched through getFile, sent
to the fake transcription endpoint over the real multipart protocol by the real `openai` client,
the transcript shown ("🎤 …") above the answer; limits, a group's rules and a bot without a
transcription endpoint each get a clear message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from retrieval.answer.answerer import Answerer
from testing.openai_server import FakeOpenAI
from testing.telegram_server import FakeTelegram, user
from testing.telegram_users import mention
from tests.bot.conftest import bot_settings, running, until

ANN = user(1801, "de", "Ann")
GROUP = {"id": -100880, "type": "supergroup", "title": "Readers"}
SAID = "Welches Handy benutzt der Chef von Xiaomi?"
AUDIO = b"OggS\x00\x02" + bytes(range(256)) * 8


def voice(
    tg: FakeTelegram, file_id: str, seconds: int = 4, size: int = len(AUDIO)
) -> dict[str, Any]:
    tg.files[f"voice/{file_id}"] = AUDIO
    return {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": seconds,
            "mime_type": "audio/ogg", "file_size": size}  # fmt: skip


def with_voice(tmp_path: Path, tg: FakeTelegram, fake_openai: FakeOpenAI) -> Any:
    return bot_settings(tmp_path, tg, transcribe_base_url=fake_openai.base_url,
                        transcribe_model="whisper-test", voice_max_seconds=60)  # fmt: skip


async def test_a_voice_question_is_transcribed_shown_and_answered(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    fake_openai.queue("transcriptions", content=f"  {SAID} ")
    chat = tg.private_chat(ANN)
    async with running(with_voice(tmp_path, tg, fake_openai), offline_answerer, tg):
        tg.send_text(chat, ANN, "", voice=voice(tg, "V1"))
        await until(lambda: len(tg.messages_to(ANN["id"])) >= 2)
        tg.send_text(chat, ANN, "", voice=voice(tg, "V2", seconds=600))
        await until(lambda: len(tg.messages_to(ANN["id"])) >= 3)
    shown, answer, too_long = tg.messages_to(ANN["id"])
    assert shown.text == f"🎤 {SAID}", "the transcript, so a mishearing is visible"
    assert "iPhone" in answer.text and "[1]" in answer.text
    assert "höchstens 60 Sekunden" in too_long.text
    [sent] = fake_openai.transcriptions()
    assert sent["file"] == AUDIO and sent["model"] == "whisper-test"
    assert sent["file_name"] == "voice.ogg"


async def test_in_a_group_only_a_voice_message_for_the_bot_is_a_question(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    fake_openai.queue("transcriptions", content=SAID)
    group = tg.add_chat(dict(GROUP))
    name = tg.bot["username"]
    async with running(with_voice(tmp_path, tg, fake_openai), offline_answerer, tg):
        tg.send_text(group, ANN, "", voice=voice(tg, "G1"))  # between members: ignored
        caption = f"@{name}"
        tg.send_text(group, ANN, "", voice=voice(tg, "G2"), caption=caption,
                     caption_entities=mention(caption, name))  # fmt: skip
        await until(lambda: len(tg.messages_to(GROUP["id"])) >= 2)
    assert len(fake_openai.transcriptions()) == 1
    shown, answer = tg.messages_to(GROUP["id"])
    assert shown.text == f"🎤 {SAID}" and shown.reply_to is not None
    assert "iPhone" in answer.text


async def test_without_a_transcription_endpoint_voice_is_said_to_be_off(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.private_chat(ANN)
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg):
        tg.send_text(chat, ANN, "", voice=voice(tg, "V3"))
        await until(lambda: tg.messages_to(ANN["id"]))
    assert "nicht eingerichtet" in tg.messages_to(ANN["id"])[0].text


async def test_a_transcription_endpoint_that_fails_gets_a_clear_message(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    fake_openai.queue("transcriptions", status=500)
    fake_openai.queue("transcriptions", status=500)  # the client's one retry
    chat = tg.private_chat(ANN)
    async with running(with_voice(tmp_path, tg, fake_openai), offline_answerer, tg):
        tg.send_text(chat, ANN, "", voice=voice(tg, "V4"))
        await until(lambda: tg.messages_to(ANN["id"]))
    assert "nicht verschriftlichen" in tg.messages_to(ANN["id"])[0].text
