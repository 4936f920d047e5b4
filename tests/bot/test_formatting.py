"""Answers as Telegram HTML: escaped, linked, split under the limit without breaking tags."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from bot.formatting import LIMIT, render_html, render_plain, safe_url, visible_length
from retrieval.dates import describe_date
from retrieval.types import Answer, Citation


def answer(text: str, citations: list[Citation], lang: str = "en") -> Answer:
    return Answer("q", text, lang, True, citations, "llm")


def cite(n: int, url: str = "https://news.example/a", title: str = "Title") -> Citation:
    return Citation(n, f"a{n}", f"a{n}-0000", title, url, "2025-12-27", "quote")


class TagBalance(HTMLParser):
    """Fails on tags Telegram does not know, and on unbalanced ones."""

    ALLOWED = frozenset({"a", "b", "i", "u", "s", "code", "pre", "blockquote"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in self.ALLOWED, tag
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, tag


def assert_valid(fragment: str) -> None:
    parser = TagBalance()
    parser.feed(fragment)
    parser.close()
    assert parser.stack == []
    assert visible_length(fragment) <= LIMIT


def test_model_and_article_text_is_escaped() -> None:
    a = answer("x < y & <b>bold</b> [1]", [cite(1, title="<script>alert(1)</script>")])
    [msg] = render_html(a)
    assert "x &lt; y &amp; &lt;b&gt;bold&lt;/b&gt;" in msg
    assert "&lt;script&gt;" in msg and "<script>" not in msg
    assert_valid(msg)


def test_citations_link_to_the_article_and_sources_are_in_an_expandable_quote() -> None:
    a = answer("He used an iPhone [1][2].", [cite(1), cite(2, url="")], lang="de")
    [msg] = render_html(a)
    assert '<a href="https://news.example/a">[1]</a>' in msg
    assert "[2]" in msg and 'href=""' not in msg, "no URL, no link"
    assert "<blockquote expandable><b>Quellen</b>" in msg
    assert '[1] <a href="https://news.example/a">Title</a> · 27.12.2025' in msg
    assert_valid(msg)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "news.example/a"])
def test_only_http_links(url: str) -> None:
    assert safe_url(url) == ""


def test_long_answers_split_under_the_limit_at_boundaries() -> None:
    para = " ".join(f"Sentence {i} says something about the news [1]." for i in range(60))
    a = answer("\n\n".join([para] * 5), [cite(1)])
    messages = render_html(a)
    assert len(messages) > 1
    for m in messages:
        assert_valid(m)
        assert m.rstrip().endswith((".", "</blockquote>"))
    joined = " ".join(re.sub(r"<[^>]+>", "", m) for m in messages)
    assert joined.count("Sentence 59 says") == 5, "nothing lost"


def test_one_enormous_sentence_is_cut_at_spaces() -> None:
    a = answer("word " * 3000, [])
    messages = render_html(a)
    assert len(messages) >= 4 and all(visible_length(m) <= LIMIT for m in messages)


def test_an_unbroken_word_longer_than_a_message_is_cut_whole() -> None:
    word = "x" * 3000 + "&<>" + "y" * 3000 + "😀" * 1500
    a = answer(f"Start {word} [1] end.", [cite(1)])
    messages = render_html(a)
    for m in messages:
        assert_valid(m)
    text = "".join(html.unescape(re.sub(r"<[^>]+>", "", m)) for m in messages)
    assert word in text.replace(" ", "").replace("\n", ""), "nothing lost"
    plain = render_plain(a)
    assert all(len(m.encode("utf-16-le")) // 2 <= LIMIT for m in plain)
    assert word in "".join(plain).replace(" ", "").replace("\n", "")


def test_utf16_length_counts_emoji_as_two() -> None:
    assert visible_length("😀") == 2 and visible_length("&lt;") == 1


def test_plain_fallback_has_no_markup_and_keeps_links_visible() -> None:
    a = answer("A & B [1].", [cite(1)])
    [msg] = render_plain(a)
    assert msg == "A & B [1].\n\nSources:\n[1] Title · Dec 27, 2025 — https://news.example/a"
    assert html.unescape(msg) == msg


def test_citations_of_one_article_share_a_source_line() -> None:
    same = [
        Citation(n, "a1", f"a1-000{n}", "One article", "https://news.example/a", "", "q")
        for n in (1, 2)
    ]
    a = answer("First [1]. Second [2].", [*same, cite(3, title="Other")])
    [msg] = render_html(a)
    assert '[1][2] <a href="https://news.example/a">One article</a>' in msg
    assert msg.count("One article") == 1 and "[3] <a" in msg


def test_source_dates_in_the_readers_language_with_their_age() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert describe_date("2026-11-29T08:00:00+00:00", "de", now) == "29.11.2026 · vor 2 Tagen"
    assert describe_date("2026-11-29", "en", now) == "Nov 29, 2026 · 2 days ago"
    assert describe_date("2026-12-01T07:30:00Z", "ru", now) == "1 дек. 2026\u202fг. · 4 часа назад"
    assert describe_date("2024-03-05", "fr", now) == "5 mars 2024", "old: the date says enough"
    assert describe_date("", "en", now) == describe_date("n/a", "en", now) == ""
    assert describe_date("2026-11-24", "xx", now) == "Nov 24, 2026 · 1 week ago"
