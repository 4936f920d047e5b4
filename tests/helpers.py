"""Small builders shared by tests."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# `footnote search --json` hit fields, in their documented order (public interface).
HIT_FIELDS = ("article_id", "chunk_id", "title", "url", "source", "lang", "date", "text", "score")


def write_articles(folder: Path, count: int, paragraphs: int, line: str, headline: str) -> None:
    """`count` plain-text articles; `line` and `headline` are formatted with i (article), p (paragraph)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        body = "\n\n".join(line.format(i=i, p=p) for p in range(paragraphs))
        (folder / f"a{i:02d}.txt").write_text(f"{headline.format(i=i)}\n\n{body}", encoding="utf-8")


def minimal_pdf(text: str, title: str = "") -> bytes:
    """A one-page PDF with `text` in Helvetica, built by hand (valid xref offsets)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    info = f"<< /Title ({title}) >>".encode("latin-1") if title else b"<< >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        info,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@contextmanager
def http_server(routes: dict[str, tuple[int, str, bytes, float]]) -> Iterator[str]:
    """Serve {path: (status, content_type, body, delay_seconds)} on 127.0.0.1; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            status, ctype, body, delay = routes.get(self.path, (404, "text/plain", b"not found", 0))
            if delay:
                time.sleep(delay)
            self.send_response(status)
            if status in (301, 302):
                self.send_header("Location", body.decode())
                body = b""
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


ARTICLE_HTML = b"""<!doctype html><html><head><title>Site | Harbour closed</title>
<link rel="canonical" href="https://news.example.com/harbour-closed">
<meta property="article:published_time" content="2024-03-05T08:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Harbour closed by storm</h1>
<p>A heavy storm closed the harbour on Monday and the ferries stayed in port for the whole day.</p>
<p>The port authority said ships would sail again once the wind dropped below gale force.</p>
</article><footer>Copyright 2024 Example News</footer></body></html>"""


def post_update(url: str, update: dict[str, object], secret: str | None) -> int:
    """Deliver an update to a webhook as Telegram does; the HTTP status (0: no connection)."""
    import json
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=json.dumps(update).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})  # fmt: skip
    if secret is not None:
        req.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def bot_env(tg: Any, data_dir: Path, state: Path, **extra: str) -> dict[str, str]:
    """The environment for `footnote run` as a process against the fake Telegram server: this
    process's own Footnote settings dropped, a bot state database of its own."""
    import os

    from tests.fakes.telegram_server import TOKEN

    root = Path(__file__).resolve().parent.parent
    prefixes = ("OPENAI_", "TELEGRAM_", "WEBHOOK_", "FOOTNOTE_", "DATABASE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=tg.base_url,
        TELEGRAM_BASE_FILE_URL=tg.base_file_url,
        FOOTNOTE_DATA_DIR=str(data_dir),
        FOOTNOTE_CORPUS_DIR=str(root / "corpus"),
        FOOTNOTE_ADMIN_IDS="42",
        DATABASE_URL=f"sqlite:///{state}",
        FOOTNOTE_EMBED_WORKERS="1",
        NO_PROXY="127.0.0.1,localhost",
        ANONYMIZED_TELEMETRY="False",
    )
    env.update(extra)
    return env


def chat_model_for(index: Any, fake_openai: Any, timeout: float) -> Any:
    """A real `openai`-backed chat model pointed at the fake OpenAI-compatible server."""
    from dataclasses import replace

    from retrieval.llm import make_llm

    settings = replace(index.settings, openai_base_url=fake_openai.base_url,
                       openai_api_key="sk-test", llm_timeout=timeout, llm_retries=1)  # fmt: skip
    llm = make_llm(settings)
    assert llm is not None
    return llm
