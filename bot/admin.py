"""Commands for the bot's owners (corpus, channels, access, stats) and for group admins
(/settings). Anyone else gets a short refusal and nothing changes."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import TelegramError

from retrieval.errors import FootnoteError
from retrieval.models import IngestReport

from .handlers import Context, chat_title, is_group, ui_lang
from .i18n import t
from .rules import command_argument, message_text
from .services import Services, services
from .state import LENGTHS

log = logging.getLogger(__name__)

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
FILE_TYPES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".pdf"}
LANGUAGE_CHOICES = ("", "en", "de", "fr", "es", "it", "pt", "ru", "uk", "zh", "ar", "tr")
PROGRESS_EVERY = 3.0  # seconds between progress edits


def owner_only(func: Handler) -> Handler:
    """Refuse (and change nothing) unless the user is one of FOOTNOTE_ADMIN_IDS."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: Context) -> None:
        user = update.effective_user
        if not services(context).is_owner(user.id if user else None):
            if update.effective_message is not None:
                await update.effective_message.reply_text(t("not_owner", ui_lang(update)))
            return
        await func(update, context)

    return wrapper


def _arg(update: Update) -> str:
    msg = update.effective_message
    return command_argument(message_text(msg)) if msg is not None else ""


async def _reply(update: Update, text: str, html_mode: bool = False) -> Message | None:
    msg = update.effective_message
    if msg is None:
        return None
    return await msg.reply_text(
        text, parse_mode=ParseMode.HTML if html_mode else None, do_quote=False
    )


# --- owners: the corpus -------------------------------------------------------------------------
@owner_only
async def stats(update: Update, context: Context) -> None:
    """/stats: corpus size and how answering goes."""
    svc = services(context)
    index_stats = await asyncio.to_thread(svc.index.stats)
    s = svc.state.stats()
    await _reply(update, format_stats(index_stats, s, len(svc.state.channels())))


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
    """/ingest URL (in a private chat): fetch and add one article or collection."""
    if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
        await _reply(update, t("private_only", ui_lang(update)))
        return
    url = _arg(update)
    if not re.match(r"https?://\S+$", url):
        await _reply(update, "Usage: /ingest https://example.com/article (or send me a file)")
        return
    await run_ingest(update, context, [url], url)


async def document(update: Update, context: Context) -> None:
    """A file sent to the bot in a private chat: owners' files are ingested."""
    msg = update.effective_message
    if msg is None or msg.document is None:
        return
    svc = services(context)
    lang = ui_lang(update)
    if not svc.is_owner(update.effective_user.id if update.effective_user else None):
        await msg.reply_text(t("owner_only_files", lang))
        return
    name = safe_filename(msg.document.file_name or "upload.txt")
    max_mb = svc.settings.max_file_mb
    too_big = (msg.document.file_size or 0) > max_mb * 1024 * 1024
    if Path(name).suffix.lower() not in FILE_TYPES or too_big:
        await msg.reply_text(t("bad_file", lang, mb=f"{max_mb:g}"))
        return
    folder = svc.settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{msg.document.file_unique_id}-{name}"
    file = await msg.document.get_file()
    await file.download_to_drive(path)
    await run_ingest(update, context, [str(path)], name)


def safe_filename(name: str) -> str:
    """Only the last path component, only harmless characters: an upload cannot escape its folder."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^\w.\- ]+", "_", base).strip(" .") or "upload"
    return base[-120:]


async def run_ingest(update: Update, context: Context, inputs: list[str], name: str) -> None:
    """The core's ingest in its own thread, one at a time, with a progress message for long work."""
    svc = services(context)
    lang = ui_lang(update)
    if svc.ingest_lock.locked():
        await _reply(update, t("ingest_busy", lang))
    async with svc.ingest_lock:
        status = await _reply(update, t("ingest_started", lang, name=name))
        progress: dict[str, Any] = {}

        def on_progress(phase: str, done: int, total: int) -> None:
            progress.update(phase=phase, done=done, total=total)

        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(
            svc.ingest_pool, lambda: svc.index.ingest(inputs, progress=on_progress)
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
            await _reply(update, f"{name}: {exc}")
            return
    await _reply(update, format_report(report, name, lang))


def format_report(report: IngestReport, name: str, lang: str) -> str:
    lines = [
        t(
            "ingest_done",
            lang,
            name=name,
            added=len(report.added),
            updated=len(report.updated),
            unchanged=len(report.unchanged),
            failed=len(report.failed),
            chunks=report.chunks_added,
        )
    ]
    lines += [f"• {f.source}: {f.reason}" for f in report.failed[:10]]
    lines += [f"• {w}" for w in report.warnings[:5]]
    return "\n".join(lines)


@owner_only
async def forget(update: Update, context: Context) -> None:
    """/forget ARTICLE_ID (ids are shown to owners in /sources)."""
    article_id = _arg(update)
    if not article_id:
        await _reply(update, "Usage: /forget ARTICLE_ID (see /sources)")
        return
    svc = services(context)
    async with svc.ingest_lock:
        gone = await asyncio.get_running_loop().run_in_executor(
            svc.ingest_pool, svc.index.forget, article_id
        )
    await _reply(update, f"Forgot {article_id}." if gone else f"No article {article_id}.")


@owner_only
async def reindex(update: Update, context: Context) -> None:
    """/reindex: re-embed everything (after changing the embedder)."""
    svc = services(context)
    lang = ui_lang(update)
    async with svc.ingest_lock:
        await _reply(update, t("ingest_started", lang, name="reindex"))
        report = await asyncio.get_running_loop().run_in_executor(
            svc.ingest_pool, svc.index.reindex
        )
    await _reply(update, f"Reindexed {len(report.updated)} articles in {report.seconds:.0f} s.")


# --- owners: access -----------------------------------------------------------------------------
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
    state = services(context).state
    arg = _arg(update)
    if arg:
        ids = _ids(arg)
        if ids is None:
            await _reply(update, f"Usage: /{kind} ID [ID…] (numeric user or chat ids)")
            return
        state.set_access(kind, ids)
    allowed, denied = state.access("allow"), state.access("deny")
    mode = "allowlist mode: only allowed chats and users" if allowed else "open to everyone"
    await _reply(
        update,
        f"Serving: {mode}.\nAllowed: {', '.join(map(str, allowed)) or '–'}\n"
        f"Denied: {', '.join(map(str, denied)) or '–'}",
    )


# --- owners: source channels ---------------------------------------------------------------------
@owner_only
async def source(update: Update, context: Context) -> None:
    """/source @channel or ID: ingest the channel's posts; /source remove ID; /source lists."""
    svc = services(context)
    arg = _arg(update)
    if not arg:
        rows = svc.state.channels()
        lines = [f"• {r['title']} ({r['chat_id']})" for r in rows] or ["No source channels yet."]
        await _reply(
            update, "\n".join(lines) + "\nAdd one: /source @channel (the bot must be its admin)"
        )
        return
    remove = arg.split()[0].lower() == "remove"
    target = arg.split()[-1]
    if remove:
        ok = svc.state.remove_channel(int(target)) if re.fullmatch(r"-?\d+", target) else False
        await _reply(update, "Removed." if ok else f"No source channel {target}.")
        return
    chat_ref: int | str = int(target) if re.fullmatch(r"-?\d+", target) else target
    if isinstance(chat_ref, str) and not chat_ref.startswith("@"):
        chat_ref = "@" + chat_ref
    try:
        chat = await context.bot.get_chat(chat_ref)
        if chat.type != ChatType.CHANNEL:
            await _reply(update, f"{target} is not a channel.")
            return
        me = await context.bot.get_chat_member(chat.id, context.bot.id)
    except TelegramError as exc:
        await _reply(
            update, f"I cannot see {target}: {exc}. Add me to the channel as an admin first."
        )
        return
    if me.status not in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER):
        await _reply(update, f"Add me to {chat_title(chat)} as an admin first, then try again.")
        return
    user = update.effective_user
    svc.state.add_channel(chat.id, chat_title(chat), chat.username or "", user.id if user else 0)
    await _reply(
        update, f"New and edited posts of {chat_title(chat)} will now be added as articles."
    )


async def channel_post(update: Update, context: Context) -> None:
    """A post (new or edited) in a registered source channel becomes an article. The bot never
    writes into the channel."""
    post = update.channel_post or update.edited_channel_post
    if post is None:
        return
    svc = services(context)
    if await asyncio.to_thread(svc.state.channel, post.chat.id) is None:
        return
    record = post_record(post)
    if record is None:
        return
    folder = svc.settings.data_dir / "channels" / str(post.chat.id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{post.message_id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)  # the post's text survives a crash; a rerun of ingest picks it up
    async with svc.ingest_lock:
        report = await asyncio.get_running_loop().run_in_executor(
            svc.ingest_pool, svc.index.ingest, [str(path)]
        )
    if not report.ok:
        log.warning("channel post %s/%s not ingested: %s", post.chat.id, post.message_id,
                    "; ".join(f.reason for f in report.failed))  # fmt: skip


def post_record(post: Message) -> dict[str, Any] | None:
    """A channel post as a JSON record for the core's loader: text or caption, hidden links
    written out, a link to the post, the post's date."""
    text = post.text or post.caption or ""
    if not text.strip():
        return None
    entities = post.parse_entities() if post.text else post.parse_caption_entities()
    links = [
        f"{value}: {e.url}" for e, value in entities.items() if e.type == "text_link" and e.url
    ]
    body = text + ("\n\n" + "\n".join(links) if links else "")
    chat = post.chat
    if chat.username:
        url = f"https://t.me/{chat.username}/{post.message_id}"
    else:
        url = f"https://t.me/c/{str(chat.id).removeprefix('-100')}/{post.message_id}"
    first_line = text.strip().splitlines()[0]
    title = first_line if len(first_line) <= 100 else first_line[:100].rsplit(" ", 1)[0] + " …"
    return {
        "id": f"tg-{chat.id}-{post.message_id}",
        "title": title,
        "url": url,
        "date": post.date.date().isoformat() if post.date else "",
        "text": body,
        "source": f"telegram:{chat_title(chat)}",
    }


async def my_chat_member(update: Update, context: Context) -> None:
    """Tell the owners when the bot is made admin of a channel, and how to use it as a source."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.CHANNEL:
        return
    if change.new_chat_member.status != ChatMemberStatus.ADMINISTRATOR:
        return
    svc = services(context)
    ref = f"@{change.chat.username}" if change.chat.username else str(change.chat.id)
    for owner in svc.owners:
        try:
            await context.bot.send_message(
                owner,
                f"I was added to the channel {chat_title(change.chat)}. "
                f"To answer from its posts: /source {ref}",
            )
        except TelegramError as exc:
            log.info("could not tell owner %s: %s", owner, exc)


# --- group admins --------------------------------------------------------------------------------
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
    text, markup = settings_view(services(context), chat.id, lang)
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
    _, key, value = (query.data or "set::").split(":", 2)
    svc = services(context)
    try:
        svc.state.set_chat_setting(chat.id, key, value)
    except ValueError:
        await query.answer(t("expired", lang))
        return
    await query.answer()
    text, markup = settings_view(svc, chat.id, lang)
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except TelegramError as exc:
        if "not modified" not in str(exc).lower():
            raise


def settings_view(svc: Services, chat_id: int, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    s = svc.state.chat_settings(chat_id)

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
            for m in ("mention", "all")
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
