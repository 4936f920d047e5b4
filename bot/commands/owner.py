"""Commands for the bot's owners: the corpus (/stats, /ingest, files, /forget, /reindex) and who
is served (/allow, /deny). Anyone else gets a short refusal and nothing changes."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.i18n import t
from bot.services import Services, services
from bot.tg import Context, argument, owner_only, reply, ui_lang, user_id
from retrieval.api import (
    PUBLIC_SHELF,
    FootnoteError,
    IngestReport,
    ShelfNameError,
    forget_article,
    index_stats,
    ingest,
    reindex,
    shelf_name,
)

log = logging.getLogger(__name__)

FILE_TYPES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".pdf"}
PROGRESS_EVERY = 3.0  # seconds between progress edits
_CAPTION_SHELF = re.compile(r"^\s*shelf\s*[:=\s]\s*(\S+)\s*$", re.I)
T = TypeVar("T")


async def in_ingest_thread(svc: Services, work: Callable[[], T]) -> T:
    """Writes run one at a time on the ingest thread, never on a thread answers need."""
    async with svc.ingest_lock:
        return await asyncio.get_running_loop().run_in_executor(svc.ingest_pool, work)


# --- the corpus ---------------------------------------------------------------------------------
@owner_only
async def stats(update: Update, context: Context) -> None:
    """/stats: corpus size and how answering goes."""
    svc = services(context)

    def gather() -> tuple[dict[str, Any], dict[str, Any], int]:
        return index_stats(svc.index), svc.state.log.stats(), len(svc.state.chats.channels())

    await reply(update, format_stats(*await asyncio.to_thread(gather)))


def format_stats(index: dict[str, Any], s: dict[str, Any], channels: int) -> str:
    def ms(v: float | None) -> str:
        return "–" if v is None else f"{v / 1000:.1f} s" if v >= 1000 else f"{v:.0f} ms"

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{v * 100:.0f}%"

    return "\n".join(
        [
            f"Articles: {index.get('articles', 0)} · passages: {index.get('chunks', 0)}"
            f" · source channels: {channels}",
            f"Questions answered: {s['questions']}",
            f"Answer time p50 {ms(s['latency_p50_ms'])} · p95 {ms(s['latency_p95_ms'])}",
            f"First visible reply p50 {ms(s['first_reply_p50_ms'])} · p95 {ms(s['first_reply_p95_ms'])}",
            f"Model answers {pct(s['llm_share'])} · offline {pct(s['offline_share'])}",
            f"Helpful {pct(s['helpful_ratio'])} of {s['feedback']} ratings",
        ]
    )


@owner_only
async def ingest_command(update: Update, context: Context) -> None:
    """/ingest URL [SHELF] (in a private chat): fetch and add one article or collection."""
    if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
        await reply(update, t("private_only", ui_lang(update)))
        return
    words = argument(update).split()
    url = words[0] if words else ""
    if not re.match(r"https?://\S+$", url) or len(words) > 2:
        await reply(
            update,
            "Usage: /ingest https://example.com/article [shelf] (or send me a file, captioned "
            "shelf: NAME to put it on a shelf other than public)",
        )
        return
    shelf = await _shelf_or_say(update, words[1] if len(words) > 1 else "")
    if shelf:
        await run_ingest(update, context, [url], url, shelf)


async def _shelf_or_say(update: Update, raw: str) -> str:
    """The shelf an owner named for an upload (none: public), or "" after saying why not."""
    try:
        return shelf_name(raw.strip()) if raw.strip() else PUBLIC_SHELF
    except ShelfNameError as exc:
        await reply(update, f"Not a shelf name: {exc}. Nothing was added.")
        return ""


async def document(update: Update, context: Context) -> None:
    """A file sent to the bot in a private chat: owners' files are ingested."""
    msg = update.effective_message
    if msg is None or msg.document is None:
        return
    svc = services(context)
    lang = ui_lang(update)
    if not svc.is_owner(user_id(update)):
        await msg.reply_text(t("owner_only_files", lang))
        return
    named = _CAPTION_SHELF.match(msg.caption or "")  # "shelf: newsroom"; other captions: public
    shelf = await _shelf_or_say(update, named.group(1) if named else "")
    if not shelf:
        return
    name = safe_filename(msg.document.file_name or "upload.txt")
    max_mb = svc.settings.max_file_mb
    too_big = (msg.document.file_size or 0) > max_mb * 1024 * 1024
    if Path(name).suffix.lower() not in FILE_TYPES or too_big:
        await msg.reply_text(t("bad_file", lang, mb=f"{max_mb:g}"))
        return
    folder = svc.settings.data_dir / "uploads"
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    path = folder / f"{msg.document.file_unique_id}-{name}"
    file = await msg.document.get_file()
    await file.download_to_drive(path)
    await run_ingest(update, context, [str(path)], name, shelf)


def safe_filename(name: str) -> str:
    """Only the last path component, only harmless characters: an upload cannot escape its folder."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^\w.\- ]+", "_", base).strip(" .") or "upload"
    return base[-120:]


async def run_ingest(
    update: Update, context: Context, inputs: list[str], name: str, shelf: str = PUBLIC_SHELF
) -> None:
    """The core's ingest (onto `shelf`) in its own thread, one at a time, with a progress
    message for long work."""
    svc = services(context)
    lang = ui_lang(update)
    if svc.ingest_lock.locked():
        await reply(update, t("ingest_busy", lang))
    async with svc.ingest_lock:
        status = await reply(update, t("ingest_started", lang, name=name))
        progress: dict[str, Any] = {}

        def on_progress(phase: str, done: int, total: int) -> None:
            progress.update(phase=phase, done=done, total=total)

        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(
            svc.ingest_pool,
            lambda: ingest(svc.index, inputs, progress=on_progress, stop=svc.stopping, shelf=shelf),
        )
        shown = ""
        while True:
            done, _ = await asyncio.wait({job}, timeout=PROGRESS_EVERY)
            if done:
                break
            if status is not None and progress:
                text = t("ingest_progress", lang, name=name, **progress)
                if text != shown:
                    shown = text
                    try:
                        await status.edit_text(text)
                    except TelegramError as exc:
                        log.info("progress not shown: %s", exc)
        try:
            report: IngestReport = job.result()
        except FootnoteError as exc:
            await reply(update, f"{name}: {exc}")
            return
    if report.stopped and report.unfinished and update.update_id is not None:
        svc.unfinished.add(update.update_id)  # replayed by the next start: the rest is ingested
        await reply(update, t("ingest_paused", lang, name=name, added=len(report.added),
                              updated=len(report.updated), unfinished=report.unfinished))  # fmt: skip
        return
    await reply(update, format_report(report, name, lang))


def format_report(report: IngestReport, name: str, lang: str) -> str:
    lines = [
        t(
            "ingest_done",
            lang,
            name=name,
            added=len(report.added),
            updated=len(report.updated),
            unchanged=len(report.unchanged),
            failed=report.failures,
            chunks=report.chunks_added,
        )
    ]
    if report.duplicates:  # a copy is neither added nor updated: say where it went
        lines.append(t("ingest_copies", lang, copies=len(report.duplicates)))
    lines += [f"• {f.source}: {f.reason}" for f in report.failed[:10]]
    lines += [f"• {w}" for w in report.warnings[:5]]
    return "\n".join(lines)


@owner_only
async def forget(update: Update, context: Context) -> None:
    """/forget ARTICLE_ID (ids are shown to owners in /sources)."""
    article_id = argument(update)
    if not article_id:
        await reply(update, "Usage: /forget ARTICLE_ID (see /sources)")
        return
    svc = services(context)
    gone = await in_ingest_thread(svc, lambda: forget_article(svc.index, article_id))
    await reply(update, f"Forgot {article_id}." if gone else f"No article {article_id}.")


@owner_only
async def reindex_command(update: Update, context: Context) -> None:
    """/reindex: re-embed everything (after changing the embedder)."""
    svc = services(context)
    lang = ui_lang(update)
    async with svc.ingest_lock:
        await reply(update, t("ingest_started", lang, name="reindex"))
        report = await asyncio.get_running_loop().run_in_executor(
            svc.ingest_pool, reindex, svc.index
        )
    await reply(update, f"Reindexed {len(report.updated)} articles in {report.seconds:.0f} s.")


# --- access -------------------------------------------------------------------------------------
def _ids(text: str) -> list[int] | None:
    parts = [p for p in re.split(r"[,\s]+", text) if p]
    if not parts or not all(re.fullmatch(r"-?\d+", p) for p in parts):
        return None
    return [int(p) for p in parts]


@owner_only
async def allow(update: Update, context: Context) -> None:
    """/allow ID…: once anything is allowed, only allowed users and chats are served."""
    await _access(update, context, "allow")


@owner_only
async def deny(update: Update, context: Context) -> None:
    """/deny ID…: never serve these users or chats."""
    await _access(update, context, "deny")


async def _access(update: Update, context: Context, kind: str) -> None:
    chats = services(context).state.chats
    arg = argument(update)
    ids = _ids(arg) if arg else []
    if ids is None:
        await reply(update, f"Usage: /{kind} ID [ID…] (numeric user or chat ids)")
        return

    def change_and_list() -> tuple[list[int], list[int]]:
        if ids:
            chats.set_access(kind, ids)
        return chats.access("allow"), chats.access("deny")

    allowed, denied = await asyncio.to_thread(change_and_list)
    mode = "allowlist mode: only allowed chats and users" if allowed else "open to everyone"
    await reply(
        update,
        f"Serving: {mode}.\nAllowed: {', '.join(map(str, allowed)) or '–'}\n"
        f"Denied: {', '.join(map(str, denied)) or '–'}",
    )
