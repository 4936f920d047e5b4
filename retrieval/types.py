"""Plain value objects passed between the core's stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from retrieval.dates import date_num
from retrieval.shelves import PUBLIC

# How far the articles answer a question (`Answer.coverage`, stable in `--json`).
ANSWERED = "answered"
UNCERTAIN = "uncertain"  # on topic, but not confirmed to answer: the closest passages, said so
NOT_COVERED = "not_covered"


@dataclass(frozen=True)
class Document:
    """One article as loaded, before cleaning. `source` names where it came from."""

    source: str
    text: str
    title: str = ""
    url: str = ""
    date: str = ""
    lang: str = ""
    key: str = ""  # explicit identity (a record's id); else the URL, else the content
    preclean: bool = False  # True when the loader already extracted the article text
    markdown: bool = False
    warnings: tuple[str, ...] = ()
    fetched_from: str = ""  # the address it was read from (after redirects), for a fetched one
    shelf: str = PUBLIC  # chosen by whoever ingests it (checked by shelves.shelf_name), never by it


@dataclass(frozen=True)
class Article:
    article_id: str
    title: str
    text: str
    url: str
    source: str
    date: str
    lang: str
    content_hash: str
    # The document named its language (a record's `lang`, checked at the door): its chunks are
    # in that language, and no detector is built to find out (lingua takes seconds to load).
    named_lang: bool = False
    shelf: str = PUBLIC


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    article_id: str
    number: int
    text: str
    start: int  # character span in the cleaned article text
    end: int
    lang: str
    title: str = ""
    url: str = ""
    source: str = ""
    date: str = ""
    shelf: str = PUBLIC

    @property
    def embed_text(self) -> str:
        """What the embedder sees. The chunk text alone: prepending the headline made sibling
        chunks of one article look alike and cost 4 points of recall (bench/NOTES.md)."""
        return self.text

    def metadata(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "number": self.number,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "date": self.date,
            "date_num": date_num(self.date),
            "lang": self.lang,
            "start": self.start,
            "end": self.end,
            "shelf": self.shelf,
        }


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    dense_rank: int | None = None
    keyword_rank: int | None = None
    dense_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "article_id": c.article_id,
            "chunk_id": c.chunk_id,
            "title": c.title,
            "url": c.url,
            "source": c.source,
            "lang": c.lang,
            "date": c.date,
            "shelf": c.shelf,
            "text": c.text,
            "score": round(self.score, 6),
        }


@dataclass(frozen=True)
class Failure:
    source: str
    reason: str


LISTED_FAILURES = 100


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # "source = article_id" it repeats
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_embedded: int = 0
    texts_embedded: int = 0  # chunks and sentences
    seconds: float = 0.0
    stopped: bool = False  # ended early (a shutdown): `unfinished` articles are for the next run
    unfinished: int = 0
    failed_unlisted: int = 0  # failures beyond the first LISTED_FAILURES, counted only

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def failures(self) -> int:
        return len(self.failed) + self.failed_unlisted

    def fail(self, failure: Failure) -> None:
        """A million bad records are a count, not a million lines kept in memory."""
        if len(self.failed) < LISTED_FAILURES:
            self.failed.append(failure)
        else:
            self.failed_unlisted += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
            "failed": [{"source": f.source, "reason": f.reason} for f in self.failed],
            "failed_count": self.failures,
            "warnings": self.warnings,
            "duplicates": len(self.duplicates),
            "chunks_added": self.chunks_added,
            "chunks_removed": self.chunks_removed,
            "chunks_embedded": self.chunks_embedded,
            "texts_embedded": self.texts_embedded,
            "seconds": round(self.seconds, 3),
            "stopped": self.stopped,
            "unfinished": self.unfinished,
            "articles": {
                "added": self.added,
                "updated": self.updated,
                "removed": self.removed,
            },
        }


@dataclass(frozen=True)
class Citation:
    number: int
    article_id: str
    chunk_id: str
    title: str
    url: str
    date: str
    quote: str
    also: tuple[tuple[str, str], ...] = ()  # (url, title) of copies from other outlets
    shelf: str = PUBLIC

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "article_id": self.article_id,
            "chunk_id": self.chunk_id,
            "title": self.title,
            "url": self.url,
            "date": self.date,
            "quote": self.quote,
            "shelf": self.shelf,
            "also_published": [{"url": u, "title": t} for u, t in self.also],
        }


def group_citations(citations: list[Citation]) -> list[tuple[list[int], Citation]]:
    """Citations of the same article on one line: ([numbers], first citation), in order."""
    groups: dict[str, tuple[list[int], Citation]] = {}
    for c in citations:
        groups.setdefault(c.article_id, ([], c))[0].append(c.number)
    return list(groups.values())


@dataclass
class Answer:
    question: str
    text: str
    language: str  # ISO 639-1 of the question (and the answer)
    found: bool  # True only when the articles answer it (coverage "answered")
    citations: list[Citation]
    mode: str  # "llm" or "extractive"
    model: str = ""  # the chat model's name, "" when extractive
    standalone_question: str = ""  # the follow-up as rewritten for search
    note: str = ""  # why the answer is extractive or not covered (for logs and --json)
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds
    # ANSWERED, UNCERTAIN (the closest passages, under a header saying so) or NOT_COVERED;
    # empty: derived from `found`.
    coverage: str = ""

    def __post_init__(self) -> None:
        if not self.coverage:
            self.coverage = ANSWERED if self.found else NOT_COVERED
        self.found = self.coverage == ANSWERED

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "language": self.language,
            "found": self.found,
            "coverage": self.coverage,
            "citations": [c.to_json() for c in self.citations],
            "mode": self.mode,
            "model": self.model,
            "standalone_question": self.standalone_question,
            "note": self.note,
            "timings": {k: round(v, 1) for k, v in self.timings.items()},
        }
