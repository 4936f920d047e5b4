"""When the bot speaks in a group: only when addressed. Plain functions over a Message, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Message, MessageEntity

_QUESTION_MARK = re.compile(r"[?？؟;]\s*$|[?？؟]")


@dataclass(frozen=True)
class Addressed:
    question: str  # the message text without the mention
    reply_to_bot: bool  # a reply to one of the bot's messages: a follow-up


def message_text(message: Message) -> str:
    return message.text or message.caption or ""


def addressed(message: Message, bot_id: int, bot_username: str) -> Addressed | None:
    """The question if this message speaks to the bot: a mention by entity (@username, or a
    text mention of the bot's user), or a reply to one of its messages. Not a substring search:
    "@footnote_bot" inside a URL or code is not a mention."""
    text = message_text(message)
    entities = message.parse_entities() if message.text else message.parse_caption_entities()
    name = "@" + bot_username.lower()
    cut: list[str] = []
    mentioned = False
    for entity, value in entities.items():
        if (entity.type == MessageEntity.MENTION and value.lower() == name) or (
            entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id
        ):
            mentioned = True
            cut.append(value)
    reply = message.reply_to_message
    reply_to_bot = bool(reply and reply.from_user and reply.from_user.id == bot_id)
    if not (mentioned or reply_to_bot):
        return None
    for value in cut:
        text = text.replace(value, " ", 1)
    return Addressed(" ".join(text.split()).strip(" ,:;"), reply_to_bot)


def looks_like_question(text: str) -> bool:
    """For groups set to answer every question: a question mark and a few words."""
    return bool(_QUESTION_MARK.search(text)) and len(text.split()) >= 3


def command_argument(text: str) -> str:
    """The text after `/ask` or `/ask@botname`."""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def argument_or_reply(message: Message) -> str:
    """A command's argument; without one, the text of the message it replies to ("/ask" or
    "/check" in reply to someone's message)."""
    text = command_argument(message_text(message))
    if not text and message.reply_to_message is not None:
        text = message_text(message.reply_to_message)
    return text.strip()
