"""What tests share that is about the tests themselves (the fakes and servers are in `testing/`)."""

from __future__ import annotations

# `footnote search --json` hit fields, in their documented order (public interface).
HIT_FIELDS = (
    "article_id", "chunk_id", "title", "url", "source", "lang", "date", "shelf", "text", "score",
)  # fmt: skip
