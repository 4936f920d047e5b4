"""Read inputs (files, directories, URLs) into Documents; a bad input becomes a Failure, not a crash."""

from __future__ import annotations

import io
import json
import logging
import os
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from retrieval.errors import InputError
from retrieval.networks import Reach
from retrieval.sources.fetch import fetch
from retrieval.sources.metadata import json_data
from retrieval.types import Document, Failure

TEXT_EXT = {".txt", ".md", ".markdown"}
HTML_EXT = {".html", ".htm"}
JSON_EXT = {".json", ".jsonl", ".ndjson"}
JSONL_EXT = {".jsonl", ".ndjson"}
PDF_EXT = {".pdf"}
SUPPORTED = TEXT_EXT | HTML_EXT | JSON_EXT | PDF_EXT

log = logging.getLogger("footnote.load")


@dataclass(frozen=True)
class LoadLimits:
    max_file_bytes: int = 25_000_000  # one article (txt, md, html, pdf)
    max_records_file_bytes: int = 2_000_000_000  # json/jsonl collections
    fetch_timeout: float = 20.0
    fetch_max_bytes: int = 10_000_000
    allow_private_urls: bool = False
    private_hosts: str = ""  # FOOTNOTE_ALLOW_PRIVATE_HOSTS

    @classmethod
    def from_settings(cls, s: Any) -> LoadLimits:
        return cls(
            max_file_bytes=int(s.max_file_mb * 1_000_000),
            fetch_timeout=s.fetch_timeout,
            fetch_max_bytes=int(s.fetch_max_mb * 1_000_000),
            allow_private_urls=s.allow_private_urls,
            private_hosts=s.allow_private_hosts,
        )

    @property
    def reach(self) -> Reach:
        return Reach.parse(self.allow_private_urls, self.private_hosts)


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def iter_inputs(
    inputs: list[str], limits: LoadLimits, skipped: list[str] | None = None
) -> Iterator[Document | Failure]:
    """Yield every Document found in `inputs`, and a Failure for each one that cannot be read."""
    for item in inputs:
        if is_url(item):
            yield from _guard(item, lambda item=item: load_url(item, limits))
            continue
        path = Path(item).expanduser()
        if path.is_dir():
            yield from _walk(path, limits, skipped)
        elif path.exists():
            if path.suffix.lower() not in SUPPORTED:
                yield Failure(
                    os.path.abspath(path), f"unsupported file type {path.suffix or '(none)'}"
                )
            else:
                yield from _guard(os.path.abspath(path), lambda p=path: load_file(p, limits))
        else:
            yield Failure(item, "no such file or directory")


def _walk(
    root: Path, limits: LoadLimits, skipped: list[str] | None
) -> Iterator[Document | Failure]:
    def onerror(exc: OSError) -> None:
        failures.append(Failure(str(exc.filename), f"cannot read directory ({exc.strerror})"))

    failures: list[Failure] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        yield from failures
        failures.clear()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if name.startswith("."):
                continue
            if path.suffix.lower() not in SUPPORTED:
                if skipped is not None:
                    skipped.append(str(path))
                continue
            yield from _guard(os.path.abspath(path), lambda p=path: load_file(p, limits))
    yield from failures


def _guard(source: str, load: Any) -> Iterator[Document | Failure]:
    try:
        yield from load()
    except InputError as exc:
        yield Failure(source, str(exc).removeprefix(f"{source}: "))
    except PermissionError:
        yield Failure(source, "permission denied")
    except OSError as exc:
        yield Failure(source, f"cannot read ({exc.strerror or exc})")
    except Exception as exc:  # one bad file never stops an ingest; the detail goes to the log
        log.exception("could not read %s", source)
        yield Failure(source, f"cannot read ({type(exc).__name__})")


def load_file(path: Path, limits: LoadLimits) -> Iterator[Document | Failure]:
    source = os.path.abspath(path)
    ext = path.suffix.lower()
    size = path.stat().st_size
    cap = limits.max_records_file_bytes if ext in JSON_EXT else limits.max_file_bytes
    if size > cap:
        setting = "" if ext in JSON_EXT else ", FOOTNOTE_MAX_FILE_MB"
        raise InputError(
            f"too large ({size / 1e6:.1f} MB; the limit is {cap / 1e6:.0f} MB{setting})"
        )
    if size == 0:
        raise InputError("empty file")
    if ext in JSONL_EXT:
        with path.open("rb") as fh:
            yield from _jsonl(fh, source)
        return
    data = path.read_bytes()
    yield from parse_bytes(data, ext, source, content_type="")


def load_url(url: str, limits: LoadLimits) -> Iterator[Document | Failure]:
    got = fetch(url, limits.fetch_timeout, limits.fetch_max_bytes, limits.reach)
    ext = Path(got.url.split("?")[0]).suffix.lower()
    for item in parse_bytes(got.content, ext, url, content_type=got.content_type, url=got.url):
        yield replace(item, fetched_from=got.url) if isinstance(item, Document) else item


def parse_bytes(
    data: bytes, ext: str, source: str, content_type: str = "", url: str = ""
) -> Iterator[Document | Failure]:
    """Dispatch on content type (for URLs) or extension (for files)."""
    if not data.strip():
        raise InputError("empty file")
    if content_type == "application/pdf" or ext in PDF_EXT or data[:5] == b"%PDF-":
        yield _pdf(data, source, url)
    elif "html" in content_type or ext in HTML_EXT or (not content_type and _looks_html(data)):
        yield _html(data, source, url)
    elif ext in JSONL_EXT or "ndjson" in content_type or "jsonl" in content_type:
        yield from _jsonl(data.splitlines(), source)
    elif "json" in content_type or ext in JSON_EXT:
        text, _ = decode(data)
        yield from _json_records(text, source)
    else:
        text, warning = decode(data)
        yield Document(
            source=source,
            text=text,
            url=url,
            warnings=(warning,) if warning else (),
            markdown=ext in {".md", ".markdown"},
        )


def _looks_html(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head


def decode(data: bytes) -> tuple[str, str]:
    """Text from bytes: UTF-8 first, then the best guess of charset_normalizer. Binary data fails."""
    head = data[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("binary data, not text")
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    best = from_bytes(data).best()
    if best is None or best.chaos > 0.2:
        raise InputError(
            f"not valid UTF-8 (invalid byte at offset {bad_at}) and no other encoding fits"
        )
    text = str(best)
    sample = text[:8192]
    odd = sum(
        1
        for ch in sample
        if (ord(ch) < 32 and ch not in "\n\r\t")
        or unicodedata.category(ch) in ("Co", "Cn", "Cs")
        or ch in "\ufeff\ufffe\ufffd"
    )
    if odd > 0.01 * max(1, len(sample)):
        raise InputError("binary data, not text")
    return text, f"not UTF-8; decoded as {best.encoding}"


def _html(data: bytes, source: str, url: str) -> Document:
    import trafilatura  # slow import; only when HTML shows up

    text, _ = decode(data)
    doc = trafilatura.bare_extraction(
        text, url=url or None, with_metadata=True, include_comments=False, include_tables=True
    )
    body = (getattr(doc, "text", "") or "").strip() if doc is not None else ""
    if not body:
        raise InputError("no article text found in the HTML")
    title = (getattr(doc, "title", "") or "").strip()
    lines = [ln.strip() for ln in body.split("\n") if ln.strip()]
    if lines and title and lines[0] == title:
        lines = lines[1:]
    return Document(
        source=source,
        text="\n\n".join(lines),
        title=title,
        url=(getattr(doc, "url", "") or url or "").strip(),
        date=(getattr(doc, "date", "") or "").strip()[:10],
        lang=(getattr(doc, "language", "") or "").strip(),
        preclean=True,
    )


def _pdf(data: bytes, source: str, url: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        meta_title = str((reader.metadata or {}).get("/Title") or "").strip()  # type: ignore[call-overload]
    except (PyPdfError, DependencyError, NotImplementedError) as exc:  # limits, undecodable filters
        raise InputError(f"unreadable PDF ({type(exc).__name__}: {str(exc)[:200]})") from None
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise InputError(f"unreadable PDF ({type(exc).__name__})") from None
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise InputError("the PDF has no extractable text (scanned images need OCR first)")
    return Document(source=source, text=text, title=str(meta_title), url=url)


def _jsonl(lines: Iterable[bytes], source: str) -> Iterator[Document | Failure]:
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{source}:{n}"
        try:
            record = json_data(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            yield Failure(where, f"invalid JSON line ({exc})")
            continue
        yield _record(record, source, f"#{n}", where)


def _json_records(text: str, source: str) -> Iterator[Document | Failure]:
    try:
        data = json_data(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    records = data if isinstance(data, list) else [data]
    for n, record in enumerate(records, start=1):
        yield _record(record, source, f"#{n}", f"{source}[{n}]")


def _record(record: Any, source: str, suffix: str, where: str) -> Document | Failure:
    """One JSON record: title, url, date, text or content, optional lang and id."""
    if not isinstance(record, dict):
        return Failure(where, "record is not a JSON object")
    body = record.get("text") or record.get("content") or record.get("body") or ""
    if not isinstance(body, str) or not body.strip():
        return Failure(where, "record has no text or content")
    rid = record.get("id")
    return Document(
        source=f"{source}{suffix}" if rid is None else f"{source}#{rid}",
        text=body,
        title=_str(record.get("title")),
        url=_str(record.get("url") or record.get("link")),
        date=_str(record.get("date") or record.get("published"))[:10],
        lang=_str(record.get("lang") or record.get("language")),
        key=f"id:{rid}" if rid is not None else "",
        preclean=True,
    )


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))
