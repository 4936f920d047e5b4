"""The load scenario (testing/load.py) with its figures recorded."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.common import ROOT, settings


def bench_load() -> dict[str, Any]:
    """200 chats x 5 questions within a minute, model 0.5-2 s (the reliability test's scenario)."""
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index
    from testing.load import run_load
    from testing.openai_server import FakeOpenAI
    from testing.telegram_server import FakeTelegram

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        index = Index(replace(settings(data), embed_workers=1))
        ingest(index, [str(ROOT / "corpus")])
        index.close()
        tg, llm = FakeTelegram().start(), FakeOpenAI().start()
        try:
            r = run_load(tg, llm, data, Path(tmp))
        finally:
            tg.stop()
            llm.stop()
    print({k: v for k, v in r.items() if k != "rss_mb_samples"}, flush=True)
    return r
