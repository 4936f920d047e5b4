"""Inline mode: `@bot question` typed in any chat. The answer comes as result cards within
Telegram's inline budget: first the cited answer (offline quotes: no model call, so it is fast),
then each cited article. With a model, choosing the answer card posts it at once with the quotes
and a line saying a fuller answer is coming; the card carries a button, so Telegram reports the
choice with an `inline_message_id` (inline feedback must be on at @BotFather, /setinlinefeedback)
and the model's answer replaces the message by that id.

An inline query has no chat: the asker's own private chat decides what may be searched (its
shelves), and the access and deny lists and the rate limits apply as they do there."""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.commands.source_links import with_source_links
from bot.formatting import render_html, safe_url
from bot.i18n import t
from bot.limits import Verdict
from bot.services import Services, services
from bot.tg import Context, ui_lang
from retrieval.api import (
    Answer,
    Answerer,
    FootnoteError,
    describe_date,
    group_citations,
)

log = logging.getLogger(__name__)

CACHE_SECONDS = 30  # Telegram may show the same results again for this long (per user)
MAX_QUERY = 256  # Telegram's own limit on an inline query
MAX_ARTICLES = 5
ANSWER = "ans"  # result id prefix of the answer card
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def too_short(query: str) -> bool:
    """One or two letters say nothing yet; two characters of Chinese may ("小米")."""
    return len(query) < 2 or (len(query) < 3 and query.isascii())


async def inline_query(update: Update, context: Context) -> None:
    query = update.inline_query
    if query is None:
        return
    svc = services(context)
    lang = ui_lang(update)
    uid = query.from_user.id
    text = " ".join(query.query.split())[:MAX_QUERY]
    if not await asyncio.to_thread(svc.state.chats.is_served, uid, uid):
        await _answer(query, [])  # as silent as a denied message
        return
    if too_short(text):
        await _answer(query, [], hint=t("inline_hint", lang))
        return
    if await asyncio.to_thread(svc.limiter.check_inline, uid) is not Verdict.OK:
        svc.metrics.rate_limited.inc()
        await _answer(query, [], hint=t("rate_limited", lang))
        return
    try:
        shelves = await asyncio.to_thread(svc.state.chats.shelves_of, uid)
        answer = await offline(svc).answer(text, language_hint=lang, shelves=shelves)
    except FootnoteError as exc:
        log.warning("inline answer failed: %s", exc)
        await _answer(query, [], hint=t("busy", lang))
        return
    answer = with_source_links(answer, svc.bot_username, svc.link_secret, uid)
    await _answer(query, cards(answer, text, svc, lang))


async def _answer(query: Any, results: list[Any], hint: str = "") -> None:
    button = InlineQueryResultsButton(hint[:64], start_parameter="inline") if hint else None
    try:
        await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True, button=button)
    except TelegramError as exc:  # the user typed on, or the query expired: nothing to do
        log.info("inline answer not taken: %s", exc)


def offline(svc: Services) -> Answerer:
    """The answerer without a model: inline results must come within a second or two."""
    if svc.quick_answerer is None:
        svc.quick_answerer = Answerer(svc.index, None, gate=svc.answerer.gate,
                                      top_k=svc.answerer.top_k)  # fmt: skip
    return svc.quick_answerer


def cards(answer: Answer, query: str, svc: Services, lang: str) -> list[Any]:
    """The answer card, then one card per cited article."""
    with_model = svc.answerer.llm is not None
    key = hashlib.sha256(query.encode()).hexdigest()[:24]
    title_key = {"answered": "inline_answer", "uncertain": "inline_uncertain"}.get(
        answer.coverage, "inline_not_covered"
    )
    body = render_html(answer)[0]
    asked = f"❓ <b>{html.escape(query)}</b>\n\n"
    waiting = f"\n\n<i>{html.escape(t('inline_writing', lang))}</i>" if with_model else ""
    message = asked + body + waiting
    if len(message) > 4000:  # the quotes alone, then: the model's answer replaces them anyway
        message = asked + html.escape(answer.text[:3000]) + waiting
    out: list[Any] = [
        InlineQueryResultArticle(
            id=f"{ANSWER}:{key}",
            title=t(title_key, lang),
            description=_plain(answer.text)[:200],
            input_message_content=InputTextMessageContent(
                message, parse_mode=ParseMode.HTML, link_preview_options=_NO_PREVIEW
            ),
            # The button is what makes Telegram say where the card went (inline_message_id).
            reply_markup=_open_bot(svc, lang) if with_model else None,
        )
    ]
    for numbers, c in group_citations(answer.citations)[:MAX_ARTICLES]:
        url = safe_url(c.url or "")
        when = describe_date(c.date, answer.language)
        where = " · ".join(x for x in (when, _host(url)) if x)
        link = f'<a href="{html.escape(url, quote=True)}">{html.escape(c.title or url)}</a>'
        head = link if url else f"<b>{html.escape(c.title or c.article_id)}</b>"
        out.append(
            InlineQueryResultArticle(
                id=f"art:{c.article_id}"[:64],
                title=f"[{numbers[0]}] {c.title or c.article_id}"[:200],
                description=(where + " · " if where else "") + c.quote[:150],
                url=url or None,
                input_message_content=InputTextMessageContent(
                    f"{head}\n{html.escape(where)}\n\n<blockquote>{html.escape(c.quote[:900])}"
                    "</blockquote>",
                    parse_mode=ParseMode.HTML,
                    link_preview_options=_NO_PREVIEW,
                ),
            )
        )
    return out


def _open_bot(svc: Services, lang: str) -> InlineKeyboardMarkup | None:
    if not svc.bot_username:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t("inline_open", lang), url=f"https://t.me/{svc.bot_username}")]]
    )


def _plain(text: str) -> str:
    return " ".join(text.split())


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or "" if url else ""


async def chosen_result(update: Update, context: Context) -> None:
    """The answer card was posted: the model's answer replaces it (by inline_message_id)."""
    chosen = update.chosen_inline_result
    svc = services(context)
    if (
        chosen is None
        or not chosen.inline_message_id
        or not chosen.result_id.startswith(f"{ANSWER}:")
        or svc.answerer.llm is None
    ):
        return
    uid, lang = chosen.from_user.id, ui_lang(update)
    question = " ".join(chosen.query.split())[:MAX_QUERY]
    if not await asyncio.to_thread(svc.state.chats.is_served, uid, uid):
        return
    if await asyncio.to_thread(svc.limiter.check, uid, uid) is not Verdict.OK:
        return  # the quotes stay: the user was over the limit of questions
    try:
        shelves = await asyncio.to_thread(svc.state.chats.shelves_of, uid)
        answer = await svc.answerer.answer(question, language_hint=lang, shelves=shelves)
    except FootnoteError as exc:
        log.warning("inline model answer failed: %s", exc)
        return
    answer = with_source_links(answer, svc.bot_username, svc.link_secret, uid)
    text = f"❓ <b>{html.escape(question)}</b>\n\n{render_html(answer, 3900)[0]}"
    try:
        await context.bot.edit_message_text(
            text, inline_message_id=chosen.inline_message_id, parse_mode=ParseMode.HTML,
            link_preview_options=_NO_PREVIEW,
        )  # fmt: skip
    except TelegramError as exc:
        log.warning("inline answer not replaced: %s", exc)
