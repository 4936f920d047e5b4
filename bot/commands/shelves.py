"""/shelf: which shelves of articles a chat answers from. Group admins see their group's; owners
bind and unbind, in the chat itself or from their private chat (`/shelf @group add newsroom`).

    /shelf                         the shelves here (and, for an owner, every shelf with its size)
    /shelf add NAME…  /shelf remove NAME…  /shelf set NAME…  /shelf reset
    /shelf @chat|ID [verb NAME…]   the same for another chat, from an owner's private chat
"""

from __future__ import annotations

import asyncio
import re

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.commands.group_settings import is_chat_admin
from bot.i18n import t
from bot.services import Services, services
from bot.tg import Context, argument, chat_title, reply, ui_lang, user_id
from retrieval.api import ShelfNameError, shelf_name

VERBS = ("add", "remove", "set", "reset")
_CHAT_REF = re.compile(r"^(@[A-Za-z0-9_]{4,32}|-?\d{1,15})$")


async def shelf_command(update: Update, context: Context) -> None:
    svc = services(context)
    chat = update.effective_chat
    if chat is None or update.effective_message is None:
        return
    lang = ui_lang(update)
    words = argument(update).split()
    owner = svc.is_owner(user_id(update))
    target, title = chat.id, chat_title(chat)
    if words and _CHAT_REF.match(words[0]):
        if not owner or chat.type != ChatType.PRIVATE:
            await reply(update, t("not_owner", lang))
            return
        found = await _chat(context, words.pop(0))
        if found is None:
            await reply(update, "I cannot see that chat: add me to it first, then try again.")
            return
        target, title = found
    if not words:
        if owner or chat.type == ChatType.PRIVATE or await _admin(update, context):
            await reply(update, await _describe(svc, target, title, lang, owner))
        else:
            await reply(update, t("not_admin", lang))
        return
    if not owner:
        await reply(update, t("not_owner", lang))
        return
    await reply(update, await _change(svc, target, title, words, user_id(update) or 0))


async def _admin(update: Update, context: Context) -> bool:
    uid = user_id(update)
    try:
        return uid is not None and await is_chat_admin(update, context, uid)
    except TelegramError:
        return False


async def _chat(context: Context, ref: str) -> tuple[int, str] | None:
    try:
        found = await context.bot.get_chat(int(ref) if ref.lstrip("-").isdigit() else ref)
    except TelegramError:
        return None
    return found.id, chat_title(found)


async def _describe(svc: Services, chat_id: int, title: str, lang: str, owner: bool) -> str:
    chats = svc.state.chats
    shelves, bound = await asyncio.to_thread(
        lambda: (chats.shelves_of(chat_id), chats.bound(chat_id))
    )
    text = t("shelves_here", lang, chat=title, shelves=", ".join(shelves))
    if not bound:
        text += "\n" + t("shelves_default", lang)
    if owner:
        sizes = await asyncio.to_thread(svc.index.catalog.shelves)
        listed = "\n".join(f"• {s}: {a} articles" for s, (a, _) in sizes.items()) or "• (none)"
        text += (
            f"\n\nShelves with articles:\n{listed}\n\n"
            "Change: /shelf add|remove|set NAME…, /shelf reset (the default); from your private "
            "chat: /shelf @group add NAME"
        )
    return text


async def _change(svc: Services, chat_id: int, title: str, words: list[str], by: int) -> str:
    verb, names = words[0].lower(), words[1:]
    if verb not in VERBS or (verb != "reset" and not names):
        return "Usage: /shelf add|remove|set NAME…, or /shelf reset"
    try:
        named = [shelf_name(n) for n in names]
    except ShelfNameError as exc:
        return f"Not a shelf name: {exc}."
    chats = svc.state.chats

    def apply() -> tuple[str, ...] | None:
        now = list(chats.shelves_of(chat_id))
        wanted = {
            "add": now + named,
            "remove": [s for s in now if s not in named],
            "set": named,
            "reset": [],
        }[verb]
        if verb != "reset" and not wanted:
            return None
        return chats.set_shelves(chat_id, wanted, by)

    result = await asyncio.to_thread(apply)
    if result is None:
        return "A chat answers from at least one shelf: add another before removing the last."
    sizes = await asyncio.to_thread(svc.index.catalog.shelves)
    empty = [s for s in result if s not in sizes]
    note = f"\n(No articles on {', '.join(empty)} yet.)" if empty else ""
    return f"{title} now answers from: {', '.join(result)}.{note}"
