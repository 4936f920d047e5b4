"""Check a post against the archive: a message forwarded to the bot in a private chat (its text
or a photo's caption), /check in reply to a message in a group, or /check URL or /check text.
The claims and what the articles say of each come back with dated citations
(retrieval/answer/check.py); a URL is fetched through the guarded fetcher and never stored."""

from __future__ import annotations

import asyncio
import logging

from telegram import LinkPreviewOptions, Message, Update
from telegram.constants import ChatAction, ParseMode

from bot.asking import admitted
from bot.commands.source_links import with_source_links
from bot.formatting import render_html
from bot.i18n import t
from bot.rules import argument_or_reply, message_text
from bot.services import services
from bot.tg import Context, is_group, ui_lang
from retrieval.api import FootnoteError, check_post, post_of

log = logging.getLogger(__name__)


async def check_command(update: Update, context: Context) -> None:
    """/check URL-or-text, or /check in reply to the message to check."""
    msg = update.effective_message
    if msg is None:
        return
    post = argument_or_reply(msg)
    if not post:
        await msg.reply_text(t("check_usage", ui_lang(update)))
        return
    await check(update, context, post)


async def forwarded(update: Update, context: Context) -> None:
    """A post forwarded into the private chat is a post to check, not a question."""
    msg = update.effective_message
    if msg is None:
        return
    post = message_text(msg)
    if post.strip():
        await check(update, context, post)


async def check(update: Update, context: Context, post_or_url: str) -> None:
    msg, chat = update.effective_message, update.effective_chat
    if msg is None or chat is None or not await admitted(update, context):
        return
    svc = services(context)
    lang = ui_lang(update)
    await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    try:
        shelves = await asyncio.to_thread(svc.state.chats.shelves_of, chat.id)
        post = await asyncio.to_thread(post_of, svc.index, post_or_url)
        result = await check_post(svc.index, svc.answerer.llm, post, shelves)
    except FootnoteError as exc:
        log.info("check refused: %s", exc)
        await msg.reply_text(t("check_failed", lang, reason=str(exc)[:300]))
        return
    answer = with_source_links(result.as_answer(lang), svc.bot_username, svc.link_secret, chat.id)
    for part in render_html(answer):
        await _send(msg, part, is_group(chat))


async def _send(msg: Message, html_text: str, quote: bool) -> None:
    await msg.reply_text(
        html_text, parse_mode=ParseMode.HTML, do_quote=quote,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )  # fmt: skip
