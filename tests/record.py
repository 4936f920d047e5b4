"""Tests that measure something (recovery times) also record it when the benchmark asks:
`python -m bench.run --only recovery` sets FOOTNOTE_RECORD_DIR and collects the figures."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def record(name: str, seconds: float, **extra: object) -> None:
    folder = os.environ.get("FOOTNOTE_RECORD_DIR")
    if not folder:
        return
    line = {"name": name, "seconds": round(seconds, 2), "at": time.time(), **extra}
    with (Path(folder) / "recovery.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")
