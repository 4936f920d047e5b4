"""Getting an answer onto the screen: "typing", then the model's text streamed into one message
by throttled edits, then the final HTML answer (split if long, plain text if Telegram rejects the
entities). Streaming edits are disposable: they never wait out flood control, they back off."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.formatting import render_html, render_plain
from bot.retry import retry_async
from bot.telegram_errors import is_entity_error, is_not_modified, is_transient
from retrieval.api import NOT_FOUND, Answer

log = logging.getLogger(__name__)

NETWORK_BACKOFF = (0.5, 1.5, 4.0)  # seconds before each retry of a final send (5xx, network)
MIN_PARTIAL = 40  # characters before a partial answer is worth showing
PARTIAL_LIMIT = 3900
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class _NoRetry(int):
    """AIORateLimiter reads `rate_limit_args or max_retries`, so a plain 0 means "the default".
    This zero is truthy: one attempt, and a RetryAfter comes straight back to us."""

    def __new__(cls) -> _NoRetry:
        return super().__new__(cls, 0)

    def __bool__(self) -> bool:
        return True


NO_RETRY = _NoRetry()


class Delivery:
    """One answer to one message. `started` is when the question arrived; `first_visible` is
    set when the user first sees something (a partial or the final answer)."""

    def __init__(
        self,
        bot: ExtBot[Any],
        chat_id: int,
        reply_to: int | None,
        thread_id: int | None,
        interval: float,
        started: float | None = None,
        drafts: bool = False,
        on_drafts_refused: Callable[[], None] | None = None,
    ) -> None:
        """`drafts`: stream with sendMessageDraft (private chats), then send the final answer;
        if Telegram refuses drafts, `on_drafts_refused` is told and edits take over."""
        self.bot = bot
        self.drafts = drafts
        self.on_drafts_refused = on_drafts_refused
        self.draft_id = random.randint(1, 2**31 - 1)  # one draft per answer, animated in place
        self.draft_updates = 0
        self.chat_id = chat_id
        self.reply_to = reply_to
        self.thread_id = thread_id
        self.interval = interval
        self.started = started or time.perf_counter()
        self.first_visible: float | None = None
        self.edits = 0
        self.backoffs = 0
        self._buffer: list[str] = []
        self._shown = ""
        self._message: Message | None = None
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._editor: asyncio.Task[None] | None = None
        self._typing: asyncio.Task[None] | None = None
        self._closed = False

    # --- typing ---------------------------------------------------------------------------------
    def start_typing(self) -> None:
        self._typing = asyncio.create_task(self._keep_typing())

    async def _keep_typing(self) -> None:
        """Telegram shows "typing" for ~5 s: repeat until the first text is visible."""
        while self.first_visible is None and not self._closed:
            with contextlib.suppress(TelegramError):
                await self.bot.send_chat_action(
                    self.chat_id,
                    ChatAction.TYPING,
                    message_thread_id=self.thread_id,
                    rate_limit_args=NO_RETRY,
                )
            await asyncio.sleep(4.5)

    # --- streaming ------------------------------------------------------------------------------
    async def on_delta(self, delta: str) -> None:
        """Called for every piece the model writes; never waits on Telegram."""
        self._buffer.append(delta)
        if self._editor is None:
            self._editor = asyncio.create_task(self._edit_loop())
        self._wake.set()

    def _partial(self) -> str:
        text = "".join(self._buffer).strip()
        if len(text) < MIN_PARTIAL or text.upper().startswith(NOT_FOUND):
            return ""
        if len(text) > PARTIAL_LIMIT:
            text = text[:PARTIAL_LIMIT].rsplit(" ", 1)[0]
        return text + " …"

    async def _edit_loop(self) -> None:
        last = float("-inf")  # not 0.0: the monotonic clock starts near 0 at boot
        while not self._closed:
            await self._wake.wait()
            self._wake.clear()
            wait = last + self.interval - time.monotonic()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), wait)
            if self._closed:
                return
            text = self._partial()
            if not text or text == self._shown:
                continue
            last = time.monotonic()
            try:
                if self.drafts and await self._draft(text):
                    self._shown = text
                    continue
                if self._message is None:
                    self._message = await self._send(text, None, parse_mode=None, retries=0)
                    self._seen()
                else:
                    await self.bot.edit_message_text(
                        text,
                        chat_id=self.chat_id,
                        message_id=self._message.message_id,
                        link_preview_options=_NO_PREVIEW,
                        rate_limit_args=NO_RETRY,
                    )
                    self.edits += 1
                self._shown = text
            except RetryAfter as exc:  # slow down for the rest of this answer
                self.backoffs += 1
                self.interval = max(self.interval * 2, _seconds(exc.retry_after) + 0.5)
                log.info(
                    "flood control in chat %s: edits every %.1f s", self.chat_id, self.interval
                )
            except BadRequest as exc:
                if not is_not_modified(exc):
                    log.info("partial answer not shown: %s", exc)
                    return
            except TelegramError as exc:
                log.info("partial answer not shown: %s", exc)

    async def _draft(self, text: str) -> bool:
        """The partial answer as a draft; False (and edits from now on) if drafts are refused.
        Flood control is handled by the caller, as for edits."""
        try:
            await self.bot.send_message_draft(
                self.chat_id, self.draft_id, text, message_thread_id=self.thread_id,
                rate_limit_args=NO_RETRY,
            )  # fmt: skip
        except RetryAfter:
            raise
        except TelegramError as exc:
            if is_transient(exc):  # a network blip: this update is skipped, drafts stay on
                log.info("draft not shown in chat %s: %s", self.chat_id, exc)
                return True
            log.info("drafts refused in chat %s (%s): streaming by edits", self.chat_id, exc)
            self.drafts = False
            if self.on_drafts_refused is not None:
                self.on_drafts_refused()
            return False
        self.draft_updates += 1
        self._seen()
        return True

    # --- final ----------------------------------------------------------------------------------
    async def finish(self, answer: Answer, markup: InlineKeyboardMarkup | None) -> list[int]:
        """Replace the partial text with the final answer; returns the ids of its messages."""
        await self.close()
        try:
            return await self._deliver(render_html(answer), "HTML", markup)
        except BadRequest as exc:
            if not is_entity_error(exc):
                raise
            log.warning("answer resent as plain text: %s", exc)
            return await self._deliver(render_plain(answer), None, markup)

    async def say(self, text: str, parse_mode: str | None = None) -> list[int]:
        """A short message (a notice, not an answer)."""
        await self.close()
        return await self._deliver([text], parse_mode, None)

    async def close(self) -> None:
        """Stop typing and streaming. An edit or send in flight is awaited, not cancelled: a
        cancelled send may still reach the chat, and its message would be left behind."""
        self._closed = True
        self._stop.set()
        self._wake.set()
        if self._typing is not None and not self._typing.done():
            self._typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._typing
        if self._editor is not None:
            await self._editor

    async def _deliver(
        self, parts: list[str], parse_mode: str | None, markup: InlineKeyboardMarkup | None
    ) -> list[int]:
        ids: list[int] = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            keyboard = markup if last else None
            if i == 0 and self._message is not None:
                await self._edit_final(part, parse_mode, keyboard)
                ids.append(self._message.message_id)
                continue
            msg = await self._send(part, keyboard, parse_mode, reply=i == 0)
            self._seen()
            if i == 0:
                self._message = msg
            ids.append(msg.message_id)
        return ids

    async def _edit_final(
        self, text: str, parse_mode: str | None, keyboard: InlineKeyboardMarkup | None
    ) -> None:
        assert self._message is not None
        message_id = self._message.message_id

        async def edit() -> None:
            try:
                await self.bot.edit_message_text(
                    text,
                    chat_id=self.chat_id,
                    message_id=message_id,
                    parse_mode=parse_mode,
                    reply_markup=keyboard,
                    link_preview_options=_NO_PREVIEW,
                )
            except BadRequest as exc:
                if not is_not_modified(exc):  # a retried edit that had arrived after all
                    raise

        await retry_async(edit, is_transient, NETWORK_BACKOFF)

    async def _send(
        self,
        text: str,
        markup: InlineKeyboardMarkup | None,
        parse_mode: str | None,
        retries: int | None = None,
        reply: bool = True,
    ) -> Message:
        """Flood control is the rate limiter's; 5xx and network errors are retried here (a final
        answer must not be lost to a blip; a partial one is not worth waiting for)."""
        waits = () if retries == 0 else NETWORK_BACKOFF
        return await retry_async(
            lambda: self._send_once(text, markup, parse_mode, retries, reply), is_transient, waits
        )

    async def _send_once(
        self,
        text: str,
        markup: InlineKeyboardMarkup | None,
        parse_mode: str | None,
        retries: int | None,
        reply: bool,
    ) -> Message:
        kwargs: dict[str, Any] = {}
        if retries is not None:
            kwargs["rate_limit_args"] = NO_RETRY if retries == 0 else retries
        return await self.bot.send_message(
            self.chat_id,
            text,
            parse_mode=parse_mode,
            reply_markup=markup,
            message_thread_id=self.thread_id,
            reply_parameters=ReplyParameters(self.reply_to, allow_sending_without_reply=True)
            if reply and self.reply_to
            else None,
            link_preview_options=_NO_PREVIEW,
            **kwargs,
        )

    def _seen(self) -> None:
        if self.first_visible is None:
            self.first_visible = time.perf_counter()

    @property
    def first_visible_ms(self) -> float | None:
        if self.first_visible is None:
            return None
        return (self.first_visible - self.started) * 1000


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
