"""`footnote eval xquad` computes recall and MRR from real searches over a real ingest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retrieval.cli.evaluate import format_table, run_xquad
from retrieval.index.parts import Index
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


SQUAD = {
    "en": [
        ("Paris regatta", "Paris hosts the annual rowing regatta on the river in June.", "sq1",
         "When is the regatta?", "June"),
        ("Krakatoa", "The volcano erupted in 1883 and ash fell across the ocean.", "sq2",
         "When did the volcano erupt?", "1883"),
    ],
    "de": [
        ("Paris regatta", "Paris veranstaltet im Juni die jährliche Ruderregatta auf dem Fluss.",
         "sq1", "Wann ist die Regatta?", "Juni"),
        ("Krakatoa", "Der Vulkan brach 1883 aus und Asche fiel über den Ozean.", "sq2",
         "Wann brach der Vulkan aus?", "1883"),
    ],
}  # fmt: skip


def mixed_dataset(tmp: Path) -> Path:
    d = tmp / "xqm"
    d.mkdir()
    with (d / "questions.jsonl").open("w", encoding="utf-8") as qf:
        for lang, arts in SQUAD.items():
            data = []
            for i, (title, ctx, qid, q, ans) in enumerate(arts):
                qa = {"id": qid, "question": q, "answers": [{"text": ans, "answer_start": ctx.index(ans)}]}  # fmt: skip
                data.append({"title": title, "paragraphs": [{"context": ctx, "qas": [qa]}]})
                qf.write(json.dumps({"qid": f"{qid}-{lang}", "squad_id": qid, "lang": lang,
                                     "question": q, "gold_article_id": f"x{i}"}) + "\n")  # fmt: skip
            (d / f"xquad.{lang}.json").write_text(json.dumps({"data": data}), encoding="utf-8")
    return d


def test_mixed_puts_every_article_in_one_language_with_its_gold_there(
    tmp_path: Path, settings, detector
) -> None:  # type: ignore[no-untyped-def]
    distractor = tmp_path / "distractor.txt"
    distractor.write_text("Ruderregatta im Juni\n\nEine andere Ruderregatta auf einem See im Juni.")
    idx = Index(settings, embedder=HashEmbedder(), detector=detector)
    res = run_xquad(mixed_dataset(tmp_path), ["en", "de"], None, None, 10, settings, index=idx,
                    mixed=True, distractors=[str(distractor)])  # fmt: skip
    meta = res["meta"]
    assert meta["mixed"] and meta["articles"] == 3 and meta["distractors"]
    kw = res["keyword"]
    # Gold of sq1 is article 0 in English, of sq2 article 1 in German. BM25 finds the English
    # regatta for the German question through the capitalised "Regatta" (an anchor, any
    # language), the German volcano through "Vulkan" (its own language); the English volcano
    # question shares no word with its German gold.
    assert kw["de"]["recall@1"] == 1.0 and kw["en"]["recall@10"] == 0.5
    assert {"same_language", "cross_language"} <= set(meta)
    assert "mixed: each article in one of en,de" in format_table(res)


def test_the_throwaway_eval_index_never_touches_the_shared_catalog(
    tmp_path: Path,
    settings,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    """With DATABASE_URL set, the eval's temporary index would keep its catalog in PostgreSQL
    after its vectors were deleted, and the next run would skip embedding and measure nothing."""
    from dataclasses import replace

    from retrieval.cli import evaluate

    opened = []

    class Opened(Exception):
        pass

    def capture(s: Any, *args: Any, **kw: Any) -> None:
        opened.append(s)
        raise Opened

    monkeypatch.setattr(evaluate, "Index", capture)
    shared = replace(
        settings, database_url="postgresql://footnote@db/footnote", chroma_host="chroma"
    )
    with pytest.raises(Opened):
        run_xquad(dataset(tmp_path), ["en"], None, None, 10, shared)
    s = opened[0]
    assert not s.database_url and s.chroma_host == "" and "footnote-eval-" in str(s.data_dir)
