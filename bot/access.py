"""Who is served: runs before every other handler."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.services import services
from bot.tg import Context, user_id


async def gate(update: Update, context: Context) -> None:
    """Denied users and chats (and, in allowlist mode, anyone not allowed) are ignored silently.
    Owners are always served; channel posts are checked against the registered channels by their
    own handler. A message sent on behalf of a chat (`sender_chat`: a channel, an anonymous
    admin) is judged by that chat too: a denied channel is not served by posting as itself."""
    svc = services(context)
    chat, uid = update.effective_chat, user_id(update)
    if chat is None or chat.type == ChatType.CHANNEL or svc.is_owner(uid):
        return
    msg = update.effective_message
    sender = msg.sender_chat.id if msg is not None and msg.sender_chat is not None else None
    if not await asyncio.to_thread(svc.state.chats.is_served, chat.id, uid, sender):
        raise ApplicationHandlerStop
