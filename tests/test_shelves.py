"""Shelves in the core: every article on one, search within some, a move, copies that stay on
their own shelf, and the CLI's `--shelf` and `shelves`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from retrieval.index.ingest import ingest, ingest_documents
from retrieval.index.parts import Index
from retrieval.search.hybrid import Filters, search
from retrieval.shelves import ShelfNameError, derived_shelf, shelf_name
from retrieval.types import Document

MEMO = (
    "Internal briefing. The Harbourview bridge closes for eleven days in March; the contractor "
    "Kestrel Works keeps the night shift. Nobody outside the newsroom knows the date yet."
)
PUBLIC_TEXT = (
    "The city council met on Tuesday. The budget for parks grows by four percent, and the new "
    "library opens in the spring with longer hours on weekends."
)


def _write(tmp_path: Path, name: str, text: str, title: str) -> str:
    path = tmp_path / f"{name}.md"
    path.write_text(f"# {title}\n\n{text}\n", encoding="utf-8")
    return str(path)


def _articles_found(index: Index, query: str, shelves: tuple[str, ...]) -> set[str]:
    hits = search(index, query, 5, filters=Filters(shelves=shelves)).hits
    return {h.chunk.title for h in hits}


def test_shelf_names_are_checked_at_the_door() -> None:
    assert shelf_name(" Newsroom ") == "newsroom"
    for bad in ("", "a_b", "-x", "x-", "über", "a" * 41, "two words", "../x"):
        with pytest.raises(ShelfNameError):
            shelf_name(bad)
    assert derived_shelf("@Kyiv_Briefings", "channel-1") == "kyiv-briefings"
    assert derived_shelf("Новости", "channel-7") == "channel-7"


def test_a_search_sees_only_its_shelves_dense_and_keyword_alike(
    any_index: Index, tmp_path: Path
) -> None:
    ingest(any_index, [_write(tmp_path, "council", PUBLIC_TEXT, "Council budget")])
    ingest(any_index, [_write(tmp_path, "memo", MEMO, "Bridge memo")], shelf="newsroom")
    question = "When does the Harbourview bridge close, and who is the contractor Kestrel?"
    assert "Bridge memo" in _articles_found(any_index, question, ("newsroom",))
    assert "Bridge memo" in _articles_found(any_index, question, ())  # every shelf
    assert "Bridge memo" not in _articles_found(any_index, question, ("public",))
    for mode in ("keyword", "dense"):
        hits = search(any_index, "Kestrel Harbourview", 5, Filters(shelves=("public",)), mode)
        assert all(h.chunk.shelf == "public" for h in hits.hits), mode
    within_dates = Filters(date_from="2000-01-01", shelves=("public",))
    assert all(h.chunk.shelf == "public" for h in search(any_index, question, 5, within_dates).hits)
    assert any_index.catalog.shelves() == {"newsroom": (1, 1), "public": (1, 1)}


def test_an_article_ingested_onto_another_shelf_moves_there_whole(
    index: Index, tmp_path: Path
) -> None:
    memo = _write(tmp_path, "memo", MEMO, "Bridge memo")
    ingest(index, [memo], shelf="newsroom")
    report = ingest(index, [memo])  # the owner publishes it
    assert report.updated and index.catalog.shelves() == {"public": (1, 1)}
    assert report.texts_embedded == 0, "its vectors move; nothing is embedded again"
    question = "Kestrel Works night shift on the Harbourview bridge"
    assert "Bridge memo" in _articles_found(index, question, ("public",))
    assert "Bridge memo" not in _articles_found(index, question, ("newsroom",))
    assert index.store.count() == 1, "no vector stays behind on the old shelf"
    assert ingest(index, [memo]).unchanged, "the same input on the same shelf is not written"


def test_the_same_story_on_two_shelves_is_stored_on_each(index: Index) -> None:
    """A private channel reposting a public story must not turn the public article into a
    link on the private one (public chats would lose it), nor the other way round."""
    story = PUBLIC_TEXT * 3
    docs: list[Any] = [
        Document("feed:a", story, "Council budget", "https://a.example/council"),
        Document("tg:newsroom/5", story, "Council budget", "https://t.me/newsroom/5",
                 shelf="newsroom"),
    ]  # fmt: skip
    report = ingest_documents(index, docs)
    assert len(report.added) == 2 and not report.duplicates
    assert index.catalog.shelves() == {"newsroom": (1, 1), "public": (1, 1)}
    near = replace(docs[0], source="feed:b", url="https://b.example/c", text=story + " Update.")
    assert ingest_documents(index, [near]).duplicates, "a copy on the same shelf is still merged"


def test_the_cli_puts_articles_on_shelves_and_lists_them(run: Any, tmp_path: Path) -> None:
    memo = _write(tmp_path, "memo", MEMO, "Bridge memo")
    council = _write(tmp_path, "council", PUBLIC_TEXT, "Council budget")
    assert run("ingest", council)[0] == 0
    assert run("ingest", memo, "--shelf", "Newsroom")[0] == 0
    code, out, _ = run("shelves", "--json")
    assert code == 0 and json.loads(out) == [
        {"shelf": "newsroom", "articles": 1, "chunks": 1},
        {"shelf": "public", "articles": 1, "chunks": 1},
    ]
    code, out, _ = run("sources", "--json", "--shelf", "newsroom")
    assert [r["title"] for r in json.loads(out)] == ["Bridge memo"]
    assert json.loads(out)[0]["shelf"] == "newsroom"
    code, out, _ = run("search", "--json", "--shelf", "public", "Kestrel Works Harbourview")
    assert code == 0 and all(h["shelf"] == "public" for h in json.loads(out))
    code, out, _ = run("ask", "--json", "--shelf", "newsroom", "--shelf", "public",
                       "Who is the contractor of the Harbourview bridge?")  # fmt: skip
    answer = json.loads(out)
    assert answer["citations"] and answer["citations"][0]["shelf"] == "newsroom"
    with pytest.raises(SystemExit) as bad:
        run("ingest", memo, "--shelf", "no_such")
    assert bad.value.code == 2, "argparse refuses a name that cannot be a shelf's"


async def test_not_covered_tells_the_holdings_of_the_shelves_searched_only(
    index: Index, tmp_path: Path
) -> None:
    """ "Articles I have: N · dates · languages" in a public chat counts no private article."""
    from retrieval.answer.answerer import Answerer
    from retrieval.search.gate import Gate

    ingest(index, [_write(tmp_path, "council", PUBLIC_TEXT, "Council budget")])
    for n in range(3):
        ingest(index, [_write(tmp_path, f"memo{n}", f"{MEMO} Note {n}.", f"Memo {n}")],
               shelf="newsroom")  # fmt: skip
    refusing = Answerer(index, None, gate=Gate(10.0, 10.0, off_topic_score=10.0))
    public = await refusing.answer("Who won the match?", shelves=("public",))
    everything = await refusing.answer("Who won the match?")
    assert public.coverage == everything.coverage == "not_covered"
    assert "Articles I have: 1 " in public.text and "Articles I have: 4 " in everything.text
