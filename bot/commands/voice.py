"""Voice questions: a voice message, an audio file or a video note is transcribed through the
configured endpoint (retrieval/llm/transcribe.py), the transcript shown ("🎤 …", so that a mishearing is
visible) and then answered like a typed question. In groups only when it speaks to the bot: a
reply to one of its messages, or the bot mentioned in its caption."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.error import TelegramError

from bot.asking import admitted, answer_message
from bot.i18n import t
from bot.rules import addressed
from bot.services import services
from bot.tg import Context, is_group, ui_lang
from retrieval.api import TranscriptionError

log = logging.getLogger(__name__)


async def voice_message(update: Update, context: Context) -> None:
    msg, chat = update.effective_message, update.effective_chat
    if msg is None or chat is None:
        return
    media = msg.voice or msg.audio or msg.video_note
    if media is None:
        return
    svc = services(context)
    if is_group(chat) and addressed(msg, svc.bot_id, svc.bot_username) is None:
        return  # a voice message between members
    lang = ui_lang(update)
    settings = svc.settings
    if svc.transcriber is None:
        await msg.reply_text(t("voice_off", lang))
        return
    length = getattr(media, "duration", 0) or 0  # a timedelta in python-telegram-bot 22
    seconds = length.total_seconds() if isinstance(length, timedelta) else float(length)
    size = int(media.file_size or 0)
    if seconds > settings.voice_max_seconds or size > settings.voice_max_mb * 1024 * 1024:
        await msg.reply_text(
            t("voice_too_long", lang, seconds=settings.voice_max_seconds,
              mb=f"{settings.voice_max_mb:g}")
        )  # fmt: skip
        return
    if not await admitted(update, context):
        return
    try:
        file = await media.get_file()
        audio = bytes(await file.download_as_bytearray())
        if len(audio) > settings.voice_max_mb * 1024 * 1024:  # the size Telegram announced lied
            raise TranscriptionError(f"{len(audio)} bytes")
        text = await svc.transcriber.transcribe(audio, _filename(msg), lang)
    except (TelegramError, TranscriptionError) as exc:
        log.warning("voice message not transcribed: %s", exc)
        await msg.reply_text(t("voice_failed", lang))
        return
    if not text:
        await msg.reply_text(t("voice_empty", lang))
        return
    await msg.reply_text(f"🎤 {text}", do_quote=is_group(chat))
    await answer_message(update, context, text, [], admitted_already=True)


def _filename(msg: object) -> str:
    audio = getattr(msg, "audio", None)
    if audio is not None and getattr(audio, "file_name", None):
        return str(audio.file_name)
    return "video.mp4" if getattr(msg, "video_note", None) is not None else "voice.ogg"
