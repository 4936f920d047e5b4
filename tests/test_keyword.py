"""Keyword search inside the catalog's database, on both engines: what matches (anchors in every
language, a question's own words in its language), what a write adds and a forget removes in
the same transaction, and an upgraded catalog's words indexed once on open."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from retrieval.index import keyword
from retrieval.index.catalog import Catalog
from retrieval.index.keyword import ROWS, KeywordIndex, Scope, candidates, key
from retrieval.index.sql import Database, PostgresDatabase, SqliteDatabase
from retrieval.text.analysis import anchors
from retrieval.types import Article, Chunk


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database: Database = SqliteDatabase(tmp_path / "catalog.sqlite3")
    else:
        server = request.getfixturevalue("postgres")
        url = server.create_database(f"k{uuid.uuid4().hex[:12]}")
        database = PostgresDatabase(url, "catalog_test")
    yield database
    database.close()


def chunk(chunk_id: str, article_id: str, lang: str, text: str) -> Chunk:
    return Chunk(chunk_id, article_id, 0, text, 0, len(text), lang, "", "", "", "")


def indexed(db: Database, rows: list[tuple[str, str, str, str, str]]) -> KeywordIndex:
    """rows: (chunk_id, article_id, lang, date, text)."""
    kw = Catalog(db).keyword  # its tables come with the catalog's migrations
    db.transact(
        kw.replace([], [(chunk(c, a, lang, text), "", day) for c, a, lang, day, text in rows])
    )
    return kw


def test_a_number_in_any_scripts_digits_matches_the_same_number(db: Database) -> None:
    assert anchors("ماذا حدث في عام ٢٠٢٣؟") == ["2023"] == anchors("२०२३ में क्या हुआ?")
    kw = indexed(db, [
        ("en-0", "a", "en", "", "The bridge opened in 2023 after four years of works."),
        ("fa-0", "b", "fa", "", "پل در سال ۱۴۰۲ (۲۰۲۳) افتتاح شد."),
        ("en-1", "c", "en", "", "The bridge was planned in 2019."),
    ])  # fmt: skip
    shared = dict(kw.search_anchors("متى افتتح الجسر في ٢٠٢٣؟", 10))
    assert shared.keys() == {"en-0", "fa-0"}, "Arabic-Indic, Persian and ASCII digits alike"


def test_a_name_counts_once_per_passage_and_once_per_question(db: Database) -> None:
    kw = indexed(db, [
        ("de-0", "a", "de", "", "Lei Jun hier, Lei Jun dort: Lei Jun ist in den Medien. " * 3),
        ("en-0", "b", "en", "", "Lei Jun was seen with an iPhone instead of his own phone."),
        ("fr-0", "c", "fr", "", "Un article sans rapport avec la question posée."),
    ])  # fmt: skip
    q = "Welches Telefon benutzte Lei Jun?"
    shared = dict(kw.search_anchors(q, 10))
    assert shared.keys() == {"de-0", "en-0"} and shared["de-0"] == shared["en-0"] == 1.0, (
        "a passage repeating a name does not outvote the one that names it once"
    )
    assert kw.search(q, 10, lang="de") == [], "the names were voted for already, in every language"
    assert kw.search("Lei Jun Medien hier", 10, lang="de")[0][0] == "de-0"  # its own words count


def test_words_rank_by_rarity_and_stay_in_the_questions_language(db: Database) -> None:
    kw = indexed(db, [
        ("en-0", "a", "en", "2026-01-02", "The harbour locks were closed for repairs in winter."),
        ("en-1", "b", "en", "2026-03-04", "The harbour was busy; ships waited for the tide."),
        ("en-2", "c", "en", "2026-05-06", "Winter storms closed schools across the region."),
        ("de-0", "d", "de", "2026-05-06", "Die Schleusen im Hafen wurden im Winter repariert."),
    ])  # fmt: skip
    hits = kw.search("When were the harbour locks closed for repairs?", 10, lang="en")
    assert hits[0][0] == "en-0" and {c for c, _ in hits} <= {"en-0", "en-1", "en-2"}
    assert 0.3 < hits[0][1] <= 1 and all(0 < m <= 1 for _, m in hits)
    assert kw.search("harbour ships", 10, lang="de") == []  # English words, German chunks
    assert [c for c, _ in kw.search("Schleusen winter", 10, lang="de")] == ["de-0"]
    # Scopes: a language, dates (an undated chunk is outside any date range), an article.
    assert {c for c, _ in kw.search("harbour", 10, Scope(date_from="2026-03-01"), "en")} == {"en-1"}
    assert {c for c, _ in kw.search("winter", 10, Scope(date_to="2026-02-01"), "en")} == {"en-0"}
    assert kw.search("winter", 10, Scope(lang="de"), "en") == []
    assert kw.allowed(["en-0", "en-1", "de-0", "nope"], Scope(article_id="d")) == {"de-0"}


def test_common_words_find_chunks_only_in_pairs_within_the_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(keyword, "RANKED", 4_000)
    counts = {"a": 1, "b": 2, "c": 5_000, "d": 6_000, "e": 500_000}
    # Rare words alone; pairs of the others while their estimated rows (30, 2,500) fit.
    want = [("a",), ("b",), ("c", "d"), ("c", "e")]
    assert candidates(["e", "d", "c", "b", "a"], counts, 1_000_000) == want
    assert candidates(["e"], counts, 1_000_000) == [("e",)], "one clause, however common"


def test_a_search_reads_a_bounded_number_of_rows_and_ranks_them_by_every_word(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    kw = indexed(db, [
        ("en-0", "a", "en", "", "Zorblat news."),
        *((f"en-{i}", "b", "en", "", f"Closed roads, story {i}.") for i in range(1, 4)),
        *((f"en-{i}", "c", "en", "", f"Another story, number {i}.") for i in range(4, 8)),
        ("en-8", "d", "en", "", "The quay was closed."),
        ("en-9", "e", "en", "", "The quay was open."),
    ])  # fmt: skip
    question = "zorblat quay closed"
    every = {"en-0", "en-1", "en-2", "en-3", "en-8", "en-9"}
    assert {c for c, _ in kw.search(question, 10, lang="en")} == every
    assert len(kw.search_anchors("news of Zorblat Closed", 10)) == 5
    monkeypatch.setattr(keyword, "RANKED", 3)
    monkeypatch.setattr(keyword, "ANCHORED", 3)
    hits = [c for c, _ in kw.search(question, 10, lang="en")]
    assert hits.index("en-8") < hits.index("en-9"), "closed counts in the rank"
    if db.kind == "postgres":  # zorblat (1 chunk) and quay (2) find chunks, closed (4) not
        assert set(hits) == {"en-0", "en-8", "en-9"}
    else:  # FTS5 ranks every match in its word lists (and only by the words a row matched)
        assert len(hits) == 6
    assert [c for c, _ in kw.search_anchors("news of Zorblat Closed", 10)] == ["en-0"]


def test_text_from_a_page_is_never_query_syntax(db: Database) -> None:
    hostile = "NEAR( \"quote * OR AND NOT ^col: ' ) -- ; DROP TABLE chunks; {x} \\"
    kw = indexed(db, [("en-0", "a", "en", "", f"A page that says {hostile} and harbour.")])
    assert [c for c, _ in kw.search(f"{hostile} harbour", 5, lang="en")] == ["en-0"]
    # Its capitalised words ("NEAR", "AND", "DROP") are anchors: plain words to both engines.
    assert [c for c, m in kw.search_anchors(hostile, 5) if m == 1.0] == ["en-0"]
    assert db.query("SELECT COUNT(*) AS n FROM chunks")[0]["n"] == 0  # the table is still there


def test_a_write_and_a_forget_change_the_words_in_the_same_transaction(db: Database) -> None:
    catalog = Catalog(db)
    art = Article("a1", "Harbour news", "", "https://example.org/a", "example.org", "2026-01-02",
                  "en", "hash")  # fmt: skip
    chunks = [chunk("a1-0000", "a1", "en", "The zorblat quay was closed."),
              chunk("a1-0001", "a1", "en", "Ships waited outside the harbour.")]  # fmt: skip
    catalog.begin_article(art, len(chunks))
    catalog.commit_article(art, chunks, ["h0", "h1"])
    assert [c for c, _ in catalog.keyword.search("zorblat", 5, lang="en")] == ["a1-0000"]
    assert catalog.keyword.search("harbour news", 5, lang="en"), "the title's words count too"
    assert catalog.keyword.count() == 2
    # Written again with one chunk: the old words leave, the counts follow.
    catalog.commit_article(art, chunks[1:], ["h1"])
    assert catalog.keyword.search("zorblat", 5, lang="en") == []
    assert catalog.keyword.count() == 1
    catalog.delete_article("a1")
    assert catalog.keyword.count() == 0
    assert db.query("SELECT term, docs FROM word_counts WHERE term != :r", {"r": ROWS}) == []
    assert db.query("SELECT chunk_id FROM chunk_words") == []


def test_an_upgraded_catalog_gets_its_words_once_and_old_bm25_files_go(
    tmp_path: Path, settings: Any, embedder: Any, detector: Any
) -> None:
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index
    from retrieval.search.hybrid import search
    from testing.files import write_articles

    write_articles(tmp_path / "in", 2, 2, "Quay note {i}{p}: the zorblat was closed.", "Quay {i}")
    index = Index(settings, embedder=embedder, detector=detector)
    assert ingest(index, [str(tmp_path / "in")]).ok
    index.close()
    # As an earlier release left it: chunk rows without words, a BM25 directory beside them.
    db = SqliteDatabase(settings.data_dir / "catalog.sqlite3")
    db.transact([("DELETE FROM chunk_words", {}), ("DELETE FROM word_counts", {}),
                 ("DELETE FROM meta WHERE key = 'keyword_index'", {})])  # fmt: skip
    db.close()
    (settings.data_dir / "bm25").mkdir()
    (settings.data_dir / "bm25" / "footnote.json").write_text("{}")
    index = Index(settings, embedder=embedder, detector=detector)
    try:
        assert not (settings.data_dir / "bm25").exists()
        n = index.catalog.counts()["chunks"]
        assert n > 0 and index.keyword.count() == n
        hits = search(index, "zorblat", k=3, mode="keyword", query_lang="en").hits
        assert hits and "zorblat" in hits[0].chunk.text
        assert key(hits[0].chunk.chunk_id) > 0
    finally:
        index.close()
