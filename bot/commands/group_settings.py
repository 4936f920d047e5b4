"""/settings for group admins: when the bot answers, how long, in which language. Admin status is
Telegram's, cached briefly."""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus

from bot.i18n import t
from bot.services import services
from bot.store.chats import LENGTHS, MODES, ChatSettings
from bot.telegram_errors import is_not_modified
from bot.tg import Context, is_group, ui_lang
from retrieval.api import STRINGS, complete_in

# A fixed answer language is offered where the core's own words (not covered, offline, …) exist.
LANGUAGE_CHOICES = ("", *complete_in(STRINGS[k] for k in ("not_covered", "offline_header")))


async def is_chat_admin(update: Update, context: Context, user_id: int) -> bool:
    """Telegram's chat member status, cached briefly; anonymous admins post as the group."""
    chat = update.effective_chat
    assert chat is not None
    msg = update.effective_message
    if msg is not None and msg.sender_chat is not None and msg.sender_chat.id == chat.id:
        return True
    svc = services(context)
    cached = svc.cached_admin(chat.id, user_id)
    if cached is not None:
        return cached
    member = await context.bot.get_chat_member(chat.id, user_id)
    ok = member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
    svc.remember_admin(chat.id, user_id, ok)
    return ok


async def settings_command(update: Update, context: Context) -> None:
    """/settings (group admins): when to answer, how long, which language."""
    chat, user, msg = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or msg is None:
        return
    lang = ui_lang(update)
    if not is_group(chat):
        await msg.reply_text(t("groups_only", lang))
        return
    if user is None or not await is_chat_admin(update, context, user.id):
        await msg.reply_text(t("not_admin", lang))
        return
    current = await asyncio.to_thread(services(context).state.chats.chat_settings, chat.id)
    text, markup = settings_view(current, lang)
    await msg.reply_text(text, reply_markup=markup)


async def settings_button(update: Update, context: Context) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.from_user is None:
        return
    lang = query.from_user.language_code or "en"
    if not await is_chat_admin(update, context, query.from_user.id):
        await query.answer(t("not_admin", lang), show_alert=True)
        return
    parts = (query.data or "").split(":", 2)
    if len(parts) != 3:  # not a button we made: refused quietly
        await query.answer(t("expired", lang))
        return
    _, key, value = parts
    svc = services(context)
    async with svc.panels.turn(chat.id):
        try:
            current = await asyncio.to_thread(svc.state.chats.set_chat_setting, chat.id, key, value)
        except ValueError:
            await query.answer(t("expired", lang))
            return
        await query.answer()
        text, markup = settings_view(current, lang)
        try:
            await query.edit_message_text(text, reply_markup=markup)
        except Exception as exc:
            if not is_not_modified(exc):
                raise


def settings_view(s: ChatSettings, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    def mark(on: bool, label: str) -> str:
        return f"✓ {label}" if on else label

    text = t(
        "settings_title",
        lang,
        mode=t(f"mode_{s.mode}", lang),
        length=t(f"length_{s.length}", lang),
        language=s.language or t("language_auto", lang),
    )
    rows = [
        [
            InlineKeyboardButton(
                mark(s.mode == m, t(f"mode_{m}", lang)), callback_data=f"set:mode:{m}"
            )
            for m in MODES
        ],
        [
            InlineKeyboardButton(
                mark(s.length == n, t(f"length_{n}", lang)), callback_data=f"set:length:{n}"
            )
            for n in LENGTHS
        ],
    ]
    langs = [
        InlineKeyboardButton(
            mark(s.language == code, code or t("language_auto", lang)),
            callback_data=f"set:language:{code}",
        )
        for code in LANGUAGE_CHOICES
    ]
    rows += [langs[i : i + 4] for i in range(0, len(langs), 4)]
    return text, InlineKeyboardMarkup(rows)
