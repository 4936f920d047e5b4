"""Channels as sources: owners register a channel the bot administers (/source), and its new and
edited posts become articles. The bot never writes into a source channel."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Any

from telegram import ChatFullInfo, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.commands.owner import in_ingest_thread
from bot.services import services
from bot.tg import Context, argument, chat_title, owner_only, reply, user_id
from retrieval.api import PUBLIC_SHELF, ShelfNameError, derived_shelf, ingest, shelf_name

log = logging.getLogger(__name__)


@owner_only
async def source(update: Update, context: Context) -> None:
    """/source @channel or ID [SHELF]: ingest the channel's posts onto its own shelf (or SHELF;
    its discussion group sees that shelf); /source remove ID; /source lists."""
    svc = services(context)
    chats = svc.state.chats
    arg = argument(update)
    if not arg:
        rows = await asyncio.to_thread(chats.channels)
        lines = [
            f"• {r['title']} ({r['chat_id']}), shelf {r['shelf'] or PUBLIC_SHELF}" for r in rows
        ] or ["No source channels yet."]
        await reply(
            update,
            "\n".join(lines) + "\nAdd one: /source @channel [shelf] (the bot must be its admin)",
        )
        return
    words = arg.split()
    remove = words[0].lower() == "remove"
    target = words[-1] if remove else words[0]
    if remove:
        numeric = re.fullmatch(r"-?\d+", target) is not None
        ok = numeric and await asyncio.to_thread(chats.remove_channel, int(target))
        await reply(update, "Removed." if ok else f"No source channel {target}.")
        return
    try:
        chosen = shelf_name(words[1]) if len(words) > 1 else ""
    except ShelfNameError as exc:
        await reply(update, f"Not a shelf name: {exc}.")
        return
    chat = await administered_channel(update, context, target)
    if chat is None:
        return
    shelf = chosen or channel_shelf(chat.id, chat.username or "")
    linked = getattr(chat, "linked_chat_id", None)
    await asyncio.to_thread(
        chats.add_channel, chat.id, chat_title(chat), chat.username or "", user_id(update) or 0,
        shelf, linked,
    )  # fmt: skip
    group = (
        " Its discussion group answers from that shelf as well as the public one."
        if linked else ""
    )  # fmt: skip
    await reply(
        update,
        f"New and edited posts of {chat_title(chat)} will now be added as articles, on the "
        f"shelf {shelf}.{group} Other chats do not see them unless you bind them: "
        f"/shelf @group add {shelf}",
    )


def channel_shelf(chat_id: int, username: str) -> str:
    """A channel's own shelf: after its @username, or its id for a private channel (a title can
    be shared by two channels, an id cannot)."""
    fallback = f"channel-{abs(chat_id)}"
    return derived_shelf(username, fallback) if username else fallback


async def administered_channel(
    update: Update, context: Context, target: str
) -> ChatFullInfo | None:
    """The channel `target` (@name or id) if the bot is its admin; else the owner is told why."""
    chat_ref: int | str = int(target) if re.fullmatch(r"-?\d+", target) else target
    if isinstance(chat_ref, str) and not chat_ref.startswith("@"):
        chat_ref = "@" + chat_ref
    try:
        chat = await context.bot.get_chat(chat_ref)
        if chat.type != ChatType.CHANNEL:
            await reply(update, f"{target} is not a channel.")
            return None
        me = await context.bot.get_chat_member(chat.id, context.bot.id)
    except TelegramError as exc:
        await reply(
            update, f"I cannot see {target}: {exc}. Add me to the channel as an admin first."
        )
        return None
    if me.status not in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER):
        await reply(update, f"Add me to {chat_title(chat)} as an admin first, then try again.")
        return None
    return chat


async def channel_post(update: Update, context: Context) -> None:
    """A post (new or edited) in a registered source channel becomes an article."""
    post = update.channel_post or update.edited_channel_post
    if post is None:
        return
    svc = services(context)
    registered = await asyncio.to_thread(svc.state.chats.channel, post.chat.id)
    if registered is None:
        return
    shelf = registered["shelf"] or PUBLIC_SHELF  # registered before shelves: public, as then
    record = post_record(post)
    if record is None:
        return
    folder = svc.settings.data_dir / "channels" / str(post.chat.id)
    path = folder / f"{post.message_id}.json"
    await asyncio.to_thread(_keep, path, record)  # survives a crash; a rerun of ingest picks it up
    report = await in_ingest_thread(
        svc, lambda: ingest(svc.index, [str(path)], stop=svc.stopping, shelf=shelf)
    )
    if report.stopped and report.unfinished:
        svc.unfinished.add(update.update_id)  # the next start ingests it
        return
    if not report.ok:
        log.warning("channel post %s/%s not ingested: %s", post.chat.id, post.message_id,
                    "; ".join(f.reason for f in report.failed))  # fmt: skip


def _keep(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


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
