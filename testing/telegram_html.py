"""Telegram's HTML rules as the Bot API applies them: the visible text of a message, or the error
Telegram gives for bad markup; and lengths counted in UTF-16 code units, as Telegram counts."""

from __future__ import annotations

import html
import re
from typing import Any

LIMIT = 4096  # characters of a message, counted in UTF-16 code units
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
                "a", "code", "pre", "blockquote", "tg-emoji"}  # fmt: skip


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
