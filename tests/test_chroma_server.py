"""CHROMA_HOST/CHROMA_PORT switch the store to a `chroma run` server with no other change."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from retrieval.errors import StoreUnavailableError
from retrieval.index import Index
from tests.conftest import CORPUS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "run",
            "--path",
            str(tmp_path / "chroma-server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma run did not start within 30 s")
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_ingest_and_search_through_a_chroma_server(
    chroma_server: int, settings, embedder, detector
) -> None:  # type: ignore[no-untyped-def]
    s = replace(settings, chroma_host="127.0.0.1", chroma_port=chroma_server)
    idx = Index(s, embedder=embedder, detector=detector)
    assert idx.ingest([str(CORPUS)]).ok
    assert idx.search("Xiaomi iPhone")[0].chunk.title == "Xiaomi CEO uses an iPhone"
    assert idx.verify()["ok"]
    assert "chroma server" in idx.stats()["store"]
    assert not (s.data_dir / "chroma").exists(), "no embedded store was created"
    idx.close()


def test_unreachable_server_is_a_clear_error(settings, embedder, detector) -> None:  # type: ignore[no-untyped-def]
    s = replace(settings, chroma_host="127.0.0.1", chroma_port=free_port())
    idx = Index(s, embedder=embedder, detector=detector)
    with pytest.raises(StoreUnavailableError, match=r"Chroma server at 127\.0\.0\.1"):
        idx.search("anything")
    idx.close()
