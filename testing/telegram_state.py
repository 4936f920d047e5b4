"""The fake server's state, shared by its HTTP side, its Bot API methods and the update builders."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

TOKEN = "1234567:TEST-fake-token-abcdefghijklmnopqrstuvwxyz"


@dataclass
class Fault:
    method: str
    code: int
    description: str
    retry_after: int | None = None
    times: int = 1
    when: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class Sent:
    chat_id: int
    message_id: int
    text: str  # visible text after parsing
    raw: str
    parse_mode: str | None
    reply_markup: Any = None
    reply_to: int | None = None
    thread_id: int | None = None
    edits: int = 0
    history: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.monotonic)
    final_at: float | None = None  # when HTML (the final answer) arrived in this message


class TelegramState:
    """What the fake server knows: chats, members, files, what was sent, queued updates."""

    def __init__(
        self, token: str = TOKEN, bot_id: int = 7000001, username: str = "footnote_test_bot"
    ):
        self.token = token
        self.bot = {"id": bot_id, "is_bot": True, "first_name": "Footnote", "username": username,
                    "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}  # fmt: skip
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: dict[tuple[int, int], Sent] = {}
        self.updates: list[dict[str, Any]] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.usernames: dict[str, int] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.files: dict[str, bytes] = {}
        self.faults: list[Fault] = []
        self.webhook: dict[str, Any] = {}
        self.commands: list[dict[str, Any]] = []
        self.delay: dict[str, float] = {}
        self.drafts: dict[int, list[tuple[int, str]]] = {}  # chat -> (draft_id, text) in order
        self.draft_times: dict[int, list[float]] = {}  # chat -> when each draft arrived
        self.drafts_supported = True  # False: an older Bot API without sendMessageDraft
        self.reactions: dict[tuple[int, int], list[list[str]]] = {}  # the bot's, in order
        # Inline mode: queries asked (id -> (query, when)), the bot's answers to them in order,
        # and the messages users posted by choosing a result (inline_message_id -> Sent).
        self.inline_queries: dict[str, tuple[dict[str, Any], float]] = {}
        self.inline_answers: list[dict[str, Any]] = []
        self.inline_messages: dict[str, Sent] = {}
        self._ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._user_message_ids = itertools.count(100)
        self._cv = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    def _message(self, s: Sent) -> dict[str, Any]:
        msg: dict[str, Any] = {"message_id": s.message_id, "date": int(time.time()),
                               "chat": self.chats[s.chat_id], "from": self.bot, "text": s.text}  # fmt: skip
        if s.reply_markup:
            msg["reply_markup"] = s.reply_markup
        if s.thread_id:
            msg["message_thread_id"] = s.thread_id
            msg["is_topic_message"] = True
        return msg
