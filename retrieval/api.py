"""The core's public surface: the names the bot (and other front ends) use. Everything else in
`retrieval/` may move between releases; these names stay.

Names are imported when first used (PEP 562), so `footnote --help` does not load Chroma, the
embedder and the language models only to print a usage line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names, for type checkers (a test keeps both lists equal)
    from retrieval.answer.answerer import Answerer as Answerer
    from retrieval.answer.check import check_post as check_post
    from retrieval.answer.check import post_of as post_of
    from retrieval.answer.digest import digest as digest
    from retrieval.answer.digest import period as period
    from retrieval.answer.digest import whats_new as whats_new
    from retrieval.cli.commands import build_parser as build_parser
    from retrieval.cli.commands import cmd_chat as cmd_chat
    from retrieval.cli.commands import main as cli_main  # noqa: F401
    from retrieval.dates import describe_date as describe_date
    from retrieval.errors import ConfigError as ConfigError
    from retrieval.errors import FootnoteError as FootnoteError
    from retrieval.errors import IndexBusyError as IndexBusyError
    from retrieval.errors import StoreUnavailableError as StoreUnavailableError
    from retrieval.feeds.poll import Feeds as Feeds
    from retrieval.index.feed_table import describe_feed as describe_feed
    from retrieval.index.ingest import forget as forget_article  # noqa: F401
    from retrieval.index.ingest import ingest as ingest
    from retrieval.index.ingest import reindex as reindex
    from retrieval.index.inventory import sources as list_sources  # noqa: F401
    from retrieval.index.inventory import stats as index_stats  # noqa: F401
    from retrieval.index.migrations import Migration as Migration
    from retrieval.index.migrations import add_column as add_column
    from retrieval.index.migrations import apply as apply_migrations  # noqa: F401
    from retrieval.index.migrations import create_tables as create_tables
    from retrieval.index.migrations import pg_lock as pg_lock
    from retrieval.index.parts import Index as Index
    from retrieval.index.sql import with_wal as with_wal
    from retrieval.languages import FALLBACK as FALLBACK
    from retrieval.languages import complete_in as complete_in
    from retrieval.languages import pick as pick
    from retrieval.llm.client import make_llm as make_llm
    from retrieval.llm.prompts import NOT_FOUND as NOT_FOUND
    from retrieval.llm.transcribe import OpenAITranscriber as OpenAITranscriber
    from retrieval.llm.transcribe import TranscriptionError as TranscriptionError
    from retrieval.search.follow import score as follow_score  # noqa: F401
    from retrieval.search.follow import story as follow_story  # noqa: F401
    from retrieval.search.follow import written as follow_written  # noqa: F401
    from retrieval.settings import Settings as Settings
    from retrieval.shelves import PUBLIC as PUBLIC_SHELF  # noqa: F401
    from retrieval.shelves import ShelfNameError as ShelfNameError
    from retrieval.shelves import derived_shelf as derived_shelf
    from retrieval.shelves import shelf_name as shelf_name
    from retrieval.strings import STRINGS as STRINGS
    from retrieval.strings import text as ui_text  # noqa: F401
    from retrieval.timing import percentile as percentile
    from retrieval.types import Answer as Answer
    from retrieval.types import Citation as Citation
    from retrieval.types import IngestReport as IngestReport
    from retrieval.types import group_citations as group_citations

# public name -> (module, name there)
_WHERE: dict[str, tuple[str, str]] = {
    "Answer": ("retrieval.types", "Answer"),
    "Answerer": ("retrieval.answer.answerer", "Answerer"),
    "check_post": ("retrieval.answer.check", "check_post"),
    "post_of": ("retrieval.answer.check", "post_of"),
    "follow_score": ("retrieval.search.follow", "score"),
    "follow_story": ("retrieval.search.follow", "story"),
    "follow_written": ("retrieval.search.follow", "written"),
    "PUBLIC_SHELF": ("retrieval.shelves", "PUBLIC"),
    "ShelfNameError": ("retrieval.shelves", "ShelfNameError"),
    "derived_shelf": ("retrieval.shelves", "derived_shelf"),
    "shelf_name": ("retrieval.shelves", "shelf_name"),
    "Citation": ("retrieval.types", "Citation"),
    "ConfigError": ("retrieval.errors", "ConfigError"),
    "FALLBACK": ("retrieval.languages", "FALLBACK"),
    "Feeds": ("retrieval.feeds.poll", "Feeds"),
    "FootnoteError": ("retrieval.errors", "FootnoteError"),
    "Index": ("retrieval.index.parts", "Index"),
    "IndexBusyError": ("retrieval.errors", "IndexBusyError"),
    "IngestReport": ("retrieval.types", "IngestReport"),
    "NOT_FOUND": ("retrieval.llm.prompts", "NOT_FOUND"),
    "STRINGS": ("retrieval.strings", "STRINGS"),
    "Settings": ("retrieval.settings", "Settings"),
    "StoreUnavailableError": ("retrieval.errors", "StoreUnavailableError"),
    "build_parser": ("retrieval.cli.commands", "build_parser"),
    "cli_main": ("retrieval.cli.commands", "main"),
    "cmd_chat": ("retrieval.cli.commands", "cmd_chat"),
    "complete_in": ("retrieval.languages", "complete_in"),
    "describe_date": ("retrieval.dates", "describe_date"),
    "describe_feed": ("retrieval.index.feed_table", "describe_feed"),
    "digest": ("retrieval.answer.digest", "digest"),
    "forget_article": ("retrieval.index.ingest", "forget"),
    "group_citations": ("retrieval.types", "group_citations"),
    "index_stats": ("retrieval.index.inventory", "stats"),
    "ingest": ("retrieval.index.ingest", "ingest"),
    "list_sources": ("retrieval.index.inventory", "sources"),
    "make_llm": ("retrieval.llm.client", "make_llm"),
    "OpenAITranscriber": ("retrieval.llm.transcribe", "OpenAITranscriber"),
    "TranscriptionError": ("retrieval.llm.transcribe", "TranscriptionError"),
    "percentile": ("retrieval.timing", "percentile"),
    "Migration": ("retrieval.index.migrations", "Migration"),
    "add_column": ("retrieval.index.migrations", "add_column"),
    "apply_migrations": ("retrieval.index.migrations", "apply"),
    "create_tables": ("retrieval.index.migrations", "create_tables"),
    "pg_lock": ("retrieval.index.migrations", "pg_lock"),
    "with_wal": ("retrieval.index.sql", "with_wal"),
    "period": ("retrieval.answer.digest", "period"),
    "whats_new": ("retrieval.answer.digest", "whats_new"),
    "pick": ("retrieval.languages", "pick"),
    "reindex": ("retrieval.index.ingest", "reindex"),
    "ui_text": ("retrieval.strings", "text"),
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    try:
        module, attr = _WHERE[name]
    except KeyError:
        raise AttributeError(f"retrieval.api has no {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # once: later lookups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
