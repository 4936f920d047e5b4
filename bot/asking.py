"""The asking pipeline: a question that passed the handlers' rules is rate-limited, answered by
the core, delivered to the chat (streamed where that helps) and logged."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.commands.reactions import SEEN, mark
from bot.commands.source_links import with_source_links
from bot.delivery import Delivery
from bot.i18n import t
from bot.limits import Verdict
from bot.services import Services, services
from bot.store.answer_log import LoggedAnswer
from bot.store.chats import ChatSettings
from bot.tg import Context, is_group, ui_lang, user_id
from retrieval.api import Answer, IndexBusyError, StoreUnavailableError

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000  # longer messages are cut: a question, not a document


async def answer_message(
    update: Update,
    context: Context,
    question: str,
    history: list[tuple[str, str]],
    prefs: ChatSettings | None = None,
    admitted_already: bool = False,
) -> None:
    """Rate limits (unless the caller passed them: a voice question, before transcribing),
    then the core's answer delivered to the chat, then the log."""
    msg = update.effective_message
    chat = update.effective_chat
    if msg is None or chat is None:
        return
    started = time.perf_counter()
    svc = services(context)
    lang = ui_lang(update)
    if not admitted_already and not await admitted(update, context):
        return
    svc.metrics.questions.labels(chat.type).inc()
    question = question.strip()[:MAX_QUESTION_CHARS]
    group = is_group(chat)
    if group and prefs is None:
        prefs = await asyncio.to_thread(svc.state.chats.chat_settings, chat.id)
    delivery = Delivery(
        context.bot,
        chat.id,
        reply_to=msg.message_id if group else None,
        thread_id=msg.message_thread_id if msg.is_topic_message else None,
        interval=svc.settings.group_edit_interval if group else svc.settings.edit_interval,
        started=started,
        drafts=svc.settings.drafts and chat.type == "private" and chat.id not in svc.no_drafts,
        on_drafts_refused=lambda: svc.no_drafts.add(chat.id),
    )
    key = (chat.id, user_id(update) or 0)
    # This asker's previous question is still being answered: 👀 on this one until its turn.
    # Not under load, where the two reactions would cost more Bot API requests than the answer.
    waiting = svc.queue.busy(key) and svc.in_flight < svc.settings.stream_below
    if waiting:
        await mark(context.bot, chat.id, msg.message_id, SEEN)
    async with svc.queue.turn(key):
        # Under load every Bot API request counts (Telegram allows ~30/s): no typing or streaming.
        lean = svc.in_flight >= svc.settings.stream_below
        svc.in_flight += 1
        try:
            async with svc.answers:
                await _answer_and_deliver(
                    update, svc, delivery, question, history, lang, prefs, lean, started
                )
        finally:
            svc.in_flight -= 1
    if waiting:
        await mark(context.bot, chat.id, msg.message_id, None)


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
    chat = update.effective_chat
    assert chat is not None
    try:
        # The chat's shelves, read at each question: a change applies at the next one.
        shelves = await asyncio.to_thread(svc.state.chats.shelves_of, chat.id)
        answer = await svc.answerer.answer(
            question,
            history=history,
            language_hint=lang,
            on_delta=delivery.on_delta if svc.answerer.llm is not None and not lean else None,
            length=prefs.length if prefs else "normal",
            language=prefs.language if prefs else "",
            shelves=shelves,
        )
    except (StoreUnavailableError, IndexBusyError) as exc:
        log.warning("answer failed, index unavailable: %s", exc)
        svc.metrics.errors.labels("store").inc()
        await delivery.say(t("busy", lang))
        return
    finally:
        await delivery.close()
    answer = with_source_links(answer, svc.bot_username, svc.link_secret, chat.id)
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
    latency = time.perf_counter() - started
    m = svc.metrics
    m.answers.labels(answer.mode, answer.language, str(answer.found).lower()).inc()
    m.answer_seconds.observe(latency)
    if delivery.first_visible_ms is not None:
        m.first_reply_seconds.observe(delivery.first_visible_ms / 1000)
    await asyncio.to_thread(
        svc.state.log.log_answer,
        LoggedAnswer(
            chat_id=chat.id,
            chat_type=chat.type,
            user_id=user_id(update),
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


async def admitted(update: Update, context: Context) -> bool:
    """Every command that costs (a question, /digest, ...) passes the user's and the chat's rate
    limits first; over them, the user is told once per burst and nothing runs."""
    msg, chat = update.effective_message, update.effective_chat
    if chat is None:
        return False
    svc = services(context)
    verdict = await asyncio.to_thread(svc.limiter.check, user_id(update), chat.id)
    if verdict is Verdict.NOTIFY and msg is not None:
        await msg.reply_text(t("rate_limited", ui_lang(update)))
    if verdict is not Verdict.OK:
        svc.metrics.rate_limited.inc()
    return verdict is Verdict.OK
