"""What every benchmark section shares: where things are, the settings of a throwaway index, the
evaluation data, the fake model's replies, and saving each section's figures to
bench/out/<section>.json."""

from __future__ import annotations

import csv
import json
import os
import platform
import re
import resource
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SHARED = ROOT.parent / "shared"


def settings(data_dir: Path) -> Any:
    from retrieval.settings import Settings

    return Settings.from_env(environ={}, dotenv_path=None, data_dir=data_dir)


def pct(values: list[float], p: float, digits: int = 1) -> float:
    """A percentile for a report (0.0 when nothing was measured)."""
    from retrieval.timing import percentile

    v = percentile(values, p)
    return 0.0 if v is None else round(v, digits)


def mem_mb() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_main_mb": round(own, 1), "peak_rss_largest_worker_mb": round(kids, 1)}


def save(section: str, data: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    data["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    (OUT / f"{section}.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


def load(section: str) -> dict[str, Any] | None:
    path = OUT / f"{section}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def news_records(limit: int | None) -> list[dict[str, Any]]:
    path = SHARED / "eval" / "news-de" / "test.csv"
    rows = []
    with path.open(encoding="utf-8") as fh:
        for i, row in enumerate(csv.reader(fh, delimiter=";", quotechar="'")):
            if limit is not None and i >= limit:
                break
            if len(row) < 2:
                continue
            rows.append({"id": f"news-de-{i}", "title": "", "text": row[1], "category": row[0]})
    return rows


def xquad_records() -> list[dict[str, Any]]:
    path = SHARED / "eval" / "xquad" / "articles.jsonl"
    return [
        r
        for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())
        if r["lang"] == "en"
    ]


FAKE_REPLY = "Die Meldung nennt die Zahlen des Ministeriums [1]."


def model_reply(body: dict[str, Any]) -> str:
    """The fake model of the traffic and CPU benchmarks. A translation request gets a German
    version made of its question (not a translation, but a text of its own: the work that
    follows, a second version embedded and searched, is what a real translation costs). An answer is written in the asker's language, as a model
    does (the question's own words, cited): a reply in another language would be asked for
    again, a call that a real model rarely needs. A chat's later questions are rewritten by
    the model (the bot's follow-up step) and come back unchanged: they stand alone."""
    prompt = str(body["messages"][-1].get("content", ""))
    m = re.search(r"<question>\s*(.*?)\s*</question>", prompt, re.S)
    if prompt.startswith("Translate the question") and m:
        return json.dumps({"de": f"Frage: {m.group(1)}"}, ensure_ascii=False)
    if prompt.startswith("Rewrite") and m:  # the questions of a chat do not lean on each other
        return m.group(1)
    return f"{m.group(1).rstrip('?？؟ ')}. [1]" if m else FAKE_REPLY
