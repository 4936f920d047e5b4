"""Handlers for everyone: questions in private chats and groups, /start, /help, /ask, /sources,
feedback buttons; the access gate and the one error handler. Each is small and delegates."""

from __future__ import annotations

import asyncio
import html
import logging
import time
import traceback
from typing import Any

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.ext import ApplicationHandlerStop, ContextTypes

from retrieval.errors import IndexBusyError, StoreUnavailableError
from retrieval.models import Answer

from .delivery import Delivery
from .formatting import safe_url
from .i18n import t
from .limits import Verdict
from .redact import redact
from .rules import addressed, command_argument, looks_like_question, message_text
from .services import Services, services
from .state import ChatSettings, LoggedAnswer

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
SOURCES_PAGE = 8
MAX_QUESTION_CHARS = 2000  # longer messages are cut: a question, not a document


def ui_lang(update: Update) -> str:
    user = update.effective_user
    return (user.language_code or "en") if user else "en"


def is_group(chat: Chat) -> bool:
    return chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


# --- access ------------------------------------------------------------------------------------
async def gate(update: Update, context: Context) -> None:
    """Runs before every other handler: denied users and chats (and, in allowlist mode, anyone
    not allowed) are ignored silently. Owners are always served; channel posts are checked
    against the registered channels by their own handler."""
    svc = services(context)
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type == ChatType.CHANNEL or svc.is_owner(user.id if user else None):
        return
    if not await asyncio.to_thread(svc.state.is_served, chat.id, user.id if user else None):
        raise ApplicationHandlerStop


# --- everyone ------------------------------------------------------------------------------------
async def start(update: Update, context: Context) -> None:
    """/start: what the bot does, in the user's language."""
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
    if svc.is_owner(update.effective_user.id if update.effective_user else None):
        parts.append(t("owner_help", lang))
    await msg.reply_text("\n\n".join(parts), do_quote=False)


async def ask_command(update: Update, context: Context) -> None:
    """/ask question (also /ask@botname in groups)."""
    msg = update.effective_message
    if msg is None:
        return
    question = command_argument(message_text(msg))
    history: list[tuple[str, str]] = []
    if not question and msg.reply_to_message is not None:
        question = message_text(msg.reply_to_message)  # "/ask" in reply to someone's question
    if not question:
        await msg.reply_text(t("ask_usage", ui_lang(update)))
        return
    await answer_message(update, context, question, history)


async def private_message(update: Update, context: Context) -> None:
    """Private chat: every text message is a question; recent turns make follow-ups work."""
    msg = update.effective_message
    if msg is None or update.effective_chat is None:
        return
    svc = services(context)
    history = await _reply_history(svc, msg)
    if not history:
        user_id = update.effective_user.id if update.effective_user else None
        history = await asyncio.to_thread(
            svc.state.recent_turns,
            msg.chat_id,
            user_id,
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
        prefs = await asyncio.to_thread(svc.state.chat_settings, msg.chat_id)
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
        answer_id = svc.state.answer_of_message(msg.chat_id, reply.message_id)
        return svc.state.turn(answer_id) if answer_id is not None else None

    turn = await asyncio.to_thread(lookup)
    return [turn] if turn else []


# --- answering -----------------------------------------------------------------------------------
async def answer_message(
    update: Update,
    context: Context,
    question: str,
    history: list[tuple[str, str]],
    prefs: ChatSettings | None = None,
) -> None:
    """Rate limits, then the core's answer delivered to the chat, then the log."""
    msg = update.effective_message
    chat = update.effective_chat
    if msg is None or chat is None:
        return
    started = time.perf_counter()
    svc = services(context)
    user = update.effective_user
    lang = ui_lang(update)
    verdict = await asyncio.to_thread(svc.limiter.check, user.id if user else None, chat.id)
    if verdict is Verdict.NOTIFY:
        await msg.reply_text(t("rate_limited", lang))
    if verdict is not Verdict.OK:
        svc.metrics.rate_limited.inc()
        return
    svc.metrics.questions.labels(chat.type).inc()
    question = question.strip()[:MAX_QUESTION_CHARS]
    group = is_group(chat)
    if group and prefs is None:
        prefs = await asyncio.to_thread(svc.state.chat_settings, chat.id)
    delivery = Delivery(
        context.bot,
        chat.id,
        reply_to=msg.message_id if group else None,
        thread_id=msg.message_thread_id if msg.is_topic_message else None,
        interval=svc.settings.group_edit_interval if group else svc.settings.edit_interval,
        started=started,
    )
    # Under load every Bot API request counts (Telegram allows ~30/s): no typing, no streaming.
    lean = svc.in_flight >= svc.settings.stream_below
    svc.in_flight += 1
    try:
        async with svc.answers:
            await _answer_and_deliver(
                update, svc, delivery, question, history, lang, prefs, lean, started
            )
    finally:
        svc.in_flight -= 1


async def _answer_and_deliver(
    update: Update,
    svc: Services,
    delivery: Delivery,
    question: str,
    history: list[tuple[str, str]],
    lang: str,
    prefs: Any,
    lean: bool,
    started: float,
) -> None:
    """The core's answer, streamed unless `lean`, then delivered and logged."""
    if not lean:
        delivery.start_typing()
    try:
        answer = await svc.answerer.answer(
            question,
            history=history,
            language_hint=lang,
            on_delta=delivery.on_delta if svc.answerer.llm is not None and not lean else None,
            length=prefs.length if prefs else "normal",
            language=prefs.language if prefs else "",
        )
    except (StoreUnavailableError, IndexBusyError) as exc:
        log.warning("answer failed, index unavailable: %s", exc)
        svc.metrics.errors.labels("store").inc()
        await delivery.say(t("busy", lang))
        return
    finally:
        await delivery.close()
    ids = await delivery.finish(answer, feedback_markup(lang) if answer.found else None)
    await _log(svc, update, answer, delivery, ids, started)


async def _log(
    svc: Services,
    update: Update,
    answer: Answer,
    delivery: Delivery,
    ids: list[int],
    started: float,
) -> None:
    chat = update.effective_chat
    assert chat is not None
    user = update.effective_user
    latency = time.perf_counter() - started
    m = svc.metrics
    m.answers.labels(answer.mode, answer.language, str(answer.found).lower()).inc()
    m.answer_seconds.observe(latency)
    if delivery.first_visible_ms is not None:
        m.first_reply_seconds.observe(delivery.first_visible_ms / 1000)
    await asyncio.to_thread(
        svc.state.log_answer,
        LoggedAnswer(
            chat_id=chat.id,
            chat_type=chat.type,
            user_id=user.id if user else None,
            language=answer.language,
            mode=answer.mode,
            found=answer.found,
            latency_ms=latency * 1000,
            first_reply_ms=delivery.first_visible_ms,
            sources=sorted({c.article_id for c in answer.citations}),
            question=answer.question,
            answer=answer.text,
            update_id=update.update_id,
        ),
        ids,
        history_question=answer.standalone_question or answer.question,
    )


def feedback_markup(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("helpful", lang), callback_data="fb:1"),
                InlineKeyboardButton(t("not_helpful", lang), callback_data="fb:0"),
            ]
        ]
    )


async def feedback(update: Update, context: Context) -> None:
    """👍/👎 under an answer: one vote per user and answer, the latest counts."""
    query = update.callback_query
    if query is None or query.from_user is None:
        return
    svc = services(context)
    lang = query.from_user.language_code or "en"
    msg = query.message
    answer_id = (
        svc.state.answer_of_message(msg.chat.id, msg.message_id) if msg is not None else None
    )
    if answer_id is None or not svc.state.record_feedback(
        answer_id, query.from_user.id, (query.data or "").endswith(":1")
    ):
        await query.answer(t("expired", lang))
        return
    await query.answer(t("thanks", lang))


# --- /sources --------------------------------------------------------------------------------------
async def sources(update: Update, context: Context) -> None:
    """/sources: the articles, a page at a time, with ◀ ▶ buttons."""
    msg = update.effective_message
    if msg is None:
        return
    text, markup = await _sources_page(update, context, 0)
    await msg.reply_text(
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def sources_page(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        page = int((query.data or "src:0").split(":")[1])
    except ValueError:
        page = 0
    text, markup = await _sources_page(update, context, page)
    await query.answer()
    await query.edit_message_text(
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def _sources_page(
    update: Update, context: Context, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    svc = services(context)
    lang = ui_lang(update)
    rows = await asyncio.to_thread(svc.index.sources)
    if not rows:
        return html.escape(t("sources_empty", lang)), None
    rows.sort(key=lambda r: (r["date"] or "", r["title"] or ""), reverse=True)
    pages = (len(rows) + SOURCES_PAGE - 1) // SOURCES_PAGE
    page = min(max(page, 0), pages - 1)
    chunk = rows[page * SOURCES_PAGE : (page + 1) * SOURCES_PAGE]
    owner = svc.is_owner(update.effective_user.id if update.effective_user else None)
    lines = [
        "<b>"
        + html.escape(
            t(
                "sources_page",
                lang,
                first=page * SOURCES_PAGE + 1,
                last=page * SOURCES_PAGE + len(chunk),
                total=len(rows),
            )
        )
        + "</b>"
    ]
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


# --- errors --------------------------------------------------------------------------------------
async def on_error(update: object, context: Context) -> None:
    """The one error handler: traceback to the log, a short apology to the user, a notice to the
    owners (at most one per few minutes). Nothing here may raise."""
    svc: Services | None = context.bot_data.get("services")
    token = svc.settings.telegram_bot_token if svc else ""
    err = context.error
    tb = "".join(traceback.format_exception(type(err), err, err.__traceback__)) if err else ""
    log.error("error while handling an update: %s", redact(tb, token))
    if svc is not None:
        svc.metrics.errors.labels(type(err).__name__ if err else "unknown").inc()
    if isinstance(update, Update):
        msg = update.effective_message
        chat = update.effective_chat
        if msg is not None and chat is not None and chat.type != ChatType.CHANNEL:
            key = "busy" if isinstance(err, StoreUnavailableError | IndexBusyError) else "error"
            try:
                await msg.reply_text(t(key, ui_lang(update)))
            except Exception as exc:  # the error may be Telegram itself being unreachable
                log.warning("could not apologise: %s", redact(str(exc), token))
    if svc is not None and svc.owners and svc.owner_notice_due():
        notice = redact(f"Footnote error: {type(err).__name__}: {err}"[:500], token)
        for owner in svc.owners:
            try:
                await context.bot.send_message(owner, notice + "\n(details in the log)")
            except Exception as exc:
                log.warning("could not notify owner %s: %s", owner, redact(str(exc), token))


def chat_title(chat: Any) -> str:
    return getattr(chat, "title", None) or getattr(chat, "username", None) or str(chat.id)
