"""Prompt templates are data files beside this module, rendered with a loud failure on a missing
variable: a prompt silently missing its sources or language would produce confident nonsense."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_DIR = Path(__file__).resolve().parent
_VAR = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


class PromptError(KeyError):
    """A template names a variable the caller did not provide (or the template is missing)."""


@cache
def template(name: str) -> str:
    path = _DIR / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"no prompt template {name!r} in {_DIR}")
    return path.read_text(encoding="utf-8").strip()


def render(name: str, **variables: object) -> str:
    """Fill `{{ name }}` placeholders; every placeholder must be given."""
    text = template(name)
    missing = sorted({m for m in _VAR.findall(text) if m not in variables})
    if missing:
        raise PromptError(f"prompt {name!r} needs {', '.join(missing)}")
    return _VAR.sub(lambda m: str(variables[m.group(1)]), text)
