"""Prompt templates are data files beside this module, rendered with a loud failure on a missing
variable: a prompt silently missing its sources or language would produce confident nonsense."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_DIR = Path(__file__).resolve().parent
_VAR = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


# Tags the templates use to fence data: a value can neither open nor close one of them.
_FENCE_TAG = re.compile(r"<\s*/?\s*(?:source|story|question|conversation|post|claims)\b", re.I)


class Trusted(str):
    """Text Footnote wrote itself (a rendered template, sources already fenced): not fenced again."""


def fence(text: object) -> str:
    """A value Footnote did not write (a question, a title, a language a record named), made
    unable to open or close a fence tag in the prompt it is written into."""
    return _FENCE_TAG.sub(lambda m: m.group(0).replace("<", "‹"), str(text))


class PromptError(KeyError):
    """A template names a variable the caller did not provide (or the template is missing)."""


@cache
def template(name: str) -> str:
    path = _DIR / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"no prompt template {name!r} in {_DIR}")
    return path.read_text(encoding="utf-8").strip()


def render(name: str, **variables: object) -> Trusted:
    """Fill `{{ name }}` placeholders; every placeholder must be given. Every value is fenced
    (`fence`) unless it is `Trusted`: a caller cannot forget to."""
    text = template(name)
    missing = sorted({m for m in _VAR.findall(text) if m not in variables})
    if missing:
        raise PromptError(f"prompt {name!r} needs {', '.join(missing)}")

    def value(m: re.Match[str]) -> str:
        v = variables[m.group(1)]
        return v if isinstance(v, Trusted) else fence(v)

    return Trusted(_VAR.sub(value, text))
