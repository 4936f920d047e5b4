"""Keep secrets out of logs: Bot API URLs carry the token (`/bot<TOKEN>/sendMessage`)."""

from __future__ import annotations

import logging
import re

_TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b")


def redact(text: str, *secrets: str) -> str:
    """Replace the given secrets, and anything shaped like a bot token, with a marker."""
    for s in secrets:
        if s:
            text = text.replace(s, "<redacted>")
    return _TOKEN_SHAPE.sub("<redacted>", text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual (tracebacks included), then removes the secrets from the result."""

    def __init__(self, fmt: str, secrets: tuple[str, ...]) -> None:
        super().__init__(fmt)
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), *self.secrets)


def setup_logging(level: int, *secrets: str) -> None:
    """Root logging for `footnote run`: secrets redacted, and httpx's per-request INFO lines
    (whose URLs contain the token) silenced."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # the openai client's copy of httpx
