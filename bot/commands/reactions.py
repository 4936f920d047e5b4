"""Reactions: 👍/👎 set on one of the bot's answers count as feedback, like the buttons (where
Telegram sends the bot reactions: private chats, and groups where it is an admin); and a question
that waits behind another answer in the same chat gets 👀 until its own answer is out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import ReactionTypeEmoji
from telegram.error import TelegramError

from bot.services import services
from bot.tg import Context

log = logging.getLogger(__name__)

UP, DOWN = {"👍", "❤", "❤️", "🔥", "👏"}, {"👎", "💩", "🤮"}
SEEN = "👀"


def vote(emojis: list[str]) -> bool | None:
    """True for a thumbs up (or another clear yes), False for a thumbs down, None otherwise."""
    ups = any(e in UP for e in emojis)
    downs = any(e in DOWN for e in emojis)
    if ups == downs:
        return None
    return ups


async def on_reaction(update: Any, context: Context) -> None:
    """A user's reaction changed on a message: if it is one of our answers, a vote."""
    reaction = update.message_reaction
    if reaction is None or reaction.user is None:
        return
    emojis = [r.emoji for r in reaction.new_reaction if isinstance(r, ReactionTypeEmoji)]
    helpful = vote(emojis)
    if helpful is None:
        return
    svc = services(context)

    def record() -> bool:
        answer_id = svc.state.log.answer_of_message(reaction.chat.id, reaction.message_id)
        return answer_id is not None and svc.state.log.record_feedback(
            answer_id, reaction.user.id, helpful, update.update_id
        )

    if await asyncio.to_thread(record):
        svc.metrics.feedback.labels("up" if helpful else "down", "reaction").inc()


async def mark(bot: Any, chat_id: int, message_id: int, emoji: str | None) -> None:
    """Set (or with None clear) the bot's reaction on a message; never fails the answer."""
    with contextlib.suppress(TelegramError):
        await bot.set_message_reaction(
            chat_id, message_id, [ReactionTypeEmoji(emoji)] if emoji else []
        )
