"""Hybrid search: fusion, filters, per-article cap; the sample corpus across seven languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.index.ingest import ingest
from retrieval.index.inventory import sources
from retrieval.index.parts import Index
from retrieval.search.hybrid import Filters, search
from tests.helpers import HIT_FIELDS


@pytest.fixture
def index(any_index: Index) -> Index:
    """These tests run against the embedded store and a Chroma server."""
    return any_index


def write(dir: Path, name: str, title: str, body: str, date: str = "", lang_line: str = "") -> None:
    meta = f"{date}\n\n" if date else ""
    (dir / name).write_text(f"{title}\n\n{meta}{body}", encoding="utf-8")


@pytest.fixture
def news(tmp_path: Path, index: Index) -> Index:
    assert ingest(index, [str(write_news(tmp_path / "news"))]).ok
    return index


def write_news(d: Path) -> Path:
    d.mkdir()
    write(
        d,
        "a.txt",
        "Harbour storm",
        "The storm closed the harbour for two days and ferries stayed in port until the wind fell.",
        "2024-01-10",
    )
    write(
        d,
        "b.txt",
        "Budget vote",
        "Parliament approved the budget of 12 billion euros after a long night of debate and many votes.",
        "2024-06-01",
    )
    write(
        d,
        "c.txt",
        "Hafen gesperrt",
        "Der Sturm sperrte den Hafen für zwei Tage, und die Fähren blieben im Hafen liegen, bis er abflaute.",
        "2024-02-03",
    )
    long = "\n\n".join(
        f"The storm report part {i} says the harbour wall was damaged in section {i} by waves."
        for i in range(8)
    )
    write(d, "d.txt", "Storm damage report", long, "2023-12-24")
    return d


def test_keyword_finds_exact_numbers(news: Index) -> None:
    [hit] = search(news, "12 billion", k=1, mode="keyword").hits
    assert hit.chunk.title == "Budget vote"


def test_hybrid_ranks_the_matching_article_first(news: Index) -> None:
    hits = search(news, "budget parliament euros", k=3).hits
    assert hits[0].chunk.title == "Budget vote"
    assert hits[0].score > hits[-1].score


def test_at_most_n_chunks_per_article(news: Index) -> None:
    hits = search(news, "storm harbour wall damaged section", k=8, max_per_article=2).hits
    per_article: dict[str, int] = {}
    for h in hits:
        per_article[h.chunk.article_id] = per_article.get(h.chunk.article_id, 0) + 1
    assert max(per_article.values()) == 2
    assert len(hits) == len({h.chunk.chunk_id for h in hits})


def test_filters_language_date_article(news: Index) -> None:
    de = search(news, "Sturm Hafen storm harbour", k=5, filters=Filters(lang="de")).hits
    assert {h.chunk.title for h in de} == {"Hafen gesperrt"}
    in_2024 = search(
        news, "storm harbour", k=10, filters=Filters(date_from="2024-01-01", date_to="2024-12-31")
    ).hits
    assert in_2024 and all(h.chunk.date.startswith("2024") for h in in_2024)
    aid = next(s["article_id"] for s in sources(news) if s["title"] == "Storm damage report")
    only = search(news, "storm", k=10, filters=Filters(article_id=aid), max_per_article=0).hits
    assert only and {h.chunk.article_id for h in only} == {aid}


def test_narrow_filter_finds_the_scopes_own_chunks(news: Index) -> None:
    # A query whose unfiltered dense candidates hold no German chunk still finds German chunks.
    hits = search(news, "parliament budget euros billion", k=1, filters=Filters(lang="de")).hits
    assert [h.chunk.lang for h in hits] == ["de"]


@pytest.mark.parametrize("exact", [300, 0])
def test_a_scope_search_finds_the_nearest_chunks_of_the_scope(  # type: ignore[no-untyped-def]
    settings,
    embedder,
    detector,
    database_url: str,
    tmp_path: Path,
    exact: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Within a period, the nearest chunks of that period, whether its chunks are compared one
    by one (a small scope) or looked for among the nearest of the whole archive (a large one,
    here forced by `EXACT` = 0): both without Chroma's filter, which reads every chunk. The
    catalog in SQLite and in PostgreSQL."""
    from dataclasses import replace

    import numpy as np

    from retrieval.search import hybrid

    monkeypatch.setattr(hybrid, "EXACT", exact)
    news = Index(replace(settings, database_url=database_url), embedder=embedder, detector=detector)
    assert ingest(news, [str(write_news(tmp_path / "news"))]).ok
    assert news.catalog.db.kind == ("sqlite" if database_url.startswith("sqlite") else "postgres")
    scope = Filters(date_from="2024-01-01", date_to="2024-03-01")
    vector = news.centering.query(news.embedder.embed_queries(["storm harbour ferries"])[0], "en")
    inside = news.catalog.chunks_in(scope, 100)
    assert len(inside) == 2  # the harbour story and the Hafen story, not the report of 2023
    stored = news.store.vectors(inside)
    expected = sorted(
        inside,
        key=lambda c: (
            -float(stored[c] @ vector / np.linalg.norm(stored[c]) / np.linalg.norm(vector))
        ),
    )
    got = hybrid._dense_in_scope(news, vector, 10, scope)
    assert [c for c, _ in got] == expected
    assert got[0][1] >= got[1][1]
    news.close()


def test_a_story_timed_on_the_last_day_of_a_period_is_in_it(  # type: ignore[no-untyped-def]
    settings, embedder, detector, database_url: str, tmp_path: Path
) -> None:
    """A feed's date carries its time: "2024-03-01T18:30:00+00:00" is on 1 March, so a period
    that ends on 1 March holds it, for the keyword side and the dense side alike."""
    import json
    from dataclasses import replace

    rec = {"id": "late", "title": "Evening ferry strike", "date": "2024-03-01T18:30:00+00:00",
           "lang": "en", "text": "Ferry crews went on strike in the evening and every harbour "
           "in the north stayed closed until the next morning."}  # fmt: skip
    (tmp_path / "late.jsonl").write_text(json.dumps(rec) + "\n", encoding="utf-8")
    idx = Index(replace(settings, database_url=database_url), embedder=embedder, detector=detector)
    assert ingest(idx, [str(tmp_path / "late.jsonl")]).ok
    march = Filters(date_from="2024-02-01", date_to="2024-03-01")
    assert len(idx.catalog.chunks_in(march, 10)) == 1
    for mode in ("keyword", "hybrid"):
        hits = search(idx, "ferry strike harbour", k=3, filters=march, mode=mode).hits
        assert [h.chunk.title for h in hits] == ["Evening ferry strike"], mode
    assert search(idx, "ferry strike", k=3, filters=Filters(date_to="2024-02-29")).hits == []
    idx.close()


def test_empty_query_and_empty_index(index: Index) -> None:
    assert search(index, "   ").hits == []
    assert search(index, "anything").hits == []


def test_hit_json_fields(news: Index) -> None:
    data = search(news, "budget", k=1).hits[0].to_json()
    assert tuple(data) == HIT_FIELDS


QUESTIONS = {
    # (question, expected article title)
    "en": ("Which phone was Xiaomi's CEO caught using?", "Xiaomi CEO uses an iPhone"),
    "de": ("Warum hält sich Lei Jun aus dem Rampenlicht zurück?", "Der Donnerlord ist anders."),
    "ru": ("Каким телефоном пользуется генеральный директор Xiaomi?", "Xiaomi CEO uses an iPhone"),
    "vi": ("Xiaomi 17 Ultra đã bán được bao nhiêu chiếc?", "Der Donnerlord ist anders."),
    "zh": ("小米CEO雷军被发现使用什么手机？", "Xiaomi CEO uses an iPhone"),
    "es": ("¿Cuánto cuesta el Xiaomi Mi 10 Pro en España?", "Xiaomi CEO uses an iPhone"),
    "fr": (
        "Qui a présenté le Xiaomi 17 Ultra à la place de Lei Jun ?",
        "Der Donnerlord ist anders.",
    ),
}


@pytest.mark.parametrize("lang", list(QUESTIONS))
def test_sample_corpus_cross_lingual(sample_index: Index, lang: str) -> None:
    question, title = QUESTIONS[lang]
    hits = search(sample_index, question, k=1).hits
    assert hits[0].chunk.title == title, f"{lang}: {question}"
