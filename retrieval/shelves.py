"""Shelves: every article belongs to one, and each chat searches only the shelves it is bound to.
A shelf's name is checked once, here, at the door (a command's argument, a feed's setting, a
channel's name): lowercase letters, digits and hyphens, so that it can name a Chroma collection
of its own (`vectors.py`) and never collides with another shelf's."""

from __future__ import annotations

from collections.abc import Iterable

import regex

from retrieval.errors import InputError

PUBLIC = "public"  # the default shelf: what every chat sees unless bound otherwise
MAX_LENGTH = 40
_NAME = regex.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
_FOLD = regex.compile(r"[^a-z0-9]+")


class ShelfNameError(InputError, ValueError):
    """A name that cannot be a shelf's (a FootnoteError: front ends say it as they say any)."""


def shelf_name(raw: str) -> str:
    """`raw` as a shelf's name (lowercased), or ShelfNameError saying what a name may hold."""
    name = (raw or "").strip().lower()
    if not _NAME.fullmatch(name):
        raise ShelfNameError(
            f"a shelf's name is 1-{MAX_LENGTH} lowercase letters, digits and hyphens "
            "(not at either end)"
        )
    return name


def shelf_names(raw: Iterable[str]) -> tuple[str, ...]:
    """Several names, checked, in order, each once."""
    return tuple(dict.fromkeys(shelf_name(r) for r in raw))


def derived_shelf(label: str, fallback: str) -> str:
    """A shelf named after where articles came from (a channel's @username, its title): folded
    into a valid name, or `fallback` (already valid) when nothing of it is left."""
    folded = _FOLD.sub("-", (label or "").lower()).strip("-")[:MAX_LENGTH].strip("-")
    return folded if _NAME.fullmatch(folded) else fallback
