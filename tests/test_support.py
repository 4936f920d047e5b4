"""Citation support: a valid number pointing at a passage that does not say what the sentence
says is moved to the passage that does, or dropped."""

from __future__ import annotations

from retrieval.index import Index
from retrieval.search import search
from retrieval.support import check_support, sentences_with_marks


def test_sentences_keep_their_marks() -> None:
    text = "Er nutzte ein iPhone [1]. Das sagte Lu Weibing. [2] Danach? Nichts [1][3]"
    assert sentences_with_marks(text) == [
        "Er nutzte ein iPhone [1]. ", "Das sagte Lu Weibing. [2]", " Danach? ", "Nichts [1][3]",
    ]  # fmt: skip


def test_a_citation_of_the_wrong_passage_moves_to_the_one_that_supports_it(
    sample_index: Index,
) -> None:
    question = "Welches Telefon benutzte Lei Jun?"
    hits = search(sample_index, question, 6, query_lang="de").hits
    phone = [i + 1 for i, h in enumerate(hits) if "iPhone" in h.chunk.text]
    other = [i + 1 for i, h in enumerate(hits) if "iPhone" not in h.chunk.text and
             "phone" not in h.chunk.text.lower() and h.chunk.lang == "de"]  # fmt: skip
    assert phone and other
    wrong = f"Lei Jun benutzte ein iPhone, um es zu testen [{other[0]}]."
    fixed, report = check_support(sample_index, wrong, hits, "de")
    assert report.moved and report.moved[0][1] == other[0]
    assert f"[{report.moved[0][2]}]" in fixed and report.moved[0][2] in phone

    right = f"Lei Jun benutzte ein iPhone, um es zu testen [{phone[0]}]."
    kept, report = check_support(sample_index, right, hits, "de")
    assert kept == right and not report.moved and not report.dropped

    unsupported = "Der Mond besteht aus grünem Käse [1]."
    dropped, report = check_support(sample_index, unsupported, hits, "de")
    assert "[1]" not in dropped and report.dropped and report.unsourced == 1
