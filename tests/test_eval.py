"""`footnote eval xquad` computes recall and MRR from real searches over a real ingest."""

from __future__ import annotations

import json
from pathlib import Path

from retrieval.evaluate import format_table, run_xquad
from retrieval.index import Index
from testing.embedder import HashEmbedder

ART = {
    "x1": "Paris hosts the annual rowing regatta on the river in June.\n\nThe regatta draws crowds of thousands.",
    "x2": "The volcano erupted in 1883 and ash fell across the ocean.\n\nSailors reported red sunsets for months.",
}


def dataset(tmp: Path) -> Path:
    d = tmp / "xq"
    d.mkdir()
    with (d / "articles.jsonl").open("w", encoding="utf-8") as f:
        for aid, text in ART.items():
            f.write(
                json.dumps(
                    {"id": f"{aid}:en", "article_id": aid, "lang": "en", "title": aid, "text": text}
                )
                + "\n"
            )
    qs = [
        ("q1", "en", "When does the rowing regatta take place in Paris?", "x1", "June"),
        ("q2", "en", "In which year did the volcano erupt?", "x2", "1883"),
        ("q3", "de", "Wie viele Menschen schauen zu?", "x1", "thousands"),
    ]
    with (d / "questions.jsonl").open("w", encoding="utf-8") as f:
        for qid, lang, q, aid, ans in qs:
            start = ART[aid].index(ans)
            span = {"answer": ans, "article_span": [start, start + len(ans)]}
            f.write(
                json.dumps(
                    {
                        "qid": qid,
                        "lang": lang,
                        "question": q,
                        "gold_article_id": aid,
                        "answer": ans,
                        "gold_spans": {"en": span},
                    }
                )
                + "\n"
            )
    return d


def test_eval_reports_every_mode_and_language(tmp_path: Path, settings, detector) -> None:  # type: ignore[no-untyped-def]
    idx = Index(settings, embedder=HashEmbedder(), detector=detector)
    res = run_xquad(dataset(tmp_path), ["en"], None, None, 10, settings, index=idx)
    assert set(res) == {"hybrid", "dense", "keyword", "dense_chunks", "meta"}
    en = res["keyword"]["en"]
    assert en["n"] == 2 and en["recall@1"] == 1.0 and en["mrr"] == 1.0, (
        "exact words: BM25 ranks gold first"
    )
    de = res["keyword"]["de"]
    assert de["n"] == 1 and de["recall@10"] == 0.0, "no shared words: keyword search cannot find it"
    assert res["hybrid"]["avg"]["n"] == 3
    assert res["meta"]["chunks"] == 2
    assert "hybrid" in format_table(res)
