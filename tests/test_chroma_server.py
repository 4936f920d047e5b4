"""CHROMA_HOST/CHROMA_PORT switch the store to a `chroma run` server with no other change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from retrieval.errors import StoreUnavailableError
from retrieval.index.ingest import ingest
from retrieval.index.inventory import stats as index_stats
from retrieval.index.inventory import verify
from retrieval.index.parts import Index
from retrieval.search.hybrid import search
from testing.services import ChromaServer, free_port
from tests.conftest import CORPUS


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    with ChromaServer(path=tmp_path / "chroma-server") as port:
        yield port


def test_ingest_and_search_through_a_chroma_server(
    chroma_server: int, settings, embedder, detector
) -> None:  # type: ignore[no-untyped-def]
    s = replace(settings, chroma_host="127.0.0.1", chroma_port=chroma_server)
    idx = Index(s, embedder=embedder, detector=detector)
    assert ingest(idx, [str(CORPUS)]).ok
    assert search(idx, "Xiaomi iPhone").hits[0].chunk.title == "Xiaomi CEO uses an iPhone"
    assert verify(idx)["ok"]
    assert "chroma server" in index_stats(idx)["store"]
    assert not (s.data_dir / "chroma").exists(), "no embedded store was created"
    idx.close()


def test_unreachable_server_is_a_clear_error(settings, embedder, detector) -> None:  # type: ignore[no-untyped-def]
    s = replace(settings, chroma_host="127.0.0.1", chroma_port=free_port())
    idx = Index(s, embedder=embedder, detector=detector)
    with pytest.raises(StoreUnavailableError, match=r"Chroma server at 127\.0\.0\.1"):
        search(idx, "anything")
    idx.close()
