"""Feeds in the bot: owners' /feed add|remove and /feeds, and the background poll that keeps the
corpus current (python-telegram-bot's job queue; the poll itself runs on the ingest thread, so
answers never wait for it, and the core's lock keeps it to one round across processes)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from telegram.error import TelegramError

from bot.commands.owner import in_ingest_thread
from bot.i18n import t
from bot.services import Services, services
from bot.tg import Context, argument, owner_only, reply, ui_lang
from retrieval.api import PUBLIC_SHELF, FootnoteError, IndexBusyError
from retrieval.api import describe_feed as describe

log = logging.getLogger(__name__)

POLL_CHECK_SECONDS = 60.0  # how often the bot looks for due feeds


@owner_only
async def feed_command(update: Any, context: Context) -> None:
    """/feed add URL [MINUTES] [ignore-robots] [shelf=NAME] · /feed remove ID."""
    svc = services(context)
    lang = ui_lang(update)
    words = argument(update).split()
    ignore_robots = "ignore-robots" in words[2:]
    if ignore_robots:
        words = [w for w in words if w != "ignore-robots"]
    shelves = [w.split("=", 1)[1] for w in words[2:] if w.lower().startswith("shelf=")]
    words = [w for w in words if not w.lower().startswith("shelf=")]
    shelf = shelves[-1] if shelves else PUBLIC_SHELF
    if len(words) in (2, 3) and words[0] == "add" and re.match(r"https?://\S+$", words[1]):
        every = int(words[2]) if len(words) == 3 and words[2].isdigit() else None
        try:
            feed, new = await in_ingest_thread(
                svc, lambda: svc.feed_poller().add(words[1], every, ignore_robots, shelf)
            )
        except FootnoteError as exc:
            await reply(update, str(exc))
            return
        key = "feed_added" if new else "feed_exists"
        await reply(update, t(key, lang, id=feed.feed_id, url=feed.url, kind=feed.kind,
                               every=feed.every_minutes))  # fmt: skip
        if new:
            context.application.create_task(poll_now(context.application), update=update)
        return
    if len(words) == 2 and words[0] == "remove" and words[1].isdigit():
        gone = await in_ingest_thread(svc, lambda: svc.feed_poller().remove(int(words[1])))
        await reply(update, t("feed_removed" if gone else "feed_unknown", lang, id=words[1]))
        return
    await reply(update, t("feed_usage", lang))


@owner_only
async def feeds_command(update: Any, context: Context) -> None:
    """/feeds: every feed with its last poll, error and article count."""
    svc = services(context)
    feeds = await asyncio.to_thread(lambda: svc.feed_poller().all())
    if not feeds:
        await reply(update, t("feeds_none", ui_lang(update)))
        return
    await reply(update, "\n\n".join(describe(f) for f in feeds))


async def poll_job(context: Context) -> None:
    """The job queue's tick: poll the feeds that are due."""
    await poll_now(context.application)


async def poll_now(application: Any) -> None:
    svc: Services = application.bot_data["services"]
    if svc.stopping.is_set():
        return
    poller = await asyncio.to_thread(
        svc.feed_poller
    )  # its first use creates tables: not on the loop
    due = await asyncio.to_thread(poller.due)
    if not due:
        return
    try:
        results = await in_ingest_thread(svc, poller.poll)
    except IndexBusyError:
        log.info("feed poll skipped: another process is polling")
        return
    for r in results:
        log.info("feed %s: %s", r.feed_id, r.to_json())
        if r.report:
            await tell_owners(application, svc, r)


async def tell_owners(application: Any, svc: Services, r: Any) -> None:
    feed = await asyncio.to_thread(lambda: svc.feed_poller().store.get(r.feed_id))
    errors = feed.errors if feed else 0
    for owner_id in svc.owners:
        text = t("feed_failing", None, id=r.feed_id, errors=errors, error=r.error, url=r.url)
        try:
            await application.bot.send_message(owner_id, text)
        except TelegramError as exc:
            log.info("owner %s not told about feed %s: %s", owner_id, r.feed_id, exc)


def schedule(application: Any) -> None:
    """Called at start: the first check soon after, then every POLL_CHECK_SECONDS."""
    if application.job_queue is None:  # installed without the job-queue extra
        log.warning("feeds are not polled: python-telegram-bot[job-queue] is not installed")
        return
    application.job_queue.run_repeating(
        poll_job, interval=POLL_CHECK_SECONDS, first=5.0, name="feed-poll"
    )
