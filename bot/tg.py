"""Small helpers every handler module shares: who is asking in which language, what kind of chat
it is, replying, the command's argument, and the owners-only guard."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Chat, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes

from bot.i18n import t
from bot.rules import command_argument, message_text
from bot.services import services
from retrieval.api import FALLBACK

Context = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def ui_lang(update: Update) -> str:
    """The language of the user's Telegram client, for the bot's own words."""
    user = update.effective_user
    return (user.language_code or FALLBACK) if user else FALLBACK


def user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


def is_group(chat: Chat) -> bool:
    return chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def chat_title(chat: Any) -> str:
    return getattr(chat, "title", None) or getattr(chat, "username", None) or str(chat.id)


def argument(update: Update) -> str:
    """The text after the command (`/forget ID` -> `ID`)."""
    msg = update.effective_message
    return command_argument(message_text(msg)) if msg is not None else ""


async def reply(update: Update, text: str, html_mode: bool = False) -> Message | None:
    """A message in the same chat (not quoting the command)."""
    msg = update.effective_message
    if msg is None:
        return None
    return await msg.reply_text(
        text, parse_mode=ParseMode.HTML if html_mode else None, do_quote=False
    )


def owner_only(func: Handler) -> Handler:
    """Refuse (and change nothing) unless the user is one of FOOTNOTE_ADMIN_IDS."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: Context) -> None:
        if not services(context).is_owner(user_id(update)):
            if update.effective_message is not None:
                await update.effective_message.reply_text(t("not_owner", ui_lang(update)))
            return
        await func(update, context)

    return wrapper
