"""A fake OpenAI-compatible server on 127.0.0.1 that the real `openai` client talks to over HTTP:
chat completions, embeddings and audio transcriptions (multipart, as the real endpoint takes).

Replies are scripted per endpoint: a queue of actions (reply, status with headers, hang) is
consumed in order; every request body is recorded for assertions.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np


def completion(model: str, content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


class FakeOpenAI:
    def __init__(self, dim: int = 32) -> None:
        self.dim = dim
        self.requests: list[dict[str, Any]] = []
        self.script: dict[str, deque[dict[str, Any]]] = {}
        self.default: dict[str, dict[str, Any]] = {}  # the action when an endpoint's queue is empty
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def queue(self, endpoint: str, **action: Any) -> None:
        """endpoint: 'embeddings' or 'chat'. action: content= (the reply; streamed in chunk= pieces
        when the request asks to stream; drop_after= pieces cuts the connection), status=,
        headers=, body= (an error reply), hang= (seconds before answering), hang_unstreamed= (the
        same, for requests that do not stream; a stream's time is in pause= per piece), respond=
        (a function of the request's body that gives the reply's content)."""
        self.script.setdefault(endpoint, deque()).append(action)

    def transcriptions(self) -> list[dict[str, Any]]:
        """The fields of the transcription requests received (the file as its bytes)."""
        return [r["body"] for r in self.requests if r["path"].endswith("/audio/transcriptions")]

    def chats(self) -> list[dict[str, Any]]:
        """Bodies of the chat requests received, in order."""
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def embedding(self, text: str) -> list[float]:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(self.dim)
        return [float(x) for x in v / np.linalg.norm(v)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if self.path.endswith("/audio/transcriptions"):
                    body = multipart_fields(self.headers.get("Content-Type", ""), raw)
                    endpoint = "transcriptions"
                else:
                    body = json.loads(raw or b"{}")
                    endpoint = "embeddings" if self.path.endswith("/embeddings") else "chat"
                fake.requests.append(
                    {
                        "path": self.path,
                        "body": body,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "at": time.monotonic(),  # arrival, before any scripted wait
                    }
                )
                queue = fake.script.get(endpoint)
                action = queue.popleft() if queue else dict(fake.default.get(endpoint, {}))
                if action.get("hang"):
                    time.sleep(action["hang"])
                if action.get("hang_range"):  # a model whose answer time varies
                    time.sleep(random.uniform(*action["hang_range"]))
                if action.get("hang_unstreamed") and not body.get("stream"):
                    time.sleep(action["hang_unstreamed"])  # a whole reply's time, as streams take
                if "status" in action and action["status"] != 200:
                    err = action.get("body") or {
                        "error": {"message": "scripted error", "type": "server_error"}
                    }
                    self._send(action["status"], err, action.get("headers"))
                    return
                if endpoint == "transcriptions":
                    if not body.get("file") or not body.get("model"):
                        self._send(400, {"error": {"message": "file and model are required"}})
                        return
                    self._send(200, {"text": action.get("content", "")})
                    return
                if endpoint == "embeddings":
                    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    data = [
                        {"object": "embedding", "index": i, "embedding": fake.embedding(t)}
                        for i, t in enumerate(inputs)
                    ]
                    self._send(
                        200,
                        {
                            "object": "list",
                            "data": data,
                            "model": body.get("model"),
                            "usage": {"prompt_tokens": 1, "total_tokens": 1},
                        },
                    )
                    return
                content = action.get("content", "")
                if action.get("respond"):  # a reply that depends on the request
                    content = action["respond"](body)
                if body.get("stream"):
                    self._stream(
                        content,
                        action.get("chunk", 8),
                        action.get("drop_after"),
                        action.get("pause", 0.0),
                    )
                    return
                self._send(200, action.get("body") or completion(body.get("model", ""), content))

            def _stream(
                self, content: str, size: int, drop_after: int | None, pause: float = 0.0
            ) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                pieces = [content[i : i + size] for i in range(0, len(content), size)]
                for n, piece in enumerate(pieces):
                    if drop_after is not None and n >= drop_after:
                        self.wfile.flush()
                        self.close_connection = True
                        return  # the connection drops mid-answer
                    event = {
                        "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                        "model": "fake", "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                    }  # fmt: skip
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                    if pause:
                        time.sleep(pause)
                done = {
                    "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }  # fmt: skip
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        return Handler


def chat_model_for(index: Any, fake_openai: Any, timeout: float) -> Any:
    """A real `openai`-backed chat model pointed at the fake OpenAI-compatible server."""
    from dataclasses import replace

    from retrieval.llm.client import make_llm

    settings = replace(index.settings, openai_base_url=fake_openai.base_url,
                       openai_api_key="sk-test", llm_timeout=timeout, llm_retries=1)  # fmt: skip
    llm = make_llm(settings)
    assert llm is not None
    return llm


def multipart_fields(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart/form-data body as {name: text}, a file as {name: bytes, name + "_name":
    its filename}: read by the standard library's MIME parser, as a server would."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, Any] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            fields[str(name)], fields[f"{name}_name"] = data, filename
        else:
            fields[str(name)] = data.decode("utf-8", "replace")
    return fields
