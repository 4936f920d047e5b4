"""Cross-lingual retrieval quality on XQuAD, every search mode, per question language."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import SHARED, save, settings


def bench_xquad(limit: int) -> None:
    from retrieval.evaluate import run_xquad

    with tempfile.TemporaryDirectory() as tmp:
        res = run_xquad(SHARED / "eval" / "xquad", ["en"], None, limit, 10, settings(Path(tmp)))
    res["meta"]["limit_per_language"] = limit
    save("xquad", res)
