"""Repair of what an earlier release (or another tool) stored without the door's checks: an
impossible date, a language that is no language code, a title with control or direction
characters, an address that is not http(s). Runs once per catalog (a mark in its meta table),
on whichever engine holds it, before the index serves anything."""

from __future__ import annotations

import logging
from typing import Any

from retrieval.index.catalog import Catalog
from retrieval.index.sql import Statement, upsert
from retrieval.sources.metadata import checked, language_code

log = logging.getLogger(__name__)

DOOR = "1"  # bump when the door checks more: stored rows are checked again


def repair_stored(catalog: Catalog, detector: Any) -> int:
    """Fix the rows the door would have refused; returns how many articles changed."""
    if catalog.get_meta("door") == DOOR:
        return 0
    statements: list[Statement] = []
    for r in catalog.query("SELECT article_id, title, url, date, lang FROM articles"):
        (title, url, day, lang), dropped = checked(r["title"], r["url"], r["date"], r["lang"])
        if r["lang"] and not lang:  # the text is read only for a language to detect again
            lang = detector.detect(_text(catalog, r["article_id"])) or ""
        else:
            lang = lang or r["lang"]
        if (title, url, day, lang) != (r["title"], r["url"], r["date"], r["lang"]):
            statements.append(
                ("UPDATE articles SET title = :title, url = :url, date = :date, lang = :lang "
                 "WHERE article_id = :a",
                 {"title": title, "url": url, "date": day, "lang": lang, "a": r["article_id"]})
            )  # fmt: skip
            log.warning("repaired article %s: %s", r["article_id"], "; ".join(dropped))
    for r in catalog.query("SELECT DISTINCT lang FROM chunks"):
        if r["lang"] and not language_code(r["lang"]):
            statements.append(
                ("UPDATE chunks SET lang = '' WHERE lang = :lang", {"lang": r["lang"]})
            )
    if statements:  # the words' language and date were copied from these rows: index again
        statements.append(upsert("meta", ["key"], {"key": "keyword_index", "value": ""}))
    statements.append(_mark())
    catalog.transact(statements)
    return sum(1 for sql, _ in statements if sql.startswith("UPDATE articles"))


def _text(catalog: Catalog, article_id: str) -> str:
    rows = catalog.query("SELECT text FROM articles WHERE article_id = :a", {"a": article_id})
    return str(rows[0]["text"])[:1500] if rows else ""


def _mark() -> Statement:
    return upsert("meta", ["key"], {"key": "door", "value": DOOR})
