"""Loading every supported format, and naming each bad input's failure while the rest goes on."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import random
import socket
import time
from pathlib import Path

import pytest

from retrieval.sources.load import LoadLimits, iter_inputs
from retrieval.types import Document, Failure
from testing.files import minimal_pdf
from testing.web import ARTICLE_HTML, http_server

LIMITS = LoadLimits(
    max_file_bytes=1_000_000, fetch_timeout=2.0, fetch_max_bytes=50_000, allow_private_urls=True
)


def load(*inputs: str, limits: LoadLimits = LIMITS) -> tuple[list[Document], list[Failure]]:
    docs, fails = [], []
    for item in iter_inputs(list(inputs), limits):
        (fails if isinstance(item, Failure) else docs).append(item)
    return docs, fails  # type: ignore[return-value]


def test_text_and_markdown(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Title\n\nBody text.", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Heading\n\nSome *markdown*.", encoding="utf-8")
    docs, fails = load(str(tmp_path))
    assert not fails
    assert [Path(d.source).name for d in docs] == ["a.txt", "b.md"]
    assert docs[1].markdown and not docs[1].preclean


def test_html_through_trafilatura(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_bytes(ARTICLE_HTML)
    [doc], fails = load(str(tmp_path / "page.html"))
    assert not fails
    assert doc.title == "Harbour closed by storm"
    assert doc.url == "https://news.example.com/harbour-closed"
    assert doc.date == "2024-03-05"
    assert "heavy storm" in doc.text and "Copyright" not in doc.text and "Home" not in doc.text


def test_json_and_jsonl_records(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(
        json.dumps(
            [
                {"title": "One", "url": "https://x.test/1", "date": "2024-01-02", "text": "First."},
                {"title": "Two", "content": "Second.", "lang": "de"},
            ]
        ),
        encoding="utf-8",
    )
    (tmp_path / "b.jsonl").write_text(
        '{"id": "r1", "title": "Three", "text": "Third."}\n'
        "{not json\n"
        '{"title": "No text"}\n'
        '["not an object"]\n',
        encoding="utf-8",
    )
    docs, fails = load(str(tmp_path))
    assert [d.title for d in docs] == ["One", "Two", "Three"]
    assert docs[0].url == "https://x.test/1" and docs[0].date == "2024-01-02"
    assert docs[1].lang == "de" and docs[2].key == "id:r1"
    reasons = sorted(f.reason.split(" (")[0] for f in fails)
    assert reasons == [
        "invalid JSON line",
        "record has no text or content",
        "record is not a JSON object",
    ]
    assert any(f.source.endswith("b.jsonl:2") for f in fails), "a bad line is named by its number"


def test_pdf(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(
        minimal_pdf("Quarterly results beat expectations.", "Q3 report")
    )
    [doc], fails = load(str(tmp_path / "report.pdf"))
    assert not fails
    assert "Quarterly results beat expectations." in doc.text
    assert doc.title == "Q3 report"


@pytest.mark.parametrize("content_filter", ["JBIG2Decode", "FooDecode"])
def test_a_pdf_pypdf_cannot_decode_fails_alone(tmp_path: Path, content_filter: str) -> None:
    """pypdf's DependencyError (JBIG2 needs a binary) and NotImplementedError (unknown filter)."""
    d = tmp_path / "in"
    d.mkdir()
    (d / "bad.pdf").write_bytes(minimal_pdf("Hidden text", content_filter=content_filter))
    (d / "good.txt").write_text("Good title\n\nA good article body.", encoding="utf-8")
    docs, [fail] = load(str(d))
    assert [doc.text for doc in docs] == ["Good title\n\nA good article body."]
    assert fail.source.endswith("bad.pdf") and "unreadable PDF" in fail.reason


def test_bad_inputs_each_named_with_a_reason(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text("Good title\n\nA good article body.", encoding="utf-8")
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 20)
    rng = random.Random(1)
    (d / "garbage.txt").write_bytes(bytes(rng.randrange(128, 256) for _ in range(500)))
    (d / "bom-garbage.txt").write_bytes(b"\xff\xfe\xfa\x00\x81" * 100)
    (d / "latin1.txt").write_bytes(
        "Café au lait à Zürich, été très chaud.\n\nUn texte français.".encode("latin-1")
    )
    with open(d / "huge.txt", "wb") as fh:  # 50 MB, sparse on disk
        fh.truncate(50_000_000)
    (d / "bad.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    os.symlink("loop.txt", d / "loop.txt")  # unreadable even for root
    (d / "notes.xyz").write_text("ignored: not an article format", encoding="utf-8")

    docs, fails = load(str(d), limits=LoadLimits(max_file_bytes=25_000_000))
    by_name = {Path(f.source).name: f.reason for f in fails}
    assert sorted(Path(doc.source).name for doc in docs) == ["good.txt", "latin1.txt"]
    assert by_name["empty.txt"] == "empty file"
    assert by_name["binary.txt"] == "binary data, not text"
    assert by_name["garbage.txt"].startswith("not valid UTF-8 (invalid byte at offset 0)")
    assert by_name["bom-garbage.txt"] == "binary data, not text"
    assert by_name["huge.txt"].startswith("too large (50.0 MB")
    assert by_name["bad.pdf"].startswith("unreadable PDF")
    assert "loop.txt" in by_name and "cannot read" in by_name["loop.txt"]
    latin = next(doc for doc in docs if doc.source.endswith("latin1.txt"))
    assert "Café" in latin.text and latin.warnings and "not UTF-8" in latin.warnings[0]


def test_missing_path_and_unsupported_file(tmp_path: Path) -> None:
    (tmp_path / "x.xyz").write_text("x", encoding="utf-8")
    docs, fails = load(str(tmp_path / "nope.txt"), str(tmp_path / "x.xyz"))
    assert not docs
    assert [f.reason for f in fails] == ["no such file or directory", "unsupported file type .xyz"]


def test_urls_against_a_local_server() -> None:
    routes = {
        "/article": (200, "text/html; charset=utf-8", ARTICLE_HTML, 0),
        "/plain": (200, "text/plain", b"Plain headline\n\nPlain body.", 0),
        "/report": (200, "application/pdf", minimal_pdf("Findings of the report."), 0),
        "/moved": (302, "text/plain", b"/article", 0),
        "/big": (200, "text/plain", b"x" * 60_000, 0),
        "/slow": (200, "text/plain", b"late", 3.0),
        "/feed.jsonl": (
            200,
            "application/octet-stream",
            b'{"title": "A", "text": "One."}\n{"title": "B", "text": "Two."}\n',
            0,
        ),
    }
    with http_server(routes) as base:
        docs, fails = load(
            f"{base}/article", f"{base}/plain", f"{base}/report", f"{base}/moved",
            f"{base}/big", f"{base}/slow", f"{base}/missing", f"{base}/feed.jsonl",
        )  # fmt: skip
    assert [d.title for d in docs[:1]] == ["Harbour closed by storm"]
    assert docs[1].text.startswith("Plain headline")
    assert "Findings of the report." in docs[2].text
    assert docs[3].title == "Harbour closed by storm", "redirects are followed"
    assert [d.title for d in docs[4:]] == ["A", "B"], "JSON lines over HTTP"
    reasons = {f.source.rsplit("/", 1)[1]: f.reason for f in fails}
    assert reasons["big"].startswith("too large")
    assert reasons["slow"].startswith("timed out after 2 s")
    assert reasons["missing"] == "HTTP 404 Not Found"


def test_unreachable_url_fails_cleanly() -> None:
    docs, fails = load("http://127.0.0.1:9/nothing-listens-here")
    assert not docs
    assert fails[0].reason.startswith("cannot fetch")


def test_private_addresses_refused_unless_allowed() -> None:
    with http_server({"/a": (200, "text/plain", b"Secret\n\nInternal.", 0)}) as base:
        docs, fails = load(f"{base}/a", limits=LoadLimits(allow_private_urls=False))
    assert not docs
    assert "private or local address" in fails[0].reason


@pytest.mark.parametrize("url", ["ftp://example.com/a.txt", "file:///etc/passwd"])
def test_only_http_urls(url: str) -> None:
    docs, fails = load(url)
    assert not docs and fails


def test_the_fetcher_connects_to_the_address_it_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the first answer is public, the next one 127.0.0.1. A check that resolves
    separately from the connection let the request reach the local server."""
    seen: list[str] = []
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])  # the first answer is public; later ones say local

    def rebinding(host: str, port: object, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
        if host != "news.test":
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        ip = next(answers, "127.0.0.1")
        return real(ip, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with http_server({"/a": (200, "text/plain", b"Secret\n\nInternal.", 0)}, requests=seen) as base:
        port = base.rsplit(":", 1)[1]
        limits = LoadLimits(allow_private_urls=False, fetch_timeout=1.0)
        docs, fails = load(f"http://news.test:{port}/a", limits=limits)
    assert not docs and len(fails) == 1
    assert seen == [], "the local server must never be reached"


def test_one_deadline_for_a_server_that_trickles() -> None:
    body = b"Slow headline\n\n" + b"x" * 200
    with http_server({"/drip": (200, "text/plain", body, 0)}, trickle={"/drip": 0.05}) as base:
        start = time.monotonic()
        docs, fails = load(f"{base}/drip", limits=dataclasses.replace(LIMITS, fetch_timeout=1.0))
        took = time.monotonic() - start
    assert not docs and fails[0].reason.startswith("timed out after 1 s")
    assert took < 2.5, f"one byte every 50 ms held the fetch for {took:.1f} s"


def test_stacked_gzip_is_capped_while_decoding() -> None:
    bomb = gzip.compress(gzip.compress(b"\0" * 200_000_000))  # 200 MB from a few hundred bytes
    ok = gzip.compress(gzip.compress(b"Zipped headline\n\nZipped body."))
    routes = {
        "/bomb": (200, "text/plain", bomb, 0),
        "/ok": (200, "text/plain", ok, 0),
        "/odd": (200, "text/plain", b"abc", 0),
    }
    extra = {
        "/bomb": {"Content-Encoding": "gzip, gzip"},
        "/ok": {"Content-Encoding": "gzip, gzip"},
        "/odd": {"Content-Encoding": "br"},
    }
    with http_server(routes, headers=extra) as base:
        docs, fails = load(f"{base}/bomb", f"{base}/ok", f"{base}/odd")
    assert len(bomb) < 300_000 and [d.text for d in docs] == ["Zipped headline\n\nZipped body."]
    reasons = {f.source.rsplit("/", 1)[1]: f.reason for f in fails}
    assert reasons["bomb"].startswith("too large once decoded")
    assert reasons["odd"] == "unsupported content encoding 'br'"
