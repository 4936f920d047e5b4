"""Digests in Telegram: /digest [today|week|topic] in any chat the bot serves, and daily digests
that owners and group admins subscribe a chat (owners also a channel the bot administers) to:
/subscribe daily 08:00 [Europe/Vienna] [@channel], /unsubscribe [@channel]. The job queue looks
every minute; each local day is claimed in the shared database, so one process sends it."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.asking import admitted
from bot.commands.channels import administered_channel
from bot.commands.group_settings import is_chat_admin
from bot.commands.source_links import with_source_links
from bot.formatting import render_html
from bot.services import Services, services
from bot.tg import Context, argument, is_group, reply, ui_lang, user_id
from retrieval.api import digest, period

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


async def chat_language(svc: Services, chat_id: int, fallback: str) -> str:
    fixed = (await asyncio.to_thread(svc.state.chats.chat_settings, chat_id)).language
    return fixed or fallback


async def digest_command(update: Any, context: Context) -> None:
    """/digest, /digest week, /digest <topic> (the last week's stories about it)."""
    svc = services(context)
    chat = update.effective_chat
    if chat is None:
        return
    if not await admitted(update, context):  # a digest costs a model call and a long post
        return
    arg = argument(update).strip()
    lang = await chat_language(svc, chat.id, ui_lang(update))
    now = datetime.now(UTC)
    word = arg.lower()
    since = period(word if word in ("today", "week") else ("week" if arg else "today"), now)
    topic = "" if word in ("today", "week") else arg
    shelves = await asyncio.to_thread(svc.state.chats.shelves_of, chat.id)
    result = await digest(svc.index, svc.answerer.llm, since, lang, topic, now, shelves)
    for part in render_html(
        with_source_links(result.as_answer(), svc.bot_username, svc.link_secret, chat.id)
    ):
        await send_html(context.bot, chat.id, part)


async def send_html(bot: Any, chat_id: int, text: str) -> None:
    await bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )  # fmt: skip


@functools.cache
def _zones() -> dict[str, str]:
    return {z.lower(): z for z in zoneinfo.available_timezones()}


def time_zone(name: str) -> str:
    """An IANA zone name as spelled in the tz database ('europe/vienna' -> 'Europe/Vienna'), or ''.
    Looked up in the list of zones, never opened as a path: 'Europe' is a directory and a long
    name an OS error."""
    return _zones().get(name.strip().lower(), "")


async def subscribe_command(update: Any, context: Context) -> None:
    """/subscribe daily HH:MM [Area/City] [@channel]."""
    svc = services(context)
    words = argument(update).split()
    if len(words) < 2 or words[0].lower() != "daily" or not _TIME.match(words[1]):
        await reply(update, "Usage: /subscribe daily 08:00 [Europe/Vienna] [@channel]")
        return
    at = "{:02d}:{}".format(*(int(x) if i == 0 else x for i, x in enumerate(words[1].split(":"))))
    rest = words[2:]
    target = next((w for w in rest if w.startswith("@") or re.fullmatch(r"-100\d+", w)), "")
    chat_id = await _target(update, context, target)  # who may, before anything is read
    if chat_id is None:
        return
    zone = time_zone(next((w for w in rest if w != target), "UTC"))
    if not zone:
        await reply(update, "Unknown time zone: use a name like Europe/Vienna or UTC.")
        return
    lang = await chat_language(svc, chat_id, ui_lang(update))
    await asyncio.to_thread(
        svc.state.subscriptions.subscribe, chat_id, at, zone, lang, user_id(update) or 0
    )
    await reply(update, f"Daily digest at {at} ({zone}) for this chat." if not target
                else f"Daily digest at {at} ({zone}) for {target}.")  # fmt: skip


async def unsubscribe_command(update: Any, context: Context) -> None:
    svc = services(context)
    target = argument(update).strip()
    chat_id = await _target(update, context, target)
    if chat_id is None:
        return
    gone = await asyncio.to_thread(svc.state.subscriptions.unsubscribe, chat_id)
    await reply(update, "No more daily digests." if gone else "There was no daily digest.")


async def _target(update: Any, context: Context, target: str) -> int | None:
    """The chat to (un)subscribe, if this user may: their group as its admin, a private chat
    or a channel (where the bot is an admin, and that is not a source) as an owner."""
    svc = services(context)
    chat, uid = update.effective_chat, user_id(update)
    if chat is None or uid is None:
        return None
    if target:
        if not svc.is_owner(uid):
            await reply(update, "Only the bot's owners can subscribe a channel.")
            return None
        return await _channel(update, context, target)
    if is_group(chat):
        if not (svc.is_owner(uid) or await is_chat_admin(update, context, uid)):
            await reply(update, "Only this group's admins can do that here.")
            return None
        return int(chat.id)
    if not svc.is_owner(uid):
        await reply(update, "Only the bot's owners can subscribe a chat.")
        return None
    return int(chat.id)


async def _channel(update: Any, context: Context, target: str) -> int | None:
    svc = services(context)
    chat = await administered_channel(update, context, target)
    if chat is None:
        return None
    if await asyncio.to_thread(svc.state.chats.channel, chat.id) is not None:
        await reply(update, f"{target} is a source channel: I read it, I never post there.")
        return None
    return int(chat.id)


async def send_due(application: Any, now: datetime | None = None) -> int:
    """Send every digest whose local time has come today; the number sent."""
    svc: Services = application.bot_data["services"]
    now = now or datetime.now(UTC)
    subs = await asyncio.to_thread(svc.state.subscriptions.all)
    sent = 0
    for sub in subs:
        day = sub.due_period(now)
        if not day:
            continue
        if await asyncio.to_thread(svc.state.chats.channel, sub.chat_id) is not None:
            continue  # became a source channel since: never post there
        prev = await asyncio.to_thread(svc.state.subscriptions.claim, sub.chat_id, day)
        if prev is None:
            continue  # another process has it
        try:
            sent += await _send_one(application, svc, sub.chat_id, sub.lang, prev, now)
        except Exception:  # the day is not lost: released, tried again at the next check
            log.exception("digest for %s failed; it is tried again", sub.chat_id)
            await asyncio.to_thread(svc.state.subscriptions.release, sub.chat_id, prev)
    return sent


async def _send_one(
    application: Any, svc: Services, chat_id: int, lang: str, prev: float, now: datetime
) -> int:
    since = datetime.fromtimestamp(prev, UTC) if prev else now - timedelta(hours=24)
    shelves = await asyncio.to_thread(svc.state.chats.shelves_of, chat_id)  # the chat's own
    result = await digest(svc.index, svc.answerer.llm, since, lang, "", now, shelves)
    if not result.stories:
        log.info("digest for %s skipped: nothing new since %s", chat_id, since)
        return 0
    try:
        for part in render_html(
            with_source_links(result.as_answer(), svc.bot_username, svc.link_secret, chat_id)
        ):
            await send_html(application.bot, chat_id, part)
    except TelegramError as exc:
        log.warning("digest for %s not sent: %s", chat_id, exc)
        return 0
    return 1


async def digest_job(context: Context) -> None:
    await send_due(context.application)


def schedule(application: Any) -> None:
    if application.job_queue is None:
        log.warning("daily digests are off: python-telegram-bot[job-queue] is not installed")
        return
    application.job_queue.run_repeating(
        digest_job, interval=CHECK_SECONDS, first=10.0, name="digests"
    )
