"""The one place a question's SearchResult is assembled: passages from hybrid search (in the
period the question names, newest first when it asks for the latest: by_time.py), then what the
found articles say as a whole: where else each story was published, and the numbers the question
names that none of them mentions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from itertools import chain

from retrieval.index.duplicates import also_published
from retrieval.index.parts import Index
from retrieval.search.by_time import search_in_time
from retrieval.search.hybrid import SearchResult
from retrieval.text.numbers import unmatched

QUERY_CHARS = 400


def searched_text(query: str) -> str:
    """The question as searched: at most QUERY_CHARS. A longer text keeps its opening and its
    end, cut at spaces: a pasted paragraph usually ends with the question asked about it."""
    query = query.strip()
    if len(query) <= QUERY_CHARS:
        return query
    half = QUERY_CHARS // 2 - 1
    head, tail = query[:half], query[-half:]
    if " " in head[half // 2 :]:
        head = head.rsplit(None, 1)[0]
    if " " in tail[: half // 2]:
        tail = tail.split(None, 1)[1]
    return f"{head} {tail}"


def find_passages(
    index: Index,
    query: str,
    k: int,
    covered: Callable[[SearchResult], bool],
    now: datetime,
    query_lang: str = "",
    translations: dict[str, str] | None = None,
    asked: str = "",
    shelves: tuple[str, ...] = (),
) -> SearchResult:
    """`asked` (default: the query) is the text whose numbers a found article must mention.
    What is searched (embedded, read for time words) is at most `QUERY_CHARS` of it, its
    opening and its end: a pasted page is not a question, and embedding one cost seconds
    (2,000 characters: 2.4 s). The model still reads the whole question."""
    query = searched_text(query)
    result = search_in_time(
        index,
        query,
        k,
        covered,
        now,
        query_lang=query_lang,
        translations=translations,
        shelves=shelves,
    )
    ids = list(dict.fromkeys(h.chunk.article_id for h in result.hits))
    texts = chain((h.chunk.text for h in result.hits), _article_texts(index, ids))
    return replace(
        result,
        copies=also_published(index.catalog, ids),
        # the hits first: their whole articles are read only for a number not in them
        unmatched_numbers=unmatched(asked or query, texts),
    )


def _article_texts(index: Index, article_ids: list[str]) -> Iterator[str]:
    """Each article's headline, date and text, read only as far as a number check needs."""
    for aid in article_ids:
        chunks = index.catalog.chunks_of(aid)
        if chunks:
            yield f"{chunks[0].title} {chunks[0].date}"
        yield from (c.text for c in chunks)
