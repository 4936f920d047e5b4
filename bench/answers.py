"""Language detection, offline answers, the not-covered gate, and the answer path's own latency,
on an English-only index, on the mixed-language index (each XQuAD article in one language), and
on a German news corpus with questions in several languages."""

from __future__ import annotations

import json
import random
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

from bench.common import ROOT, SHARED, mem_mb, news_records, pct, save, settings


class _InstantModel:
    """An in-process chat model that answers at once: timing it measures only our own work."""

    name = "instant"

    async def complete(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        return "The answer is in the first source [1]."

    async def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Any:
        yield await self.complete(messages, max_tokens)


def calibration_split(squad_id: str) -> bool:
    """The fifth of XQuAD questions the gate's threshold was chosen on; its rates leave them out."""
    return zlib.crc32(squad_id.encode()) % 5 == 0


def bench_answers(per_lang: int) -> None:
    from retrieval.cli.evaluate import XQUAD_LANGS, load_questions, mixed_corpus
    from retrieval.text.detect import LanguageDetector

    ds = SHARED / "eval" / "xquad"
    out: dict[str, Any] = {"questions_per_language": per_lang}

    # 1. Language detection on every XQuAD question, no hint.
    detector = LanguageDetector()
    detector.detect("warm up")
    everything = load_questions(ds, None, None)
    out["language_detection"] = {}
    for lang, qs in everything.items():
        t0 = time.perf_counter()
        ok = sum(detector.detect(q["question"]) == lang for q in qs)
        out["language_detection"][lang] = {
            "accuracy": round(ok / len(qs), 4), "n": len(qs), "ms_per_question": round((time.perf_counter() - t0) * 1000 / len(qs), 2)
        }  # fmt: skip
    print("language detection", out["language_detection"], flush=True)

    questions = load_questions(ds, None, None, held_out=True)
    rng = random.Random(11)
    picked = {lang: rng.sample(qs, min(per_lang, len(qs))) for lang, qs in questions.items()}
    articles = [
        json.loads(x) for x in (ds / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    english = [a for a in articles if a["lang"] == "en"]
    records, gold = mixed_corpus(ds, list(XQUAD_LANGS))
    text_of = {r["article_id"]: r["text"] for r in records}

    def mixed_answer(q: dict[str, Any]) -> str:
        g = gold[q["squad_id"]]
        start, end = g["span"]
        return str(text_of[g["article_id"]][start:end])

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # 2. Offline answers (and 4. the answer path's latency) on both indexes.
        out["offline"], out["latency_ms"] = {}, {}
        for name, recs, answer_of in (
            ("english", english, lambda q: q["gold_spans"]["en"]["answer"]),
            ("mixed", records, mixed_answer),
        ):
            index = _index(root, name, recs, detector)
            out["offline"][name], out["latency_ms"][name] = _offline(index, picked, answer_of)
            print("offline", name, out["offline"][name]["avg"], flush=True)
            index.close()

        # 3. The gate at the shipped threshold: half of the mixed articles indexed, questions
        # about both halves (not the calibration fifth); and 300 news-de articles with questions
        # (bench/data/news_gate.jsonl) about some of them and about things none of them covers.
        half = [r for i, r in enumerate(records) if (i // len(XQUAD_LANGS)) % 2 == 0]
        held = {r["article_id"] for r in half}
        index = _index(root, "half", half, detector)
        rows = [
            (lang, q["question"], gold[q["squad_id"]]["article_id"] in held)
            for lang, qs in picked.items()
            for q in qs
            if not calibration_split(q["squad_id"])
        ]
        out["gate"] = {"mixed": _gate(index, rows)}
        calibration = [
            (q["question"], gold[q["squad_id"]]["article_id"] in held)
            for qs in questions.values()
            for q in qs
            if calibration_split(q["squad_id"])
        ]
        out["gate"]["calibration"] = _sweep(index, calibration)
        index.close()
        news = [{**r, "lang": "de"} for r in news_records(300)]
        index = _index(root, "news", news, detector)
        asked = [
            json.loads(line)
            for line in (ROOT / "bench" / "data" / "news_gate.jsonl").read_text().splitlines()
        ]
        rows = [(q["lang"], q["question"], q["article"] is not None) for q in asked]
        out["gate"]["news"] = _gate(index, rows)
        out["gate"]["threshold"] = (
            f"{index.settings.gate_min_score} / {index.settings.gate_min_similarity}"
        )
        index.close()
        print("gate", {k: out["gate"][k]["all"] for k in ("mixed", "news")}, flush=True)
    out.update(mem_mb())
    save("answers", out)


def _index(root: Path, name: str, records: list[dict[str, Any]], detector: Any) -> Any:
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index

    src = root / f"{name}.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    index = Index(settings(root / name), detector=detector)
    ingest(index, [str(src)])
    return index


def _offline(index: Any, picked: dict[str, list[dict[str, Any]]], answer_of: Any) -> Any:
    """Share of questions whose offline quotes hold the gold answer, per question language."""
    import asyncio

    from retrieval.answer.answerer import Answerer

    offline, instant = Answerer(index, None), Answerer(index, _InstantModel())
    per: dict[str, Any] = {}
    lat_offline: list[float] = []
    lat_llm: list[float] = []
    total = found_all = answered_all = cited_all = 0
    for lang, qs in picked.items():
        found = answered = in_citation = 0
        for q in qs:
            ans = asyncio.run(offline.answer(q["question"]))
            lat_offline.append(ans.timings["total_ms"])
            if ans.found:
                answered += 1
                gold = answer_of(q).casefold()
                found += gold in ans.text.casefold()  # the three quoted sentences
                in_citation += gold in " ".join(c.quote or "" for c in ans.citations).casefold()
        memo = getattr(index.embedder, "queries", None)
        if memo is not None:  # asked offline just now: embedded again, as a new question is
            memo.clear()
        for q in qs[:20]:
            ans = asyncio.run(instant.answer(q["question"]))
            lat_llm.append(ans.timings["total_ms"] - ans.timings.get("llm_ms", 0.0))
        per[lang] = {
            "answer_in_quotes": round(found / len(qs), 4),
            "answer_in_citation_quotes": round(in_citation / len(qs), 4),
            "answer_in_quotes_when_answered": round(found / max(1, answered), 4),
            "gated_out": round(1 - answered / len(qs), 4),
            "n": len(qs),
        }
        total += len(qs)
        found_all += found
        answered_all += answered
        cited_all += in_citation
    per["avg"] = {
        "answer_in_quotes": round(found_all / max(1, total), 4),
        "answer_in_citation_quotes": round(cited_all / max(1, total), 4),
        "answer_in_quotes_when_answered": round(found_all / max(1, answered_all), 4),
        "gated_out": round(1 - answered_all / max(1, total), 4),
        "n": total,
    }
    latency = {
        "offline_p50": pct(lat_offline, 50), "offline_p95": pct(lat_offline, 95),
        "llm_path_without_model_p50": pct(lat_llm, 50),
        "llm_path_without_model_p95": pct(lat_llm, 95),
    }  # fmt: skip
    return per, latency


def _sweep(index: Any, rows: list[tuple[str, bool]]) -> dict[str, Any]:
    """How the threshold was chosen: FN and FP of the gate's score at each threshold on the
    calibration questions (the shipped one is the lowest with at most 10% false positives)."""
    from retrieval.answer.answerer import Answerer
    from retrieval.search.gate import Gate

    answerer = Answerer(index, None)
    scored = [(Gate.score(answerer.retrieve(q)), covered) for q, covered in rows]
    cov = [sc for sc, c in scored if c]
    absent = [sc for sc, c in scored if not c]
    sweep = {
        f"{t / 100:.2f}": {
            "false_negative": round(sum(sc < t / 100 for sc in cov) / max(1, len(cov)), 4),
            "false_positive": round(sum(sc >= t / 100 for sc in absent) / max(1, len(absent)), 4),
        }
        for t in range(60, 73)
    }
    return {"covered": len(cov), "not_covered": len(absent), "sweep": sweep}


def _gate(index: Any, rows: list[tuple[str, str, bool]]) -> dict[str, Any]:
    """False negatives (covered, refused) and false positives (not covered, let through)."""
    from retrieval.answer.answerer import Answerer

    answerer = Answerer(index, None)
    tally: dict[str, list[int]] = {}  # lang -> [covered, refused, absent, let through]
    for lang, question, covered in rows:
        let = bool(answerer.gate.covered(answerer.retrieve(question)))
        t = tally.setdefault(lang, [0, 0, 0, 0])
        t[0 if covered else 2] += 1
        t[1 if covered else 3] += int(not let if covered else let)
    tally["all"] = [sum(t[i] for t in tally.values()) for i in range(4)]
    return {
        lang: {
            "false_negative": round(t[1] / t[0], 4) if t[0] else None,
            "false_positive": round(t[3] / t[2], 4) if t[2] else None,
            "covered": t[0],
            "not_covered": t[2],
        }
        for lang, t in tally.items()
    }
