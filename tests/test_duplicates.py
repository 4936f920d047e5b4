"""The same wire story from three outlets is stored once, the copies kept as "also published by"
links on it; a different story on the same topic stays its own article."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from retrieval.answer.answerer import Answerer
from retrieval.index.ingest import forget, ingest
from retrieval.index.inventory import sources
from retrieval.index.parts import Index
from retrieval.index.signatures import similarity

WIRE = [
    "The port authority of Port Elin closed the harbour on Monday after a storm damaged the "
    "northern pier, and all ferries to the islands were cancelled until further notice.",
    "Engineers inspected the pier on Tuesday and found cracks in three of its concrete pillars, "
    "the authority said in a statement published in the afternoon.",
    "Repairs are expected to take at least two weeks and will cost about four million euros, "
    "which the regional government has promised to pay from its emergency fund.",
    "Fishing boats were allowed to leave from the southern quay, but cargo ships were told to "
    "wait outside the bay until the wind dropped below gale force.",
]
OTHER = (
    "The harbour museum of Port Elin opened a new exhibition about the history of the ferries. "
    "It shows old tickets, photographs of the first steamships and the bell of a ship that sank "
    "in 1911. The curator said that school classes can visit the exhibition free of charge "
    "every Wednesday morning until the end of the year."
)


def records() -> list[dict[str, str]]:
    copy_b = WIRE[1:]  # the first paragraph cut, another headline, its own boilerplate
    copy_c = [WIRE[0], WIRE[1].replace("three", "four"), *WIRE[2:]]  # one sentence edited
    return [
        {"id": "a", "title": "Storm closes Port Elin harbour", "url": "https://a.example/storm",
         "date": "2026-11-30", "text": "\n\n".join(WIRE)},
        {"id": "b", "title": "Pier damaged, repairs take weeks", "url": "https://b.example/pier",
         "date": "2026-11-30", "text": "\n\n".join(copy_b) + "\n\nCopyright B News. Read more."},
        {"id": "c", "title": "Harbour closed after storm", "url": "https://c.example/harbour",
         "date": "2026-11-30", "text": "\n\n".join(copy_c)},
        {"id": "d", "title": "Museum shows ferry history", "url": "https://d.example/museum",
         "date": "2026-11-29", "text": OTHER},
    ]  # fmt: skip


def write(folder: Path, rows: list[dict[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "wire.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


async def test_a_wire_story_from_three_outlets_is_stored_once(index: Index, tmp_path: Path) -> None:
    path = write(tmp_path / "c", records())
    report = ingest(index, [str(path)])
    assert report.ok and len(report.added) == 2 and len(report.duplicates) == 2
    assert {s["title"] for s in sources(index)} == {
        "Storm closes Port Elin harbour", "Museum shows ferry history"
    }  # fmt: skip
    assert ingest(index, [str(path)]).duplicates == [], "a rerun finds nothing new"

    answer = await Answerer(index, None).answer("Why was the harbour of Port Elin closed?")
    storm = [c for c in answer.citations if c.title == "Storm closes Port Elin harbour"]
    # c repeats the quoted opening sentence; b cut it, so b does not vouch for it (issue 24).
    assert storm and {u for u, _ in storm[0].also} == {"https://c.example/harbour"}
    as_json = [c for c in answer.to_json()["citations"] if c["article_id"] == storm[0].article_id]
    assert as_json[0]["also_published"][0]["url"].startswith("https://")

    assert forget(index, storm[0].article_id)
    rows = index.catalog.query("SELECT * FROM also_published")
    assert rows == [] and {s["title"] for s in sources(index)} == {"Museum shows ferry history"}


def test_same_topic_is_not_a_copy() -> None:
    rows = records()
    assert similarity(rows[0]["text"], rows[1]["text"]) > 0.5
    assert similarity(rows[0]["text"], rows[2]["text"]) > 0.5
    assert similarity(rows[0]["text"], rows[3]["text"]) < 0.1
    assert similarity("too short", "too short") == 0.0, "short texts are never merged"


def test_the_detector_can_be_turned_off(index: Index, tmp_path: Path) -> None:
    off = Index(dataclasses.replace(index.settings, duplicate_threshold=0.0),
                embedder=index.embedder, detector=index.detector)  # fmt: skip
    index.close()
    report = ingest(off, [str(write(tmp_path / "c", records()))])
    assert len(report.added) == 4 and report.duplicates == []
    off.close()


def test_a_copy_that_becomes_another_story_leaves_the_links(index: Index, tmp_path: Path) -> None:
    rows = records()
    path = write(tmp_path / "c", rows)
    assert len(ingest(index, [str(path)]).duplicates) == 2
    rows[1] = dict(rows[1], text=OTHER.replace("museum", "library") + " " + WIRE[3][::-1])
    rows[1]["id"] = "b"
    assert ingest(index, [str(write(tmp_path / "c", rows))]).ok
    links = {r["url"] for r in index.catalog.query("SELECT url FROM also_published")}
    assert links == {"https://c.example/harbour"}, "b is its own story now"


def test_a_forgotten_story_takes_no_copies_in_the_same_process(
    index: Index, tmp_path: Path
) -> None:
    """The finder is kept between ingests; a story forgotten meanwhile is not a candidate."""
    rows = records()
    assert ingest(index, [str(write(tmp_path / "a", rows[:1]))]).ok
    first = sources(index)[0]["article_id"]
    assert forget(index, first)
    report = ingest(index, [str(write(tmp_path / "b", rows[1:2]))])
    assert report.added and report.duplicates == []
    assert {s["title"] for s in sources(index)} == {"Pier damaged, repairs take weeks"}


def test_a_find_reads_only_its_candidates_from_the_catalog(
    index: Index,
    tmp_path: Path,
    embedder,
    detector,  # type: ignore[no-untyped-def]
) -> None:
    """The near-duplicate index lives in the catalog (band buckets): another process's write is
    found at once, a find reads only the signatures of its candidates, never every signature,
    and a forgotten article's buckets leave with it (issue 25: a write costs its own size)."""
    from retrieval.index.ingest import forget

    rows = records()
    library = dict(rows[3], id="e", url="https://e.example/library", text=(
        "The city library of Port Elin will stay open until ten in the evening from January. "
        "Students asked for longer hours during the exam weeks, and the council agreed to pay "
        "for two more librarians. A new reading room with forty desks opens on the second "
        "floor, next to the collection of old maps and the archive of the local newspaper."))  # fmt: skip
    other = Index(index.settings, embedder=embedder, detector=detector)
    assert ingest(index, [str(write(tmp_path / "a", [rows[3]]))]).ok  # the museum story
    assert ingest(other, [str(write(tmp_path / "b", [library]))]).added
    finder = other.duplicates
    assert finder is not None and finder.rows_read == 0, "an unrelated story has no candidates"
    assert ingest(index, [str(write(tmp_path / "c", [rows[0]]))]).ok  # the wire story
    report = ingest(other, [str(write(tmp_path / "d", [rows[2]]))])  # a copy of it
    assert report.duplicates and not report.added, "another process's story, found at once"
    assert finder.rows_read == 1, "the wire story's signature alone"
    assert index.catalog.query("SELECT COUNT(*) n FROM signature_bands")[0]["n"] > 0
    for aid in {r["article_id"] for r in index.catalog.articles()}:
        forget(index, aid)
    assert index.catalog.query("SELECT COUNT(*) n FROM signature_bands")[0]["n"] == 0
    other.close()


async def test_a_digest_names_copies_without_their_text(index: Index, tmp_path: Path) -> None:
    """The copy's own words decide whether it is named; they never leave in the digest."""
    from datetime import UTC, datetime

    from retrieval.answer.digest import digest

    ingest(index, [str(write(tmp_path / "c", records()))])
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    found = await digest(index, None, datetime(2026, 11, 28, tzinfo=UTC), "en", "", now)
    named = [a for s in found.stories for a in s.to_json()["also_published"]]
    assert named and all(set(a) == {"url", "title", "date"} for a in named)
