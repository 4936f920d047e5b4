"""Every citation opens something that shows its source. A source without a web address (an
uploaded file, a text file of the corpus) links to the bot itself:
`t.me/<bot>?start=src_<chunk>_<token>` opens the private chat, where /start shows the cited
passage with the article's title, date and origin.

The token is an HMAC of the chunk id with the installation's own secret (kept in the catalog,
so every process and host signs alike): chunk ids can be counted or guessed, and a link the bot
did not make shows nothing. A passage of a shelf other than `public` is linked for the chat it
was cited in (`src_<chunk>_<chat>_<token>`, the chat signed too), and opens only for a member
of that chat while the chat still sees the shelf; a `public` passage opens for whoever's own
private chat sees `public`."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import os
import re
import secrets
from dataclasses import replace
from typing import Any

from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import TelegramError

from bot.i18n import t
from bot.services import services
from bot.tg import Context, ui_lang, user_id
from retrieval.api import PUBLIC_SHELF, Answer, describe_date

PREFIX = "src_"
_CHUNK = re.compile(r"^[0-9a-f]{16}-\d{4}$")
# 48 of Telegram's 64 characters; with the chat (at most 14), 63.
_PAYLOAD = re.compile(r"^src_([0-9a-f]{16}-\d{4})_(?:(-?\d{1,14})_)?([A-Za-z0-9_-]{22})$")
MEMBERS = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
PASSAGE_LIMIT = 3000


def link_secret(catalog: Any) -> bytes:
    """The installation's secret for passage links: made once, by whichever process is first."""
    return bytes.fromhex(catalog.meta_once("link_secret", secrets.token_hex(32)))


def link_token(secret: bytes, chunk_id: str, chat_id: int | None = None) -> str:
    """16 bytes of HMAC-SHA256 of the chunk (and the chat), as 22 characters a start payload
    may hold."""
    signed = chunk_id if chat_id is None else f"{chunk_id}:{chat_id}"
    digest = hmac.new(secret, signed.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def source_link(bot_username: str, secret: bytes, chunk_id: str, shelf: str, chat_id: int) -> str:
    if shelf == PUBLIC_SHELF:
        payload = f"{PREFIX}{chunk_id}_{link_token(secret, chunk_id)}"
    else:
        payload = f"{PREFIX}{chunk_id}_{chat_id}_{link_token(secret, chunk_id, chat_id)}"
    return f"https://t.me/{bot_username}?start={payload}"


def with_source_links(answer: Answer, bot_username: str, secret: bytes, chat_id: int) -> Answer:
    """Citations without a URL get the bot's signed deep link to their passage, for `chat_id`
    (where the answer is shown)."""
    if not bot_username or not secret or not answer.citations:
        return answer
    cites = [
        c if c.url or not _CHUNK.match(c.chunk_id)
        else replace(c, url=source_link(bot_username, secret, c.chunk_id, c.shelf, chat_id))
        for c in answer.citations
    ]  # fmt: skip
    return replace(answer, citations=cites)


def _signed(secret: bytes, payload: str) -> tuple[str, int | None] | None:
    """(chunk id, chat id or None) of a link the bot made; None for any other."""
    m = _PAYLOAD.match(payload)
    if m is None or not secret:
        return None
    chunk_id, chat = m.group(1), m.group(2)
    chat_id = int(chat) if chat is not None else None
    if not hmac.compare_digest(m.group(3), link_token(secret, chunk_id, chat_id)):
        return None
    return chunk_id, chat_id


async def _may_read(context: Context, shelf: str, chat_id: int | None, user: int | None) -> bool:
    """Whether `user` may read a passage of `shelf` linked for `chat_id` (None: their own
    private chat): that chat sees the shelf now, and the user is in it."""
    if user is None:
        return False
    where = user if chat_id is None else chat_id
    svc = services(context)
    if shelf not in await asyncio.to_thread(svc.state.chats.shelves_of, where):
        return False
    if where == user:
        return True
    try:
        member = await context.bot.get_chat_member(where, user)
    except TelegramError:
        return False
    return member.status in MEMBERS or bool(getattr(member, "is_member", False))


async def show_source(update: Any, context: Context, payload: str) -> bool:
    """/start src_<chunk>_<token>: the passage, its article's title, date and origin. False if
    the payload is not a source link (then /start says hello as usual). A link whose token is
    not the bot's own (forged, or from before links were signed) is told it cannot be opened."""
    if not payload.startswith(PREFIX):
        return False
    svc = services(context)
    lang = ui_lang(update)
    msg = update.effective_message
    signed = _signed(svc.link_secret, payload)
    if signed is None:
        await msg.reply_text(t("source_link_invalid", lang), do_quote=False)
        return True
    chunk_id, chat_id = signed
    catalog = svc.index.catalog
    chunks = await asyncio.to_thread(catalog.chunks_by_id, [chunk_id])
    chunk = chunks.get(chunk_id)
    article = await asyncio.to_thread(catalog.article, chunk.article_id) if chunk else None
    if chunk is None or article is None:
        await msg.reply_text(t("source_gone", lang), do_quote=False)
        return True
    if not await _may_read(context, chunk.shelf, chat_id, user_id(update)):
        # Told as a link it did not make: whether such a passage exists is not for them.
        await msg.reply_text(t("source_link_invalid", lang), do_quote=False)
        return True
    when = describe_date(article["date"], lang)
    origin = article["url"] or os.path.basename(article["source"]) or article["source"]
    text = chunk.text if len(chunk.text) <= PASSAGE_LIMIT else chunk.text[:PASSAGE_LIMIT] + " …"
    head = f"<b>{html.escape(article['title'] or chunk.article_id)}</b>"
    meta = " · ".join(html.escape(x) for x in (when, origin) if x)
    await msg.reply_text(
        f"{head}\n{meta}\n\n<blockquote>{html.escape(text)}</blockquote>",
        parse_mode=ParseMode.HTML, do_quote=False,
    )  # fmt: skip
    return True
