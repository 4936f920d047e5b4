"""A fake Telegram Bot API server on 127.0.0.1, speaking Telegram's HTTP shapes: `/bot<token>/<method>`
with form-encoded or JSON bodies, `{"ok": true, "result": ...}` replies and Telegram's real error
bodies (too long, bad entities, not modified, 429 with retry_after). getUpdates long-polls and
honours `offset`. Tests push updates in, then read what the bot sent."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .telegram_html import ApiError
from .telegram_methods import BotApiMethods
from .telegram_state import TOKEN, Fault, Sent
from .telegram_users import UserActions, mention, user

__all__ = ["TOKEN", "FakeTelegram", "Sent", "mention", "user"]
RAW_FIELDS = {"text", "caption", "parse_mode", "callback_query_id", "url", "secret_token",
              "action", "description", "short_description", "file_id", "language_code", "emoji"}  # fmt: skip


class FakeTelegram(BotApiMethods, UserActions):
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
