"""Every citation opens something that shows its source. A source without a web address (an
uploaded file, a text file of the corpus) links to the bot itself:
`t.me/<bot>?start=src_<chunk>_<token>` opens the private chat, where /start shows the cited
passage with the article's title, date and origin.

The token is an HMAC of the chunk id with the installation's own secret (kept in the catalog,
so every process and host signs alike): chunk ids can be counted or guessed, and a link the bot
did not make shows nothing."""

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

from telegram.constants import ParseMode

from bot.i18n import t
from bot.services import services
from bot.tg import Context, ui_lang
from retrieval.api import Answer, describe_date

PREFIX = "src_"
_CHUNK = re.compile(r"^[0-9a-f]{16}-\d{4}$")
_PAYLOAD = re.compile(r"^src_([0-9a-f]{16}-\d{4})_([A-Za-z0-9_-]{22})$")  # 48 of Telegram's 64
PASSAGE_LIMIT = 3000


def link_secret(catalog: Any) -> bytes:
    """The installation's secret for passage links: made once, by whichever process is first."""
    return bytes.fromhex(catalog.meta_once("link_secret", secrets.token_hex(32)))


def link_token(secret: bytes, chunk_id: str) -> str:
    """16 bytes of HMAC-SHA256, as 22 characters a start payload may hold."""
    digest = hmac.new(secret, chunk_id.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def with_source_links(answer: Answer, bot_username: str, secret: bytes) -> Answer:
    """Citations without a URL get the bot's signed deep link to their passage."""
    if not bot_username or not secret or not answer.citations:
        return answer
    cites = [
        c if c.url or not _CHUNK.match(c.chunk_id)
        else replace(c, url=f"https://t.me/{bot_username}?start={PREFIX}{c.chunk_id}_"
                            f"{link_token(secret, c.chunk_id)}")
        for c in answer.citations
    ]  # fmt: skip
    return replace(answer, citations=cites)


async def show_source(update: Any, context: Context, payload: str) -> bool:
    """/start src_<chunk>_<token>: the passage, its article's title, date and origin. False if
    the payload is not a source link (then /start says hello as usual). A link whose token is
    not the bot's own (forged, or from before links were signed) is told it cannot be opened."""
    if not payload.startswith(PREFIX):
        return False
    svc = services(context)
    lang = ui_lang(update)
    msg = update.effective_message
    m = _PAYLOAD.match(payload)
    if (
        m is None
        or not svc.link_secret
        or not hmac.compare_digest(m.group(2), link_token(svc.link_secret, m.group(1)))
    ):
        await msg.reply_text(t("source_link_invalid", lang), do_quote=False)
        return True
    chunk_id = m.group(1)
    catalog = svc.index.catalog
    chunks = await asyncio.to_thread(catalog.chunks_by_id, [chunk_id])
    chunk = chunks.get(chunk_id)
    article = await asyncio.to_thread(catalog.article, chunk.article_id) if chunk else None
    if chunk is None or article is None:
        await msg.reply_text(t("source_gone", lang), do_quote=False)
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
