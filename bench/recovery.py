"""Recovery times after faults, as the fault tests measure them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT


def bench_recovery() -> dict[str, Any]:
    """Recovery times, as measured by the fault tests themselves."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FOOTNOTE_RECORD_DIR": tmp, "NO_PROXY": "127.0.0.1,localhost"}
        tests = [
            "tests/bot/test_faults.py",
            "tests/bot/test_run.py::test_sigkill_mid_answer_then_restart_answers_each_question_once",
        ]
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                              cwd=ROOT, env=env, capture_output=True, text=True)  # fmt: skip
        lines = (
            (Path(tmp) / "recovery.jsonl").read_text().splitlines()
            if (Path(tmp) / "recovery.jsonl").exists()
            else []
        )
    return {"tests_passed": done.returncode == 0, "figures": [json.loads(x) for x in lines]}
