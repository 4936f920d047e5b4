"""Follow a story: /follow words, /following, /unfollow N (in groups: its admins). Every minute
the articles written since the last round (feeds, channels, uploads, any host) are compared
with the stories their chats follow (retrieval/search/follow.py); a match is told once: headline,
date, link and its opening sentence (with a model, one cited sentence of what is new). Each
(chat, article) is claimed in the shared database, so one process tells it; near-duplicate
copies are merged into one article at ingest, so they are told once; past the day's cap
(FOOTNOTE_FOLLOW_DAILY) the rest of the day's matches become one "and N more" note."""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from cachetools import TTLCache
from telegram import LinkPreviewOptions, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError

from bot.commands.group_settings import is_chat_admin
from bot.formatting import safe_url
from bot.i18n import t
from bot.services import Services, services
from bot.store.follows import Follow
from bot.tg import Context, argument, reply, ui_lang, user_id
from retrieval.api import describe_date, follow_score, follow_story, follow_written, whats_new

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0
OVERLAP_S = 300.0  # a round also looks this far behind its cursor: a slow commit is not missed
PAGE = 500  # articles read per round after the cursor
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# a story's vector and baseline, per process; measured again hourly as the archive grows
_stories: TTLCache[tuple[str, str], Any] = TTLCache(4096, ttl=3600)


async def follow_command(update: Update, context: Context) -> None:
    """/follow words: tell this chat about new articles of that story."""
    svc, chat = services(context), update.effective_chat
    if chat is None:
        return
    lang = ui_lang(update)
    words = " ".join(argument(update).split())
    if not await _may_change(update, context):
        await reply(update, t("not_admin", lang))
        return
    if len(words) < 3:
        await reply(update, t("follow_usage", lang))
        return
    added = await asyncio.to_thread(
        svc.state.follows.add, chat.id, words, lang, user_id(update) or 0
    )  # lang: the alerts' language
    key = "follow_added" if added is not None else "follow_too_many"
    await reply(update, t(key, lang, words=words))


async def following_command(update: Update, context: Context) -> None:
    svc, chat = services(context), update.effective_chat
    if chat is None:
        return
    mine = await asyncio.to_thread(svc.state.follows.of_chat, chat.id)
    lang = ui_lang(update)
    if not mine:
        await reply(update, t("follow_none", lang))
        return
    lines = [f"{n}. {f.words}" for n, f in enumerate(mine, 1)]
    await reply(update, t("following", lang) + "\n" + "\n".join(lines))


async def unfollow_command(update: Update, context: Context) -> None:
    svc, chat = services(context), update.effective_chat
    if chat is None:
        return
    lang = ui_lang(update)
    if not await _may_change(update, context):
        await reply(update, t("not_admin", lang))
        return
    arg = argument(update).strip()
    gone = (
        await asyncio.to_thread(svc.state.follows.remove, chat.id, int(arg))
        if arg.isdigit()
        else None
    )
    await reply(
        update, t("unfollowed", lang, words=gone.words) if gone else t("follow_usage", lang)
    )


async def _may_change(update: Update, context: Context) -> bool:
    chat, uid = update.effective_chat, user_id(update)
    if chat is None or uid is None:
        return False
    if chat.type == ChatType.PRIVATE or services(context).is_owner(uid):
        return True
    try:
        return await is_chat_admin(update, context, uid)
    except TelegramError:
        return False


# --- the round --------------------------------------------------------------------------------
async def follow_job(context: Context) -> None:
    await tell_new(context.application)


async def tell_new(application: Any, now: float | None = None) -> int:
    """One round: the articles written since the cursor, against every followed story; the
    alerts sent."""
    svc: Services = application.bot_data["services"]
    follows = svc.state.follows
    stories = await asyncio.to_thread(follows.all)
    cursor = await asyncio.to_thread(follows.cursor)
    now = now or time.time()
    if not cursor:  # the first round: from now on (the archive is not news)
        await asyncio.to_thread(follows.move_cursor, now)
        return 0
    if not stories:
        await asyncio.to_thread(follows.move_cursor, now)
        return 0
    fresh = await asyncio.to_thread(_written_since, svc, cursor)
    matches = await asyncio.to_thread(_matches, svc, stories, fresh)
    sent = 0
    day = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0).timestamp()
    folded: dict[int, int] = defaultdict(int)
    for follow, row in matches:
        verdict = await asyncio.to_thread(
            follows.claim, follow.chat_id, row["article_id"], follow.id,
            svc.settings.follow_daily, day,
        )  # fmt: skip
        if verdict == "fold":
            folded[follow.chat_id] += 1
        elif verdict == "send":
            if await _tell(application.bot, svc, follow, row):
                sent += 1
            else:
                await asyncio.to_thread(follows.release, follow.chat_id, row["article_id"])
    for chat_id, more in folded.items():
        await _fold_note(application.bot, svc, chat_id, more, day)
    if fresh:
        await asyncio.to_thread(follows.move_cursor, max(float(r["updated_at"]) for r in fresh))
    return sent


def _written_since(svc: Services, cursor: float) -> list[Any]:
    """The articles after the cursor (a page: the cursor moves past them), and those a slow
    commit put just before it (seen again; their claims keep them from being told twice). Read
    apart, so that a burst of more than a page behind the cursor never holds it back."""
    catalog = svc.index.catalog
    after = catalog.ready_since(cursor, PAGE)
    late = [
        r for r in catalog.ready_since(cursor - OVERLAP_S, PAGE) if float(r["updated_at"]) <= cursor
    ]
    return late + after


def _matches(svc: Services, stories: list[Follow], fresh: list[Any]) -> list[tuple[Follow, Any]]:
    """(follow, article row) for every article that is news of a story its chat follows and
    may see (the chat's shelves)."""
    threshold = svc.index.settings.follow_threshold
    chats = svc.state.chats
    served = {c for c in {f.chat_id for f in stories} if chats.is_served(c, None)}
    stories = [f for f in stories if f.chat_id in served]  # a chat denied since: told nothing
    shelves = {chat: set(chats.shelves_of(chat)) for chat in served}
    out = []
    for row in fresh:
        readers = [f for f in stories if row["shelf"] in shelves[f.chat_id]]
        if not readers:
            continue
        w = follow_written(svc.index, row["article_id"], row["shelf"], row["chunks"], row["lang"])
        if w is None:
            continue
        best: dict[int, tuple[float, Follow]] = {}
        for f in readers:
            key = (f.words, "")
            if key not in _stories:  # the story's own language is detected from its words
                _stories[key] = follow_story(svc.index, f.words)
            s = follow_score(_stories[key], w)
            if s >= threshold and (f.chat_id not in best or s > best[f.chat_id][0]):
                best[f.chat_id] = (s, f)
        out += [(f, row) for _, f in best.values()]
    return out


async def _tell(bot: Any, svc: Services, follow: Follow, row: Any) -> bool:
    lang = (await asyncio.to_thread(svc.state.chats.chat_settings, follow.chat_id)).language
    lang = lang or follow.lang or "en"
    article = await asyncio.to_thread(svc.index.catalog.article, row["article_id"])
    if article is None:
        return False
    url = safe_url(article["url"] or "")
    title = html.escape(article["title"] or article["article_id"])
    head = f'<a href="{html.escape(url, quote=True)}">{title}</a>' if url else f"<b>{title}</b>"
    when = describe_date(article["date"], lang)
    lead = ""
    if svc.answerer.llm is not None:  # one cited sentence of what is new, in the chat's language
        lead = await whats_new(svc.answerer.llm, follow.words, article["title"], article["text"],
                               lang)  # fmt: skip
    if not lead:
        lead = " ".join(article["text"].split())[:300]
        lead = lead.split(". ")[0] + ("." if ". " in lead else "")
    text = (f"🔔 {html.escape(t('follow_alert', lang, words=follow.words))}\n{head}"
            + (f" · {html.escape(when)}" if when else "")
            + f"\n<blockquote>{html.escape(lead)}</blockquote>")  # fmt: skip
    try:
        await bot.send_message(follow.chat_id, text, parse_mode=ParseMode.HTML,
                               link_preview_options=_NO_PREVIEW)  # fmt: skip
    except TelegramError as exc:
        log.warning("follow alert for %s not sent: %s", follow.chat_id, exc)
        return False
    return True


async def _fold_note(bot: Any, svc: Services, chat_id: int, more: int, day: float) -> None:
    """Once the day's cap is passed: one note, the first time; later ones only grow its count."""
    total = await asyncio.to_thread(svc.state.follows.folded_since, chat_id, day)
    if total != more:  # the note was sent by an earlier round today
        return
    lang = (await asyncio.to_thread(svc.state.chats.chat_settings, chat_id)).language or "en"
    try:
        await bot.send_message(chat_id, t("follow_more", lang, n=more))
    except TelegramError as exc:
        log.info("follow note for %s not sent: %s", chat_id, exc)


def schedule(application: Any) -> None:
    if application.job_queue is None:
        log.warning("followed stories are off: python-telegram-bot[job-queue] is not installed")
        return
    application.job_queue.run_repeating(follow_job, interval=CHECK_SECONDS, first=15.0,
                                        name="follows")  # fmt: skip
