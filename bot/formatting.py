"""An Answer as Telegram messages: HTML with every piece of model and article text escaped,
citations `[n]` linked to their article, the sources in an expandable blockquote, split under
Telegram's 4096-character limit at paragraph or sentence boundaries without breaking a tag.
Also the same answer as plain text, for when Telegram rejects the entities anyway."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from retrieval.api import Answer, Citation, describe_date, group_citations, ui_text

Measure = Callable[[str], int]
LIMIT = 4096  # Telegram counts the text after entity parsing, in UTF-16 code units
_CITE = re.compile(r"\[(\d+)\]")
_SENTENCE = re.compile(r"(?<=[.!?…。！？])\s+")


def visible_length(fragment: str) -> int:
    """Length of an HTML fragment as Telegram counts it (tags removed, entities decoded)."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", fragment))
    return len(plain.encode("utf-16-le")) // 2


def safe_url(url: str) -> str:
    """Only http(s) links become links; anything else (javascript:, file:) stays text."""
    parts = urlsplit(url or "")
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


def _link_citations(escaped: str, citations: list[Citation]) -> str:
    by_number = {c.number: safe_url(c.url) for c in citations}

    def link(m: re.Match[str]) -> str:
        url = by_number.get(int(m.group(1)), "")
        return f'<a href="{html.escape(url, quote=True)}">[{m.group(1)}]</a>' if url else m.group(0)

    return _CITE.sub(link, escaped)


def source_lines(answer: Answer, html_mode: bool = True) -> list[str]:
    out = []
    for numbers, c in group_citations(answer.citations):
        marks = "".join(f"[{n}]" for n in numbers)
        title = c.title or c.article_id
        url = safe_url(c.url)
        when = describe_date(c.date, answer.language)
        date = f" · {when}" if when else ""
        also = [(safe_url(u), urlsplit(u).hostname or t or u) for u, t in c.also]
        label = ui_text("also_published", answer.language)
        if html_mode:
            name = html.escape(title)
            name = f'<a href="{html.escape(url, quote=True)}">{name}</a>' if url else name
            links = ", ".join(
                f'<a href="{html.escape(u, quote=True)}">{html.escape(h)}</a>' if u
                else html.escape(h)
                for u, h in also
            )  # fmt: skip
            more = f" · {html.escape(label)} {links}" if also else ""
            out.append(f"{marks} {name}{html.escape(date)}{more}")
        else:
            more = f" · {label} " + ", ".join(u or h for u, h in also) if also else ""
            out.append(f"{marks} {title}{date}" + (f" — {url}" if url else "") + more)
    return out


def _pieces(paragraph: str, limit: int, measure: Measure, markup: bool = True) -> list[str]:
    """Split one paragraph (already escaped/linked) into parts within `limit`: at sentences,
    then at spaces; a link tag is never cut because we only cut at whitespace outside tags."""
    if measure(paragraph) <= limit:
        return [paragraph]
    parts: list[str] = []
    current = ""
    for unit in _units(paragraph):
        candidate = f"{current} {unit}".strip() if current else unit
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        if measure(unit) <= limit:
            current = unit
        else:  # one enormous sentence: cut at spaces
            current = ""
            for long_word in unit.split(" "):
                for word in _cut_word(long_word, limit, measure, markup):
                    candidate = f"{current} {word}".strip()
                    if measure(candidate) > limit and current:
                        parts.append(current)
                        candidate = word
                    current = candidate
    if current:
        parts.append(current)
    return parts


def _cut_word(word: str, limit: int, measure: Measure, markup: bool) -> list[str]:
    """A word longer than a message cut into pieces that fit, never inside a tag or an entity
    (`markup`: HTML)."""
    if measure(word) <= limit:
        return [word]
    safe, depth, entity = [], 0, False  # positions where a cut leaves markup whole
    for i, ch in enumerate(word):
        if depth == 0 and not entity and i:
            safe.append(i)
        if not markup:
            continue
        if ch == "<":
            depth += 1
        elif ch == ">" and depth:
            depth -= 1
        elif ch == "&" and not depth:
            entity = True
        elif ch == ";" and entity:
            entity = False
    pieces: list[str] = []
    start = 0
    while measure(word[start:]) > limit:
        cuts = [c for c in safe if c > start]
        lo, hi = 0, len(cuts) - 1  # the longest prefix that fits
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if measure(word[start : cuts[mid]]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        if not cuts:
            break
        pieces.append(word[start : cuts[lo]])
        start = cuts[lo]
    pieces.append(word[start:])
    return pieces


def _units(paragraph: str) -> list[str]:
    """Sentences, never splitting inside a tag."""
    out: list[str] = []
    for piece in _SENTENCE.split(paragraph):
        if out and out[-1].count("<") != out[-1].count(">"):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def _pack(
    blocks: list[str], limit: int, measure: Measure, sep: str = "\n\n", markup: bool = True
) -> list[str]:
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _pieces(block, limit, measure, markup):
            candidate = f"{current}{sep}{piece}" if current else piece
            if measure(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def render_html(answer: Answer, limit: int = LIMIT) -> list[str]:
    """The answer as one or more HTML messages, each within `limit`."""
    paragraphs = [p for p in answer.text.split("\n\n") if p.strip()]
    body = [_link_citations(html.escape(p), answer.citations) for p in paragraphs]
    messages = _pack(body, limit, visible_length)
    lines = source_lines(answer)
    if not lines:
        return messages
    heading = f"<b>{html.escape(ui_text('sources', answer.language))}</b>"
    groups = _pack(lines, limit - 40, visible_length, sep="\n")
    quotes = [
        f"<blockquote expandable>{heading if i == 0 else ''}{chr(10) if i == 0 else ''}{g}</blockquote>"
        for i, g in enumerate(groups)
    ]
    last = messages[-1] if messages else ""
    if last and visible_length(f"{last}\n\n{quotes[0]}") <= limit:
        messages[-1] = f"{last}\n\n{quotes[0]}"
        quotes = quotes[1:]
    return messages + quotes


def render_plain(answer: Answer, limit: int = LIMIT) -> list[str]:
    """The same answer without any markup (the fallback when Telegram rejects the entities)."""
    blocks = [p for p in answer.text.split("\n\n") if p.strip()]
    lines = source_lines(answer, html_mode=False)
    if lines:
        blocks.append(ui_text("sources", answer.language) + ":\n" + "\n".join(lines))

    def measure(s: str) -> int:
        return len(s.encode("utf-16-le")) // 2

    return _pack(blocks, limit, measure, markup=False)
