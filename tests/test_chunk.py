"""Chunks follow paragraphs and sentences, fit the token budget, and are exact spans of the text."""

from __future__ import annotations

from itertools import pairwise

from retrieval.text.chunk import chunk_spans
from retrieval.text.sentences import estimate_tokens, paragraph_spans, sentence_spans


def words(text: str) -> int:
    return len(text.split())


def test_spans_are_exact_slices_and_cover_every_paragraph() -> None:
    paras = [" ".join(f"w{p}_{i}." for i in range(30)) for p in range(6)]
    text = "\n\n".join(paras)
    spans = chunk_spans(text, words, max_tokens=50, overlap_tokens=5)
    covered = "".join(text[s:e] for s, e in spans)
    for p in paras:
        for w in p.split():
            assert w in covered
    for s, e in spans:
        assert text[s:e] == text[s:e].strip()
        assert words(text[s:e]) <= 50


def test_paragraph_is_one_chunk_when_it_fits() -> None:
    paras = ["First paragraph. " * 10, "Second paragraph. " * 10, "Third paragraph. " * 10]
    text = "\n\n".join(p.strip() for p in paras)
    spans = chunk_spans(text, words, max_tokens=60, overlap_tokens=8)
    assert [text[s:e] for s, e in spans] == [p.strip() for p in paras]


def test_short_paragraphs_and_headings_merge() -> None:
    text = "A heading\n\nOne short line.\n\nAnother short line.\n\n" + "Long sentence here. " * 20
    spans = chunk_spans(text, words, max_tokens=90, overlap_tokens=8)
    first = text[spans[0][0] : spans[0][1]]
    assert first.startswith("A heading\n\nOne short line.\n\nAnother short line.")


def test_long_paragraph_splits_at_sentences_with_overlap() -> None:
    sentences = [f"Sentence number {i} has exactly seven words." for i in range(40)]
    text = " ".join(sentences)
    spans = chunk_spans(text, words, max_tokens=50, overlap_tokens=10)
    assert len(spans) > 1
    chunks = [text[s:e] for s, e in spans]
    for c in chunks:
        assert c.endswith("words."), "breaks fall on sentence ends"
    for a, b in pairwise(chunks):
        last = a.rsplit("Sentence", 1)[1]
        assert b.startswith("Sentence" + last), "the last sentence carries over"


def test_unspaced_script_is_cut_within_budget() -> None:
    text = "这是一个很长的中文句子没有任何标点符号" * 60
    spans = chunk_spans(text, estimate_tokens, max_tokens=100, overlap_tokens=0)
    assert len(spans) > 5
    assert all(estimate_tokens(text[s:e]) <= 100 for s, e in spans)
    assert "".join(text[s:e] for s, e in spans) == text


def test_sentence_and_paragraph_splitting() -> None:
    text = "Dr. Smith arrived. He said “hello!” Then left…  Next one?\n\n第一句。第二句！"
    paras = paragraph_spans(text)
    assert len(paras) == 2
    s0 = [text[a:b] for a, b in sentence_spans(text, *paras[0])]
    assert s0[-1] == "Next one?"
    assert [text[a:b] for a, b in sentence_spans(text, *paras[1])] == ["第一句。", "第二句！"]


def test_empty_text_has_no_chunks() -> None:
    assert chunk_spans("   \n\n  ", words) == []
