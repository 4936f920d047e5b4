"""A fake OpenAI-compatible server on 127.0.0.1 that the real `openai` client talks to over HTTP.

Replies are scripted per endpoint: a queue of actions (reply, status with headers, hang) is
consumed in order; every request body is recorded for assertions.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np


class FakeOpenAI:
    def __init__(self, dim: int = 32) -> None:
        self.dim = dim
        self.requests: list[dict[str, Any]] = []
        self.script: dict[str, deque[dict[str, Any]]] = {}
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
        """endpoint: 'embeddings' or 'chat'. action: status=, headers=, body=, hang=, content=."""
        self.script.setdefault(endpoint, deque()).append(action)

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
                body = json.loads(self.rfile.read(length) or b"{}")
                endpoint = "embeddings" if self.path.endswith("/embeddings") else "chat"
                fake.requests.append(
                    {
                        "path": self.path,
                        "body": body,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                    }
                )
                queue = fake.script.get(endpoint)
                action = queue.popleft() if queue else {}
                if action.get("hang"):
                    time.sleep(action["hang"])
                if "status" in action and action["status"] != 200:
                    err = action.get("body") or {
                        "error": {"message": "scripted error", "type": "server_error"}
                    }
                    self._send(action["status"], err, action.get("headers"))
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
                self._send(200, action.get("body") or {})

        return Handler
