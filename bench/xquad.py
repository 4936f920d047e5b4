"""Cross-lingual retrieval quality on XQuAD, every search mode, per question language: an
English-only index, the mixed index (each article in one language), and the mixed index with the
news-de articles as distractors."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import SHARED, load, news_records, save, settings

VARIANTS = ("english", "mixed", "mixed_news")


def bench_xquad(limit: int | None, variants: tuple[str, ...] = VARIANTS) -> None:
    """Questions the search's weights were tuned on (evaluate.DEV_SAMPLE) are left out."""
    from retrieval.cli.evaluate import XQUAD_LANGS, run_xquad

    dataset = SHARED / "eval" / "xquad"
    results: dict[str, Any] = {}
    before = (load("xquad") or {}).get("variants", {})
    for name, res in before.items():  # not rerun: kept with when it was measured
        if name not in variants:
            meta = res.setdefault("meta", {})
            meta.setdefault("measured_at", (load("xquad") or {}).get("measured_at", ""))
            meta.setdefault("note", "not rerun with the later variants")
            results[name] = res
    for variant in variants:
        with tempfile.TemporaryDirectory() as tmp:
            distractors = None
            if variant == "mixed_news":
                path = Path(tmp) / "news-de.jsonl"
                path.write_text(
                    "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in news_records(None)),
                    encoding="utf-8",
                )
                distractors = [str(path)]
            mixed = variant != "english"
            res = run_xquad(
                dataset,
                list(XQUAD_LANGS) if mixed else ["en"],
                None,
                limit,
                10,
                settings(Path(tmp)),
                mixed=mixed,
                distractors=distractors,
                held_out=True,
            )
        res["meta"]["limit_per_language"] = limit
        res["meta"]["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        results[variant] = res
        print(f"xquad {variant}: hybrid R@5 {res['hybrid']['avg']['recall@5']:.3f}", flush=True)
        save(
            "xquad", {"variants": results}
        )  # after each variant: a long run keeps what it measured
