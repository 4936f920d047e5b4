"""A small web server on 127.0.0.1 serving fixed routes (articles, redirects, slow replies), and a
real-looking article page."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def http_server(
    routes: dict[str, tuple[int, str, bytes, float]],
    headers: dict[str, dict[str, str]] | None = None,
    trickle: dict[str, float] | None = None,
    requests: list[str] | None = None,
) -> Iterator[str]:
    """Serve {path: (status, content_type, body, delay_seconds)} on 127.0.0.1; yields the base URL.
    `headers` adds response headers per path (with an ETag, a matching If-None-Match gets 304); `trickle` sends that path's body one byte every so
    many seconds; `requests`, when given, collects each request's path."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if requests is not None:
                requests.append(self.path)
            status, ctype, body, delay = routes.get(self.path, (404, "text/plain", b"not found", 0))
            if delay:
                time.sleep(delay)
            etag = (headers or {}).get(self.path, {}).get("ETag")
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(status)
            if status in (301, 302):
                self.send_header("Location", body.decode())
                body = b""
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).get(self.path, {}).items():
                self.send_header(name, value)
            self.end_headers()
            gap = (trickle or {}).get(self.path)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                if gap is None:
                    self.wfile.write(body)
                    return
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(gap)

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
