"""Incremental ingest: stable ids, nothing embedded twice, no stale chunks, dedupe, prune, failures."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from retrieval.errors import IndexBusyError
from retrieval.ids import chunk_id
from retrieval.index.ingest import ingest
from retrieval.index.inventory import sources, verify
from retrieval.index.lock import WriteLock
from retrieval.index.parts import Index
from retrieval.search.hybrid import search
from testing.embedder import HashEmbedder
from tests.conftest import CORPUS


@pytest.fixture
def index(any_index: Index) -> Index:
    """These tests run against the embedded store and a Chroma server."""
    return any_index


def para(seed: str, n: int = 40) -> str:
    return " ".join(f"{seed}{i}" for i in range(n)) + "."


def article(title: str, *paragraphs: str, url: str = "") -> str:
    src = f"\n\nSource: {url}" if url else ""
    return f"{title}\n\n" + "\n\n".join(paragraphs) + src


def assert_consistent(index: Index) -> None:
    report = verify(index)
    assert report["ok"], report


def test_sample_corpus_ingests_and_reingest_embeds_nothing(
    index: Index, embedder: HashEmbedder
) -> None:
    first = ingest(index, [str(CORPUS)])
    assert first.ok and len(first.added) == 2 and first.chunks_added > 0
    embedded = len(embedder.passages_embedded)
    assert embedded == first.texts_embedded > first.chunks_embedded > 0
    again = ingest(index, [str(CORPUS)])
    assert sorted(again.unchanged) == sorted(first.added)
    assert not again.added and not again.updated and again.chunks_embedded == 0
    assert len(embedder.passages_embedded) == embedded, "nothing embedded the second time"
    assert_consistent(index)


def test_unchanged_input_is_not_even_cleaned(index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(index, [str(CORPUS)])
    generation = index.catalog.generation()

    def no_detection(*args: object, **kw: object) -> str:
        raise AssertionError("language detection ran for an unchanged file")

    monkeypatch.setattr(index.detector, "detect", no_detection)
    monkeypatch.setattr(index.detector, "rank", no_detection)
    rep = ingest(index, [str(CORPUS)])
    assert len(rep.unchanged) == 2
    assert index.catalog.generation() == generation, "readers are not told to reopen for nothing"


def test_ids_are_stable_across_data_dirs_and_paths(
    tmp_path: Path, settings, embedder, detector
) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "elsewhere"
    shutil.copytree(CORPUS, copy)
    a = Index(settings, embedder=embedder, detector=detector)
    ids_a = sorted(ingest(a, [str(CORPUS)]).added)
    from dataclasses import replace

    b = Index(replace(settings, data_dir=tmp_path / "other"), embedder=embedder, detector=detector)
    ids_b = sorted(ingest(b, [str(copy)]).added)
    assert ids_a == ids_b


def test_changed_article_replaces_all_its_chunks(tmp_path: Path, index: Index) -> None:
    f = tmp_path / "a.txt"
    f.write_text(
        article("Title", *(para(f"p{i}x", 120) for i in range(6)), url="https://x.test/a"),
        encoding="utf-8",
    )
    first = ingest(index, [str(f)])
    [aid] = first.added
    many = index.catalog.article(aid)["chunks"]
    f.write_text(article("Title", para("short"), url="https://x.test/a"), encoding="utf-8")
    second = ingest(index, [str(f)])
    assert second.updated == [aid], "same URL, same article id"
    assert index.catalog.article(aid)["chunks"] == 1 < many
    assert second.chunks_removed == many - 1
    assert [h.chunk.text for h in search(index, "short0 short1", k=5).hits] == [para("short")]
    assert_consistent(index)


def test_changed_article_without_url_gets_new_id_and_old_is_gone(
    tmp_path: Path, index: Index
) -> None:
    f = tmp_path / "a.txt"
    f.write_text(article("Title", para("old")), encoding="utf-8")
    [old] = ingest(index, [str(f)]).added
    f.write_text(article("Title", para("new")), encoding="utf-8")
    rep = ingest(index, [str(f)])
    assert len(rep.updated) == 1 and rep.updated[0] != old
    assert index.catalog.article(old) is None
    assert [s["article_id"] for s in sources(index)] == rep.updated
    assert_consistent(index)


def test_unchanged_paragraphs_are_not_reembedded(
    tmp_path: Path, index: Index, embedder: HashEmbedder
) -> None:
    paragraphs = [para(f"p{i}y", 120) for i in range(5)]
    f = tmp_path / "a.txt"
    f.write_text(article("T", *paragraphs, url="https://x.test/b"), encoding="utf-8")
    first = ingest(index, [str(f)])
    assert first.chunks_embedded >= 5
    paragraphs[-1] = para("changed", 60) + " " + para("second", 60)
    f.write_text(article("T", *paragraphs, url="https://x.test/b"), encoding="utf-8")
    before = len(embedder.passages_embedded)
    second = ingest(index, [str(f)])
    assert second.updated and second.chunks_embedded == 1
    assert len(embedder.passages_embedded) - before == second.texts_embedded
    assert second.texts_embedded == 3, "the changed chunk and its two sentences, nothing else"
    assert_consistent(index)


def test_same_text_from_two_files_is_stored_once(tmp_path: Path, index: Index) -> None:
    text = article("Same", para("dup"))
    (tmp_path / "one.txt").write_text(text, encoding="utf-8")
    (tmp_path / "two.txt").write_text(text, encoding="utf-8")
    rep = ingest(index, [str(tmp_path)])
    assert len(rep.added) == 1
    assert len(sources(index)) == 1
    assert len(index.catalog.sources()) == 2, "both files are known sources of the one article"
    # the same text under a different URL is still stored once
    (tmp_path / "three.txt").write_text(
        text.replace("Same\n\n", "Same\n\nSource: https://x.test/c\n\n"), encoding="utf-8"
    )
    rep = ingest(index, [str(tmp_path / "three.txt")])
    assert not rep.added and len(sources(index)) == 1


def test_prune_drops_articles_whose_source_is_gone(tmp_path: Path, index: Index) -> None:
    (tmp_path / "keep.txt").write_text(article("Keep", para("keep")), encoding="utf-8")
    (tmp_path / "gone.txt").write_text(article("Gone", para("gone")), encoding="utf-8")
    ingest(index, [str(tmp_path)])
    (tmp_path / "gone.txt").unlink()
    rep = ingest(index, [str(tmp_path)])
    assert not rep.removed and len(sources(index)) == 2, "without --prune nothing is dropped"
    rep = ingest(index, [str(tmp_path)], prune=True)
    assert len(rep.removed) == 1
    assert [s["title"] for s in sources(index)] == ["Keep"]
    assert_consistent(index)


def test_a_failing_file_is_not_pruned(tmp_path: Path, index: Index) -> None:
    f = tmp_path / "a.txt"
    f.write_text(article("A", para("a")), encoding="utf-8")
    ingest(index, [str(tmp_path)])
    f.write_bytes(b"")
    rep = ingest(index, [str(tmp_path)], prune=True)
    assert not rep.ok and rep.failed[0].reason == "empty file"
    assert len(sources(index)) == 1, "a file that failed to read still exists: keep its article"


def test_a_collection_that_fails_as_a_whole_keeps_its_records(tmp_path: Path, index: Index) -> None:
    f = tmp_path / "feed.jsonl"
    f.write_text(
        '{"title": "One", "text": "First record."}\n{"title": "Two", "text": "Second."}\n',
        encoding="utf-8",
    )
    assert len(ingest(index, [str(tmp_path)]).added) == 2
    f.unlink()
    os.symlink(f.name, f)  # the file is still there but cannot be read
    rep = ingest(index, [str(tmp_path)], prune=True)
    assert "cannot read" in rep.failed[0].reason
    assert not rep.ok and not rep.removed
    assert len(sources(index)) == 2


def test_failures_are_reported_and_the_rest_is_ingested(tmp_path: Path, index: Index) -> None:
    (tmp_path / "good.txt").write_text(article("Good", para("good")), encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "bad.jsonl").write_text(
        '{"title": "R", "text": "Record text."}\n{oops\n', encoding="utf-8"
    )
    (tmp_path / "nav.txt").write_text("Home\nNews\nSport\nWeather\nContact", encoding="utf-8")
    rep = ingest(index, [str(tmp_path)])
    assert len(rep.added) == 2
    reasons = sorted(f.reason.split(" (")[0] for f in rep.failed)
    assert reasons == [
        "binary data, not text",
        "invalid JSON line",
        "no article text left after removing page boilerplate",
    ]
    assert not rep.ok
    assert_consistent(index)


def test_killed_write_is_recovered_on_rerun(tmp_path: Path, index: Index) -> None:
    """Simulate a kill between writing vectors and committing the catalog."""
    f = tmp_path / "a.txt"
    f.write_text(
        article("A", *(para(f"k{i}", 120) for i in range(4)), url="https://x.test/k"),
        encoding="utf-8",
    )
    from retrieval.index.prepare import make_chunks, prepare
    from retrieval.sources.load import LoadLimits, iter_inputs

    [doc] = list(iter_inputs([str(f)], LoadLimits()))
    art = prepare(doc, index.detector)  # type: ignore[arg-type]
    chunks = make_chunks(art, index)
    index.catalog.begin_article(art, len(chunks) + 3)
    index.store.upsert_sentences(
        [f"{chunks[0].chunk_id}-s000"],
        index.embedder.embed_passages(["s"]),
        [{"article_id": art.article_id}],
    )
    index.store.upsert(chunks, index.embedder.embed_passages([c.embed_text for c in chunks]))
    index.store.upsert(  # leftovers of an earlier, longer version with higher chunk numbers
        [
            c.__class__(**{**c.__dict__, "chunk_id": chunk_id(art.article_id, len(chunks) + i)})
            for i, c in enumerate(chunks[:3])
        ],
        index.embedder.embed_passages(["x", "y", "z"]),
    )
    assert not verify(index)["ok"]
    rep = ingest(index, [str(f)])
    assert rep.added == [art.article_id]
    assert_consistent(index)


def test_second_writer_is_refused_with_a_clear_message(index: Index, tmp_path: Path) -> None:
    with (
        WriteLock(index.settings.data_dir, timeout=0, what="footnote ingest"),
        pytest.raises(IndexBusyError) as err,
    ):
        ingest(index, [str(CORPUS)])
    assert "being written by pid" in str(err.value) and "footnote ingest" in str(err.value)
    assert ingest(index, [str(CORPUS)]).ok, "after the first writer finishes, the second succeeds"


def test_a_stopped_ingest_keeps_what_it_wrote_skips_prune_and_the_rerun_finishes(
    index: Index, tmp_path: Path
) -> None:
    import threading

    from testing.files import write_articles

    src = tmp_path / "many"
    write_articles(
        src, 40, 4, "Item {i} paragraph {p}: the board met about case {i}{p}.", "Case {i}"
    )
    (src / "keep.txt").write_text("Kept\n\nThis article stays when the rest is stopped.", "utf-8")
    assert ingest(index, [str(src / "keep.txt")]).ok
    (src / "keep.txt").unlink()  # a prune would forget it; a stopped run must not prune
    stop = threading.Event()

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "embedding" and done > 0:
            stop.set()  # as the bot's shutdown does, from another thread

    report = ingest(index, [str(src)], prune=True, progress=progress, stop=stop)
    assert report.stopped and report.unfinished > 0
    assert len(report.added) == 40 - report.unfinished
    assert report.removed == [] and "Kept" in {s["title"] for s in sources(index)}
    assert verify(index)["ok"]
    again = ingest(index, [str(src)], prune=True)
    assert not again.stopped and len(again.added) == report.unfinished
    assert len(again.unchanged) == 40 - report.unfinished and len(again.removed) == 1
    assert len(sources(index)) == 40 and verify(index)["ok"]
