"""Every citation opens something that shows its source. A source without a web address (an
uploaded file, a text file of the corpus) links to the bot itself: `t.me/<bot>?start=src_<chunk>`
opens the private chat, where /start shows the cited passage with the article's title, date and
origin."""

from __future__ import annotations

import asyncio
import html
import os
import re
from dataclasses import replace
from typing import Any

from telegram.constants import ParseMode

from bot.i18n import t
from bot.services import services
from bot.tg import Context, ui_lang
from retrieval.api import Answer, describe_date

PREFIX = "src_"
_CHUNK = re.compile(r"^[0-9a-f]{16}-\d{4}$")
PASSAGE_LIMIT = 3000


def with_source_links(answer: Answer, bot_username: str) -> Answer:
    """Citations without a URL get the bot's deep link to their passage."""
    if not bot_username or not answer.citations:
        return answer
    cites = [
        c if c.url or not _CHUNK.match(c.chunk_id)
        else replace(c, url=f"https://t.me/{bot_username}?start={PREFIX}{c.chunk_id}")
        for c in answer.citations
    ]  # fmt: skip
    return replace(answer, citations=cites)


async def show_source(update: Any, context: Context, payload: str) -> bool:
    """/start src_<chunk>: the passage, its article's title, date and origin. False if the
    payload is not a source link (then /start says hello as usual)."""
    chunk_id = payload[len(PREFIX) :] if payload.startswith(PREFIX) else ""
    if not _CHUNK.match(chunk_id):
        return False
    svc = services(context)
    lang = ui_lang(update)
    msg = update.effective_message
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
