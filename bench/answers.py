"""Language detection, offline answers, the not-covered gate, and the answer path's own latency."""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import SHARED, mem_mb, pct, save, settings


class _InstantModel:
    """An in-process chat model that answers at once: timing it measures only our own work."""

    name = "instant"

    async def complete(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        return "The answer is in the first source [1]."

    async def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Any:
        yield await self.complete(messages, max_tokens)


def bench_answers(per_lang: int) -> None:
    """Language detection, offline answers, the not-covered gate, and answer-path latency."""
    import asyncio

    from retrieval.answer import Answerer
    from retrieval.evaluate import load_questions
    from retrieval.index import Index
    from retrieval.ingest import ingest
    from retrieval.lang import LanguageDetector

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

    articles = [
        json.loads(x) for x in (ds / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    en = [a for a in articles if a["lang"] == "en"]
    half = {a["article_id"] for a in en if int(a["article_id"][2:]) % 2 == 0}
    sample = load_questions(ds, None, None)
    rng = random.Random(11)

    with tempfile.TemporaryDirectory() as tmp:
        # 2. Offline answers on the full English index; 4. latency of the answer path.
        full = Path(tmp) / "full.jsonl"
        full.write_text("\n".join(json.dumps(a) for a in en), encoding="utf-8")
        index = Index(settings(Path(tmp) / "full"), detector=detector)
        ingest(index, [str(full)])
        offline = Answerer(index, None)
        instant = Answerer(index, _InstantModel())
        out["offline"] = {}
        lat_offline: list[float] = []
        lat_llm: list[float] = []
        for lang, qs in sample.items():
            picked = rng.sample(qs, min(per_lang, len(qs)))
            found = answered = 0
            for q in picked:
                ans = asyncio.run(offline.answer(q["question"]))
                lat_offline.append(ans.timings["total_ms"])
                if ans.found:
                    answered += 1
                    quotes = " ".join(c.quote for c in ans.citations).lower()
                    found += q["gold_spans"]["en"]["answer"].lower() in quotes
            for q in picked[:20]:
                ans = asyncio.run(instant.answer(q["question"]))
                lat_llm.append(ans.timings["total_ms"] - ans.timings.get("llm_ms", 0.0))
            out["offline"][lang] = {
                "answer_in_quotes": round(found / len(picked), 4),
                "answer_in_quotes_when_answered": round(found / max(1, answered), 4),
                "gated_out": round(1 - answered / len(picked), 4),
                "n": len(picked),
            }
        out["latency_ms"] = {
            "offline_p50": round(pct(lat_offline, 50), 1), "offline_p95": round(pct(lat_offline, 95), 1),
            "llm_path_without_model_p50": round(pct(lat_llm, 50), 1),
            "llm_path_without_model_p95": round(pct(lat_llm, 95), 1),
        }  # fmt: skip
        print("offline", out["offline"], out["latency_ms"], flush=True)
        index.close()

        # 3. The gate, at the shipped threshold, on an index holding half of the articles.
        part = Path(tmp) / "half.jsonl"
        part.write_text(
            "\n".join(json.dumps(a) for a in en if a["article_id"] in half), encoding="utf-8"
        )
        index = Index(settings(Path(tmp) / "half"), detector=detector)
        ingest(index, [str(part)])
        ans_gate = Answerer(index, None)
        out["gate"] = {
            "threshold": f"{index.settings.gate_min_score} / {index.settings.gate_min_similarity}"
        }
        for lang, qs in sample.items():
            covered = [q for q in qs if q["gold_article_id"] in half]
            absent = [q for q in qs if q["gold_article_id"] not in half]
            fn = sum(
                not _covered(ans_gate, q["question"]) for q in rng.sample(covered, per_lang // 2)
            )
            fp = sum(_covered(ans_gate, q["question"]) for q in rng.sample(absent, per_lang // 2))
            out["gate"][lang] = {
                "false_negative": round(fn / (per_lang // 2), 4),
                "false_positive": round(fp / (per_lang // 2), 4),
                "n": per_lang,
            }
        print("gate", out["gate"], flush=True)
        index.close()
    out.update(mem_mb())
    save("answers", out)


def _covered(answerer: Any, question: str) -> bool:
    return bool(answerer.gate.covered(answerer.retrieve(question)))
