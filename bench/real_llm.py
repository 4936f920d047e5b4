"""The model path against a real OpenAI-compatible server (whatever OPENAI_BASE_URL names; for
example ../shared/tools/real-llm.sh, llama.cpp with a 1.5B model):

    OPENAI_BASE_URL=http://127.0.0.1:18431/v1 OPENAI_API_KEY=local OPENAI_MODEL=local \\
        python -m bench.run --only real_llm

A fixed question set on the sample corpus (16 answerable questions in 8 languages, two per
language, and 4 that it does not answer) and 12 XQuAD questions whose article is indexed in
another language, each asked through `Answerer` with streaming, reports
the answer's language, valid and supported citations, refusals and time to first token. False
refusals are counted twice: "before" is the model's own NOT_FOUND on a covered question, "after"
what the user gets now (the passages quoted when search is confident).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, load, pct, save, settings

ANSWERABLE = [
    ("en", "Which phone does the Xiaomi CEO use?"),
    ("en", "Who explained why Lei Jun used an iPhone?"),
    ("de", "Welches Telefon benutzte Lei Jun?"),
    ("de", "Welcher Manager erklärte, warum Lei Jun ein iPhone benutzt?"),
    ("ru", "Каким телефоном пользуется глава Xiaomi?"),
    ("ru", "С какой компанией сотрудничает Xiaomi в Xiaomi 17 Ultra?"),
    ("es", "¿Qué teléfono usa el director ejecutivo de Xiaomi?"),
    ("es", "¿Con qué empresa colabora Xiaomi en el Xiaomi 17 Ultra?"),
    ("fr", "Quel téléphone utilise le PDG de Xiaomi ?"),
    ("fr", "Qui a présenté le Xiaomi 17 Ultra ?"),
    ("zh", "小米的首席执行官用的是什么手机？"),
    ("zh", "小米17 Ultra 与哪家公司合作？"),
    ("vi", "Giám đốc điều hành của Xiaomi dùng điện thoại gì?"),
    ("vi", "Xiaomi hợp tác với công ty nào cho Xiaomi 17 Ultra?"),
    ("it", "Quale telefono usa l'amministratore delegato di Xiaomi?"),
    ("it", "Chi ha spiegato perché Lei Jun usava un iPhone?"),
]
NOT_ANSWERABLE = [
    ("en", "Who won the 2022 football world cup?"),
    ("de", "Wie hoch ist der Eiffelturm?"),
    ("es", "¿Cuál es la capital de Australia?"),
    ("ru", "Когда прошли Олимпийские игры в Токио?"),
]


def bench_real_llm() -> None:
    if not os.environ.get("OPENAI_BASE_URL"):
        print(
            "real_llm skipped: OPENAI_BASE_URL is not set (start a server, e.g. "
            "../shared/tools/real-llm.sh, and set OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL)",
            file=sys.stderr,
        )
        return
    asyncio.run(_run())


async def _run() -> None:
    from retrieval.answer.answerer import Answerer
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index
    from retrieval.llm.client import make_llm
    from retrieval.settings import Settings
    from retrieval.text.detect import LanguageDetector

    env = Settings.from_env()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        s = settings(Path(tmp) / "data")
        from dataclasses import replace

        s = replace(s, openai_base_url=env.openai_base_url, openai_api_key=env.openai_api_key,
                    llm_model=env.llm_model, llm_timeout=max(env.llm_timeout, 180.0))  # fmt: skip
        index = Index(s)
        assert ingest(index, [str(ROOT / "corpus")]).ok
        llm = make_llm(s)
        assert llm is not None
        answerer = Answerer(index, llm)
        detector = LanguageDetector()
        questions = [(lang, q, True) for lang, q in ANSWERABLE]
        questions += [(lang, q, False) for lang, q in NOT_ANSWERABLE]
        for lang, question, answerable in questions:
            first: list[float] = []
            started = time.perf_counter()

            async def on_delta(
                _: str, first: list[float] = first, started: float = started
            ) -> None:
                if not first:
                    first.append(time.perf_counter() - started)

            ans = await answerer.answer(question, on_delta=on_delta)
            total = time.perf_counter() - started
            refused_by_model = ans.note.startswith("the model found no answer")
            unsupported = _unsupported(index, ans) if ans.mode == "llm" and ans.found else 0
            body = ans.text.split("\n\n", 1)[-1]
            rows.append({
                "lang": lang, "question": question, "answerable": answerable,
                "found": ans.found, "mode": ans.mode, "note": ans.note,
                "language_ok": ans.language == lang and (
                    ans.mode != "llm" or detector.detect(body) in ("", lang)),
                "citations": len(ans.citations),
                "coverage": ans.coverage,
                "unsupported_sentences": unsupported,
                "model_refused": refused_by_model,
                "first_token_s": round(first[0], 2) if first else None,
                "total_s": round(total, 2),
                "text": ans.text[:300],
            })  # fmt: skip
            print(f"{lang} {ans.mode} found={ans.found} {total:.1f}s {ans.text[:80]!r}")
        index.close()
        rows += await _xquad_rows(llm, Path(tmp), detector)
        await llm.close()
    xq = [r for r in rows if r.get("set") == "xquad"]
    rows = [r for r in rows if r.get("set") != "xquad"]
    answerable_rows = [r for r in rows if r["answerable"]]
    refusable = [r for r in rows if not r["answerable"]]
    first_tokens = [r["first_token_s"] for r in rows if r["first_token_s"] is not None]
    earlier = load("real_llm") or {}
    before = earlier.get("before") or {k: v for k, v in earlier.items() if k != "rows"}
    save("real_llm", {
        "before": before,
        "server": env.openai_base_url.split("//")[-1].split("/")[0], "model": env.llm_model,
        "answerable": len(answerable_rows), "not_answerable": len(refusable),
        "language_ok": sum(r["language_ok"] for r in rows),
        "answered_by_model": sum(r["mode"] == "llm" and r["found"] for r in answerable_rows),
        "cited": sum(r["citations"] > 0 for r in answerable_rows if r["found"]),
        "false_refusals_before": sum(r["model_refused"] or not r["found"]
                                     for r in answerable_rows),
        "false_refusals_after": sum(r["coverage"] == "not_covered" for r in answerable_rows),
        "refused_correctly": sum(r.get("coverage", "") == "not_covered" or not r["found"]
                                 for r in refusable),
        "uncertain": sum(r.get("coverage") == "uncertain" for r in answerable_rows),
        "shown_as_sourced_with_a_missing_fact": sum(r.get("unsupported_sentences", 0) > 0
                                                    for r in rows),
        "first_token_s": {"p50": pct(first_tokens, 50, 2), "p95": pct(first_tokens, 95, 2)},
        "total_s": {"p50": pct([r["total_s"] for r in rows], 50, 2),
                    "p95": pct([r["total_s"] for r in rows], 95, 2)},
        "xquad_cross_language": {
            "questions": len(xq),
            "false_refusals_before": sum(r["model_refused"] or not r["found"] for r in xq),
            "false_refusals_after": sum(r["coverage"] == "not_covered" for r in xq),
            "uncertain": sum(r["coverage"] == "uncertain" for r in xq),
            "answered_by_model": sum(r["mode"] == "llm" and r["found"] for r in xq),
        },
        "rows": rows + xq,
    })  # fmt: skip


def _unsupported(index: Any, ans: Any) -> int:
    """Sentences of a model's answer shown as sourced whose cited passage lacks one of their
    numbers or of their names that a cited passage holds."""
    import re

    from retrieval.answer.support import missing_facts, sentences_with_marks
    from retrieval.types import Hit

    by_id = index.catalog.chunks_by_id([c.chunk_id for c in ans.citations])
    hits = [Hit(by_id[c.chunk_id], 0.0) for c in ans.citations if c.chunk_id in by_id]
    if len(hits) != len(ans.citations):
        return 0
    bad = 0
    for sentence in sentences_with_marks(ans.text):
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", sentence)}
        if not cited:
            continue
        lacking = missing_facts(sentence, ans.standalone_question or ans.question, hits,
                                ans.language)  # fmt: skip
        bad += any(lacking[n - 1] for n in cited if 1 <= n <= len(hits))
    return bad


XQUAD_LANGS = ["en", "de", "es", "ru", "zh", "ar", "vi", "th", "tr", "el", "hi", "ro"]


async def _xquad_rows(llm: Any, tmp: Path, detector: Any) -> list[dict[str, Any]]:
    """One XQuAD question per language whose article is indexed in another language (the mixed
    corpus of the xquad section), asked through the same answerer."""
    import json
    import random

    from bench.common import SHARED
    from retrieval.answer.answerer import Answerer
    from retrieval.cli.evaluate import mixed_corpus
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index

    records, gold = mixed_corpus(SHARED / "eval/xquad", XQUAD_LANGS)
    path = tmp / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    index = Index(settings(tmp / "xquad"))
    assert ingest(index, [str(path)]).ok
    answerer = Answerer(index, llm)
    questions = [json.loads(line) for line in
                 (SHARED / "eval/xquad/questions.jsonl").read_text("utf-8").splitlines()]  # fmt: skip
    rng = random.Random(5)
    rows = []
    for lang in XQUAD_LANGS:
        pool = [q for q in questions if q["lang"] == lang and gold[q["squad_id"]]["lang"] != lang]
        q = rng.choice(pool)
        started = time.perf_counter()
        ans = await answerer.answer(q["question"])
        rows.append({"lang": lang, "question": q["question"], "answerable": True,
                     "set": "xquad", "found": ans.found, "mode": ans.mode, "note": ans.note,
                     "coverage": ans.coverage,
                     "language_ok": ans.language == lang, "citations": len(ans.citations),
                     "model_refused": ans.note.startswith("the model found no answer"),
                     "first_token_s": None, "total_s": round(time.perf_counter() - started, 2),
                     "text": ans.text[:300]})  # fmt: skip
        print(f"xquad {lang} {ans.mode} found={ans.found} {ans.text[:80]!r}")
    index.close()
    return rows


def render_real_llm(d: dict[str, Any]) -> list[str]:
    n = d["answerable"] + d["not_answerable"]
    if "before" not in d:  # saved by the earlier version of this section
        return _render_single(d, n)
    b = d.get("before") or {}

    def both(key: str, total: int, old_key: str = "") -> str:
        old = b.get(old_key or key)
        now = f"{d.get(key, 0)}/{total}"
        return f"{old}/{total} | {now}" if old is not None else f"- | {now}"

    return [
        *_heading(
            d,
            "*Before*: the previous run "
            f"({b.get('measured_at', 'not recorded')}), when the gate refused before the "
            "model and a citation needed only a share of its names in the passage.",
        ),
        "| figure | before | now |",
        "|---|---|---|",
        f"| answer in the question's language | {both('language_ok', n)} |",
        f"| answerable: written by the model | {both('answered_by_model', d['answerable'])} |",
        f"| answerable: with citations | {both('cited', d['answerable'])} |",
        f"| false refusals, the model's own | {both('false_refusals_before', d['answerable'])} |",
        f"| false refusals, what the user gets (not covered) | "
        f"{both('false_refusals_after', d['answerable'])} |",
        f"| answerable: shown as uncertain | {both('uncertain', d['answerable'])} |",
        f"| not answerable: refused | {both('refused_correctly', d['not_answerable'])} |",
        f"| answers shown as sourced with a number or name missing from the cited passage | "
        f"{both('shown_as_sourced_with_a_missing_fact', n)} |",
        f"| time to first token p50 / p95 | {b.get('first_token_s', {}).get('p50', '-')} / "
        f"{b.get('first_token_s', {}).get('p95', '-')} s | {d['first_token_s']['p50']} / "
        f"{d['first_token_s']['p95']} s |",
        f"| whole answer p50 / p95 | {b.get('total_s', {}).get('p50', '-')} / "
        f"{b.get('total_s', {}).get('p95', '-')} s | {d['total_s']['p50']} / "
        f"{d['total_s']['p95']} s |",
        "",
        *_xquad_lines(d.get("xquad_cross_language")),
    ]


def _heading(d: dict[str, Any], note: str) -> list[str]:
    return [
        "## A real model (OpenAI-compatible server)",
        "",
        f"Measured {d['measured_at']} on {d['machine']} against `{d['model']}` at {d['server']}: "
        "`OPENAI_BASE_URL=… python -m bench.run --only real_llm` (the sample corpus; "
        f"{d['answerable']} answerable questions in 8 languages, {d['not_answerable']} "
        f"it does not answer). {note}",
        "",
    ]


def _render_single(d: dict[str, Any], n: int) -> list[str]:
    return [
        *_heading(d, "Not rerun since the gate and citation changes of 2026-12-05."),
        "| figure | value |",
        "|---|---|",
        f"| answer in the question's language | {d['language_ok']}/{n} |",
        f"| answerable: written by the model | {d['answered_by_model']}/{d['answerable']} |",
        f"| answerable: with citations | {d['cited']}/{d['answerable']} |",
        f"| false refusals, the model's own | {d['false_refusals_before']}/{d['answerable']} |",
        f"| false refusals, what the user gets | {d['false_refusals_after']}/{d['answerable']} |",
        f"| not answerable: refused | {d['refused_correctly']}/{d['not_answerable']} |",
        f"| time to first token p50 / p95 | {d['first_token_s']['p50']} / "
        f"{d['first_token_s']['p95']} s |",
        f"| whole answer p50 / p95 | {d['total_s']['p50']} / {d['total_s']['p95']} s |",
        "",
        *_xquad_lines(d.get("xquad_cross_language")),
    ]


def _xquad_lines(x: dict[str, Any] | None) -> list[str]:
    if not x or not x["questions"]:
        return []
    n = x["questions"]
    return [
        f"XQuAD, one question per language whose article is indexed in another language ({n}): "
        f"false refusals {x['false_refusals_before']}/{n} by the model itself, "
        + (
            f"{x['false_refusals_after']}/{n} told not covered, {x['uncertain']}/{n} shown as "
            "uncertain; "
            if "uncertain" in x
            else f"{x['false_refusals_after']}/{n} for the user (quotes when search is sure); "
        )
        + f"written by the model {x['answered_by_model']}/{n}.",
        "",
    ]
