"""Handlers for everyone: questions in private chats and groups, /start, /help, /ask, /sources,
feedback buttons. Each is small and delegates (answering: `asking.py`)."""

from __future__ import annotations

import asyncio
import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode

from bot.asking import answer_message
from bot.commands.source_links import show_source
from bot.formatting import safe_url
from bot.i18n import t
from bot.rules import addressed, argument_or_reply, looks_like_question, message_text
from bot.services import Services, services
from bot.tg import Context, ui_lang, user_id
from retrieval.api import list_sources

SOURCES_PAGE = 8
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def start(update: Update, context: Context) -> None:
    """/start: what the bot does, in the user's language; /start src_… (a citation's deep
    link) shows the cited passage."""
    if context.args and await show_source(update, context, context.args[0]):
        return
    await _reply_help(update, context, first=True)


async def help_command(update: Update, context: Context) -> None:
    """/help: how to ask, here and in groups."""
    await _reply_help(update, context, first=False)


async def _reply_help(update: Update, context: Context, first: bool) -> None:
    msg = update.effective_message
    if msg is None:
        return
    svc = services(context)
    lang = ui_lang(update)
    parts = [t("start", lang)] if first else []
    parts.append(t("help", lang, bot=svc.bot_username))
    if svc.is_owner(user_id(update)):
        parts.append(t("owner_help", lang))
    await msg.reply_text("\n\n".join(parts), do_quote=False)


async def ask_command(update: Update, context: Context) -> None:
    """/ask question (also /ask@botname in groups)."""
    msg = update.effective_message
    if msg is None:
        return
    question = argument_or_reply(msg)
    if not question:
        await msg.reply_text(t("ask_usage", ui_lang(update)))
        return
    await answer_message(update, context, question, [])


async def private_message(update: Update, context: Context) -> None:
    """Private chat: every text message is a question; recent turns make follow-ups work."""
    msg = update.effective_message
    if msg is None or update.effective_chat is None:
        return
    svc = services(context)
    history = await _reply_history(svc, msg)
    if not history:
        history = await asyncio.to_thread(
            svc.state.log.recent_turns,
            msg.chat_id,
            user_id(update),
            svc.settings.history_turns,
            svc.settings.history_minutes * 60,
        )
    await answer_message(update, context, message_text(msg), history)


async def group_message(update: Update, context: Context) -> None:
    """Groups: answer only when addressed, or every question if the group chose so."""
    msg = update.effective_message
    if msg is None or msg.is_automatic_forward:  # a channel post mirrored into its discussion group
        return
    svc = services(context)
    hit = addressed(msg, svc.bot_id, svc.bot_username)
    if hit is None:
        text = message_text(msg)
        prefs = await asyncio.to_thread(svc.state.chats.chat_settings, msg.chat_id)
        if prefs.mode == "all" and looks_like_question(text):
            await answer_message(update, context, text, [], prefs)
        return
    history = await _reply_history(svc, msg) if hit.reply_to_bot else []
    if hit.reply_to_bot and not history:
        return  # a reply to a notice or the help text, not to an answer
    if not hit.question:
        await msg.reply_text(t("ask_usage", ui_lang(update)))
        return
    await answer_message(update, context, hit.question, history)


async def _reply_history(svc: Services, msg: Message) -> list[tuple[str, str]]:
    """A reply to one of the bot's answers: that question and answer are the history."""
    reply = msg.reply_to_message
    if reply is None or reply.from_user is None or reply.from_user.id != svc.bot_id:
        return []

    def lookup() -> tuple[str, str] | None:
        answer_id = svc.state.log.answer_of_message(msg.chat_id, reply.message_id)
        return svc.state.log.turn(answer_id) if answer_id is not None else None

    turn = await asyncio.to_thread(lookup)
    return [turn] if turn else []


async def feedback(update: Update, context: Context) -> None:
    """👍/👎 under an answer: one vote per user and answer, the latest counts."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    svc = services(context)
    lang = query.from_user.language_code or "en"
    msg = query.message
    helpful = (query.data or "").endswith(":1")

    def record() -> bool:
        if msg is None:
            return False
        answer_id = svc.state.log.answer_of_message(msg.chat.id, msg.message_id)
        return answer_id is not None and svc.state.log.record_feedback(
            answer_id, query.from_user.id, helpful
        )

    if not await asyncio.to_thread(record):
        await query.answer(t("expired", lang))
        return
    svc.metrics.feedback.labels("up" if helpful else "down", "button").inc()
    await query.answer(t("thanks", lang))


# --- /sources --------------------------------------------------------------------------------------
async def sources(update: Update, context: Context) -> None:
    """/sources: the articles, a page at a time, with ◀ ▶ buttons."""
    msg = update.effective_message
    if msg is None:
        return
    text, markup = await _sources_page(update, context, 0)
    await msg.reply_text(
        text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=_NO_PREVIEW
    )


async def sources_page(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    if not _is_sources_list(query.message):
        # A forged `src:` press (a modified client) on an answer or a settings panel: the
        # message Telegram attaches is the real one, so its own buttons tell.
        await query.answer()
        return
    try:
        page = int((query.data or "src:0").split(":")[1])
    except ValueError:
        page = 0
    text, markup = await _sources_page(update, context, page)
    await query.answer()
    await query.edit_message_text(
        text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=_NO_PREVIEW
    )


def _is_sources_list(message: object) -> bool:
    markup = getattr(message, "reply_markup", None)
    rows = getattr(markup, "inline_keyboard", None) or ()
    return any(str(b.callback_data or "").startswith("src:") for row in rows for b in row)


async def _sources_page(
    update: Update, context: Context, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    svc = services(context)
    lang = ui_lang(update)
    chat = update.effective_chat
    if chat is None:
        return html.escape(t("sources_empty", lang)), None
    shelves = await asyncio.to_thread(svc.state.chats.shelves_of, chat.id)
    rows = await asyncio.to_thread(list_sources, svc.index, shelves)
    if not rows:
        return html.escape(t("sources_empty", lang)), None
    rows.sort(key=lambda r: (r["date"] or "", r["title"] or ""), reverse=True)
    pages = (len(rows) + SOURCES_PAGE - 1) // SOURCES_PAGE
    page = min(max(page, 0), pages - 1)
    chunk = rows[page * SOURCES_PAGE : (page + 1) * SOURCES_PAGE]
    owner = svc.is_owner(user_id(update))
    first, last = page * SOURCES_PAGE + 1, page * SOURCES_PAGE + len(chunk)
    heading = t("sources_page", lang, first=first, last=last, total=len(rows))
    lines = [f"<b>{html.escape(heading)}</b>"]
    for r in chunk:
        title = html.escape(r["title"] or r["article_id"])
        url = safe_url(r["url"] or "")
        name = f'<a href="{html.escape(url, quote=True)}">{title}</a>' if url else title
        meta = " · ".join(x for x in (r["date"], r["lang"]) if x)
        line = f"• {name}" + (f" · {html.escape(meta)}" if meta else "")
        if owner:
            line += f"\n  <code>{html.escape(r['article_id'])}</code>"
        lines.append(line)
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton("◀", callback_data=f"src:{page - 1}"))
    if page < pages - 1:
        buttons.append(InlineKeyboardButton("▶", callback_data=f"src:{page + 1}"))
    return "\n".join(lines), InlineKeyboardMarkup([buttons]) if buttons else None
