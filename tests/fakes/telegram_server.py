"""A fake Telegram Bot API server on 127.0.0.1, speaking Telegram's HTTP shapes: `/bot<token>/<method>`
with form-encoded or JSON bodies, `{"ok": true, "result": ...}` replies and Telegram's real error
bodies (too long, bad entities, not modified, 429 with retry_after). getUpdates long-polls and
honours `offset`. Tests push updates in, then read what the bot sent."""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "1234567:TEST-fake-token-abcdefghijklmnopqrstuvwxyz"
RAW_FIELDS = {"text", "caption", "parse_mode", "callback_query_id", "url", "secret_token",
              "action", "description", "short_description", "file_id", "language_code", "emoji"}  # fmt: skip
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
                "a", "code", "pre", "blockquote", "tg-emoji"}  # fmt: skip
LIMIT = 4096


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def parse_html(text: str) -> str:
    """Telegram's HTML rules: the visible text, or ApiError like Telegram's for bad markup."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    token = re.compile(
        r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^>]*)?)>|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);"
    )
    while i < len(text):
        m = token.match(text, i)
        ch = text[i]
        if m is None:
            if ch == "<":
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unsupported start tag at byte offset {i}",
                )
            if ch == "&":
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unexpected end of name token at byte offset {i}",
                )
            out.append(ch)
            i += 1
            continue
        i = m.end()
        if m.group(4):
            ent = m.group(4)
            out.append(html.unescape(f"&{ent};"))
            continue
        closing, tag, attrs = m.group(1), m.group(2).lower(), m.group(3)
        if tag not in ALLOWED_TAGS:
            raise ApiError(
                400,
                f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}" at byte offset {m.start()}',
            )
        if closing:
            if not stack or stack[-1] != tag:
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Unexpected end tag at byte offset {m.start()}",
                )
            stack.pop()
        else:
            if tag == "a" and not re.search(r'href\s*=\s*"[^"]*"', attrs):
                raise ApiError(400, "Bad Request: can't parse entities: Can't find href in a tag")
            stack.append(tag)
    if stack:
        raise ApiError(
            400,
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\"",
        )
    return "".join(out)


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


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


class FakeTelegram:
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
        self._ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._user_message_ids = itertools.count(100)
        self._cv = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> FakeTelegram:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            with self._cv:
                self._cv.notify_all()
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- HTTP -----------------------------------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        path = unquote(urlsplit(req.path).path)
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        if path.startswith(f"/file/bot{self.token}/"):
            data = self.files.get(path.split("/", 3)[3])
            self._reply(
                req,
                200 if data is not None else 404,
                data or b"Not Found",
                "application/octet-stream",
            )
            return
        m = re.fullmatch(r"/bot([^/]+)/(\w+)", path)
        if not m:
            return self._json(
                req, 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            )
        if m.group(1) != self.token:
            return self._json(
                req, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        method = m.group(2)
        params = self._params(req.headers.get("Content-Type") or "", body, req.path)
        with self._cv:
            self.calls.append((method, params))
            self._cv.notify_all()
        if self.delay.get(method):
            time.sleep(self.delay[method])
        try:
            try:
                self._fault(method, params)
            except ConnectionAbortedError:
                req.close_connection = True
                with contextlib.suppress(OSError):
                    req.connection.shutdown(2)
                return
            handler = getattr(self, f"api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = handler(params)
        except ApiError as exc:
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.parameters:
                payload["parameters"] = exc.parameters
            return self._json(req, exc.code, payload)
        self._json(req, 200, {"ok": True, "result": result})

    def _params(self, ctype: str, body: bytes, raw_path: str) -> dict[str, Any]:
        if "json" in ctype:
            return dict(json.loads(body or b"{}"))
        pairs = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        pairs.update(parse_qs(urlsplit(raw_path).query, keep_blank_values=True))
        out: dict[str, Any] = {}
        for k, v in pairs.items():
            value: Any = v[0]
            if k not in RAW_FIELDS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            out[k] = value
        return out

    def _fault(self, method: str, params: dict[str, Any]) -> None:
        with self._cv:
            for f in self.faults:
                if f.method == method and f.times > 0 and (f.when is None or f.when(params)):
                    f.times -= 1
                    if f.code == 0:  # a network fault: the connection drops, no reply at all
                        raise ConnectionAbortedError(f.description)
                    extra = {"retry_after": f.retry_after} if f.retry_after is not None else None
                    raise ApiError(f.code, f.description, extra)

    def _json(self, req: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        self._reply(req, status, json.dumps(payload).encode(), "application/json")

    @staticmethod
    def _reply(req: BaseHTTPRequestHandler, status: int, data: bytes, ctype: str) -> None:
        try:
            req.send_response(status)
            req.send_header("Content-Type", ctype)
            req.send_header("Content-Length", str(len(data)))
            req.end_headers()
            req.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # --- Bot API methods --------------------------------------------------------------------------
    def api_getMe(self, p: dict[str, Any]) -> Any:
        return self.bot

    def api_getUpdates(self, p: dict[str, Any]) -> Any:
        offset = int(p.get("offset") or 0)
        timeout = float(p.get("timeout") or 0)
        limit = int(p.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._cv:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and time.monotonic() < deadline and self._server is not None:
                self._cv.wait(min(0.5, max(0.0, deadline - time.monotonic())))
            return self.updates[:limit]

    def api_setWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = {"url": p.get("url", ""), "secret_token": p.get("secret_token")}
        return True

    def api_deleteWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    def api_getWebhookInfo(self, p: dict[str, Any]) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    def api_setMyCommands(self, p: dict[str, Any]) -> Any:
        scope = p.get("scope") or {"type": "default"}
        if scope.get("type") == "chat" and int(scope["chat_id"]) not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        self.commands.append(p)
        return True

    def api_sendChatAction(self, p: dict[str, Any]) -> Any:
        return True

    def api_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        return True

    def api_getChat(self, p: dict[str, Any]) -> Any:
        ref = p.get("chat_id")
        cid = (
            self.usernames.get(str(ref).lstrip("@").lower())
            if isinstance(ref, str) and str(ref).startswith("@")
            else int(ref or 0)
        )
        if cid not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        return {**self.chats[cid], "accent_color_id": 0, "max_reaction_count": 11}

    def api_getChatMember(self, p: dict[str, Any]) -> Any:
        chat_id, user_id = int(p["chat_id"]), int(p["user_id"])
        status = self.members.get((chat_id, user_id), "member")
        user = (
            self.bot
            if user_id == self.bot["id"]
            else {"id": user_id, "is_bot": False, "first_name": "U"}
        )
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "administrator":
            member.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True,
                          can_delete_messages=True, can_manage_video_chats=True,
                          can_restrict_members=True, can_promote_members=False,
                          can_change_info=True, can_invite_users=True, can_post_stories=False,
                          can_edit_stories=False, can_delete_stories=False)  # fmt: skip
        if status == "creator":
            member["is_anonymous"] = False
        return member

    def api_getFile(self, p: dict[str, Any]) -> Any:
        fid = p["file_id"]
        path = f"documents/{fid}"
        if path not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": fid,
            "file_unique_id": f"u{fid}",
            "file_size": len(self.files[path]),
            "file_path": path,
        }

    def _check_text(self, p: dict[str, Any]) -> tuple[str, str]:
        raw = str(p.get("text", ""))
        visible = parse_html(raw) if str(p.get("parse_mode", "")).upper() == "HTML" else raw
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(visible) > LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return raw, visible

    def api_sendMessage(self, p: dict[str, Any]) -> Any:
        raw, visible = self._check_text(p)
        chat_id = int(p["chat_id"])
        if chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        with self._cv:
            mid = next(self._message_ids.setdefault(chat_id, itertools.count(5000)))
            reply = p.get("reply_parameters") or {}
            sent = Sent(chat_id, mid, visible, raw, p.get("parse_mode"), p.get("reply_markup"),
                        reply.get("message_id"), p.get("message_thread_id"))  # fmt: skip
            if sent.parse_mode == "HTML":
                sent.final_at = time.monotonic()
            self.sent[(chat_id, mid)] = sent
            self._cv.notify_all()
        return self._message(sent)

    def api_editMessageText(self, p: dict[str, Any]) -> Any:
        raw, visible = self._check_text(p)
        key = (int(p["chat_id"]), int(p["message_id"]))
        with self._cv:
            sent = self.sent.get(key)
            if sent is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            markup = p.get("reply_markup")
            if (
                raw == sent.raw
                and p.get("parse_mode") == sent.parse_mode
                and markup == sent.reply_markup
            ):
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
                )
            sent.history.append(sent.text)
            sent.text, sent.raw, sent.parse_mode, sent.reply_markup = (
                visible,
                raw,
                p.get("parse_mode"),
                markup,
            )
            sent.edits += 1
            if sent.parse_mode == "HTML" and sent.final_at is None:
                sent.final_at = time.monotonic()
            self._cv.notify_all()
        return self._message(sent)

    def _message(self, s: Sent) -> dict[str, Any]:
        msg: dict[str, Any] = {"message_id": s.message_id, "date": int(time.time()),
                               "chat": self.chats[s.chat_id], "from": self.bot, "text": s.text}  # fmt: skip
        if s.reply_markup:
            msg["reply_markup"] = s.reply_markup
        if s.thread_id:
            msg["message_thread_id"] = s.thread_id
            msg["is_topic_message"] = True
        return msg

    # --- building updates (what users do) ----------------------------------------------------------
    def add_chat(self, chat: dict[str, Any]) -> dict[str, Any]:
        self.chats[chat["id"]] = chat
        if chat.get("username"):
            self.usernames[chat["username"].lower()] = chat["id"]
        return chat

    def private_chat(self, user: dict[str, Any]) -> dict[str, Any]:
        return self.add_chat(
            {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        )

    def push(self, **update: Any) -> int:
        with self._cv:
            uid = next(self._ids)
            self.updates.append({"update_id": uid, **update})
            self._cv.notify_all()
        return uid

    def update_dict(self, **update: Any) -> dict[str, Any]:
        return {"update_id": next(self._ids), **update}

    def message(self, chat: dict[str, Any], user: dict[str, Any] | None, text: str, *,
                entities: list[dict[str, Any]] | None = None, reply_to: dict[str, Any] | None = None,
                thread_id: int | None = None, **extra: Any) -> dict[str, Any]:  # fmt: skip
        msg: dict[str, Any] = {
            "message_id": next(self._user_message_ids),
            "date": int(time.time()),
            "chat": chat,
        }
        if user is not None:
            msg["from"] = user
        if text:
            msg["text"] = text
        if entities:
            msg["entities"] = entities
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        msg.update(extra)
        return msg

    def bot_message(self, sent: Sent) -> dict[str, Any]:
        """One of the bot's messages as it appears inside an update (reply_to_message, callback)."""
        return self._message(sent)

    def send_text(
        self, chat: dict[str, Any], user: dict[str, Any] | None, text: str, **kw: Any
    ) -> dict[str, Any]:
        msg = self.message(chat, user, text, **kw)
        self.push(message=msg)
        return msg

    # --- reading what the bot did -----------------------------------------------------------------
    def wait(self, predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out waiting; calls so far: {[c[0] for c in self.calls][-30:]}"
                    )
                self._cv.wait(min(left, 0.2))

    def messages_to(self, chat_id: int) -> list[Sent]:
        with self._cv:  # the server's threads add messages meanwhile
            mine = [s for (c, _), s in self.sent.items() if c == chat_id]
        return sorted(mine, key=lambda s: s.message_id)

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._cv:
            return [p for m, p in self.calls if m == method]

    def fail(self, method: str, code: int, description: str, *, retry_after: int | None = None,
             times: int = 1, when: Callable[[dict[str, Any]], bool] | None = None) -> Fault:  # fmt: skip
        f = Fault(method, code, description, retry_after, times, when)
        with self._cv:
            self.faults.append(f)
        return f


def user(uid: int, lang: str = "en", name: str = "Ann") -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": name, "language_code": lang}


def mention(text: str, username: str) -> list[dict[str, Any]]:
    """A mention entity for `@username` inside `text` (offsets in UTF-16 units, as Telegram counts)."""
    at = text.index("@" + username)
    return [{"type": "mention", "offset": utf16_len(text[:at]), "length": utf16_len(username) + 1}]
