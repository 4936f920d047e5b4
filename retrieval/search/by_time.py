"""Search for a question that names a time: the period it names becomes a date filter when the
corpus has stories from it, and "latest" puts the newest of the relevant passages first.

A question without time words is searched exactly as before (no filter, one search). One with a
window is searched twice: in the window and without it, and the window wins unless only the
unfiltered search is close to the question (the topic exists, outside the period). When neither
is close ("what happened this week?"), the period's stories are the answer (`period_only`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from retrieval.dates import parse_moment
from retrieval.index.parts import Index
from retrieval.search.hybrid import Filters, SearchResult, Sentence, search
from retrieval.search.time_window import find_window, wants_latest
from retrieval.types import Answer


def search_in_time(
    index: Index,
    query: str,
    k: int,
    covered: Callable[[SearchResult], bool],
    now: datetime,
    query_lang: str = "",
    translations: dict[str, str] | None = None,
    shelves: tuple[str, ...] = (),
) -> SearchResult:
    # Embedded once, whether the question is searched once or twice (in a period and without).
    vectors = index.embedder.embed_queries([query, *(translations or {}).values()])

    def run(filters: Filters | None = None) -> SearchResult:
        return search(index, query, k, filters=filters, sentences=True, query_lang=query_lang,
                      translations=translations, raw_vectors=list(vectors))  # fmt: skip

    plain = run(Filters(shelves=shelves))
    lang = query_lang or plain.query_lang
    result = plain
    window = find_window(query, lang, now)
    if window is not None:
        timed = run(Filters(date_from=window.date_from, date_to=window.date_to, shelves=shelves))
        if timed.hits and (covered(timed) or not covered(plain)):
            result = replace(timed, window=window, period_only=not covered(timed))
    if wants_latest(query, lang):
        result = newest_first(result)
    return result


def newest_first(result: SearchResult) -> SearchResult:
    """The same passages, dated ones newest first (undated keep their place after them)."""
    order = sorted(
        range(len(result.hits)),
        key=lambda i: (_timestamp(result.hits[i].chunk.date) is None,
                       -(_timestamp(result.hits[i].chunk.date) or 0.0), i),
    )  # fmt: skip
    where = {old: new for new, old in enumerate(order)}
    sentences = [Sentence(s.similarity, where[s.hit], s.text) for s in result.sentences]
    return replace(result, hits=[result.hits[i] for i in order], sentences=sentences, latest=True)


def _timestamp(value: str) -> float | None:
    moment = parse_moment(value)
    return moment.timestamp() if moment else None


def with_newest_source(answer: Answer, now: datetime) -> str:
    """The answer to a "latest" question says how recent its newest source is."""
    from retrieval.dates import describe_date
    from retrieval.strings import text

    dated = [c.date for c in answer.citations if _timestamp(c.date) is not None]
    if not dated:
        return answer.text
    newest = max(dated, key=lambda d: _timestamp(d) or 0.0)
    when = describe_date(newest, answer.language, now)
    return f"{answer.text}\n\n{text('newest_source', answer.language).format(when=when)}"
