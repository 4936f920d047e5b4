"""200 chats ask 5 questions each within a minute (model: 0.5-2 s per answer): every question
gets exactly one answer, nothing is lost or doubled, memory stays flat. The scenario is
`testing/load.py`; `python -m bench.run --only load` records its figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.index.parts import Index
from testing.load import run_load
from testing.openai_server import FakeOpenAI
from testing.telegram_server import FakeTelegram


@pytest.mark.slow
def test_200_chats_5_questions_each_within_a_minute(
    tg: FakeTelegram, sample_index: Index, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    r = run_load(tg, fake_openai, sample_index.settings.data_dir, tmp_path)
    print(json.dumps({k: v for k, v in r.items() if k != "rss_mb_samples"}))
    assert r["asked_within_s"] <= 62
    assert r["answers"] == 1000 and r["chats_with_wrong_count"] == 0  # exactly one answer each
    assert r["errors_in_log"] == 0
    # Flat memory: after the first quarter (models loaded, caches warm) it grows by little.
    assert r["rss_mb_end"] - r["rss_mb_after_first_quarter"] < 150, r["rss_mb_samples"]
