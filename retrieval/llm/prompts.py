"""The messages sent to the model, assembled from the prompt templates in `prompts/`: sources
fenced as data, the answer language named, the question kept in the user's turn."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime

from prompts import Trusted, fence, render
from retrieval.languages import name as language_name
from retrieval.llm.client import Message
from retrieval.types import Hit

NOT_FOUND = "NOT_FOUND"  # what the model replies when the sources hold no answer
LENGTHS = {
    "short": ("two or three sentences, at most about 60 words.", 250),
    "normal": ("a short paragraph, at most about 120 words.", 500),
    "long": ("up to three short paragraphs, at most about 250 words.", 900),
}

Turn = tuple[str, str]  # (question, answer text)


def defuse(text: str) -> str:
    """Text that cannot open or close a fence tag: a source's body, or a question pasting its
    own `<source n="1">` block to pass for one (prompts.fence)."""
    return fence(text)


def format_sources(hits: Sequence[Hit]) -> str:
    """Sources as delimited data; neither a source's text nor its metadata (which a JSON record
    sets freely) can leave the fence."""
    blocks = []
    for n, h in enumerate(hits, 1):
        c = h.chunk
        attrs = " ".join(
            f'{key}="{html.escape(defuse(" ".join(str(value).split())), quote=True)}"'
            for key, value in (("n", n), ("title", c.title), ("date", c.date), ("lang", c.lang))
        )
        blocks.append(f"<source {attrs}>\n{defuse(c.text)}\n</source>")
    return "\n\n".join(blocks)


def answer_messages(
    question: str, hits: Sequence[Hit], lang: str, length: str, today: str = ""
) -> list[Message]:
    """`today` (YYYY-MM-DD, default the current UTC day) lets the model place the sources'
    dates."""
    name = language_name(lang)
    system = render(
        "system",
        today=today or datetime.now(UTC).date().isoformat(),
        language_name=name,
        language_code=lang,
        length_hint=LENGTHS.get(length, LENGTHS["normal"])[0],
        not_found_rule=render("not_found", marker=NOT_FOUND),
    )
    user = render(
        "user", sources=Trusted(format_sources(hits)), question=question, language_name=name
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def max_tokens(length: str) -> int:
    return LENGTHS.get(length, LENGTHS["normal"])[1]


def rewrite_messages(question: str, history: Sequence[Turn], lang: str) -> list[Message]:
    convo = "\n".join(f"User: {q}\nAssistant: {a[:500]}" for q, a in history[-3:])
    prompt = render("rewrite", history=convo, question=question, language_name=language_name(lang))
    return [{"role": "user", "content": prompt}]


def language_retry_messages(messages: list[Message], reply: str, lang: str) -> list[Message]:
    return [
        *messages,
        {"role": "assistant", "content": reply},
        {
            "role": "user",
            "content": render(
                "language_retry", language_name=language_name(lang), language_code=lang
            ),
        },
    ]
