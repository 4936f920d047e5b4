"""Check a model's citations against the sources it was given.

Numbers that name no source are removed (never shown); `[1][1]` and `[1, 1]` become `[1]`,
`[1,2]` becomes `[1][2]`; the surviving sources are renumbered in order of first use, and only
they are listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GROUP = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
# Reasoning some models (DeepSeek-R1, Qwen3 through Ollama or vLLM) write before the answer.
_REASONING = re.compile(r"<(think|thinking|reasoning)>.*?(?:</\1>|\Z)", re.S | re.I)
_BRACKETS = str.maketrans({"【": "[", "】": "]", "［": "[", "］": "]", "〔": "[", "〕": "]"})
_FOOTNOTE = re.compile(r"\[\^\s*(\d+)\s*\]")
_RANGE = re.compile(r"\[\s*(\d{1,3})\s*[-–—]\s*(\d{1,3})\s*\]")
_ANY_RANGE = re.compile(r"\[\s*\d+\s*[-–—]\s*\d+\s*\]")  # one `_RANGE` did not expand
_NAMED = re.compile(
    r"[\[(]\s*(?:sources?|quelle[n]?|fuentes?|fonte|bron|источник|kaynak|来源|出典|출처)"
    r"\s*:?\s*(\d+(?:\s*[,;]\s*\d+)*)\s*[\])]",
    re.I,
)
_BARE_NAMED = re.compile(r"\b(?:Source|Quelle|Fuente)\s+(\d{1,2})\b")
_SUPERSCRIPT = re.compile(r"(?<=[^\s\d])([¹²³⁴⁵⁶⁷⁸⁹⁰]+)")
_SUPER_DIGITS = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")
_PAREN = re.compile(r"(?<=[\w.!?)\]]) ?\((\d{1,2}(?:\s*,\s*\d{1,2})*)\)(?=[ .,;:!?。\n]|$)")
_UNFINISHED = re.compile(r"\[[\d\s,;^-]*$")
# The prompt's own placeholder copied by a small model: "[n]", "[N]", "[#]", "[x]".
_PLACEHOLDER = re.compile(r"\s?\[\s*(?:n|N|x|X|#|\?|number|num)\s*\]")


# The prompt's own fences copied back: a small model appends "Citation: <source n="1">…" with
# the source's text (seen with a 1.5B model, in the source's language). Never the answer.
_ECHO = re.compile(r"<(source|question)\b[^>]*>.*?(?:</\1>|\Z)", re.S | re.I)
_LABEL_LEFT = re.compile(r"\n[^\n]{0,40}:\s*\Z")


def strip_echo(text: str) -> str:
    """The reply without the fenced blocks it copied (an unclosed one runs to the end), nor the
    label left before one at the end ("Citation:")."""
    out = _ECHO.sub("", text)
    if out != text:
        out = re.sub(r"[ \t]{2,}", " ", _LABEL_LEFT.sub("", out.rstrip() + "\n")).strip()
    return out


def strip_reasoning(text: str) -> str:
    """The answer without `<think>…</think>` blocks (an unclosed one runs to the end)."""
    return _REASONING.sub("", text).strip()


def _superscript(run: str) -> str:
    """¹²³ is sources 1, 2 and 3 (few answers cite more than nine); ¹⁰ is source 10."""
    digits = re.findall(r"\d0?", run.translate(_SUPER_DIGITS))
    return " " + "".join(f"[{d}]" for d in digits)


def normalise(text: str) -> str:
    """Citation markers as real models write them (`[1-3]`, `【1】`, `[^1]`, `¹`, `(1)`,
    "[Quelle 1]", "Source 1"; any digits) rewritten as `[n]`; a marker cut off at the end
    dropped."""
    text = strip_echo(strip_reasoning(text)).translate(_BRACKETS)
    text = _FOOTNOTE.sub(r"[\1]", text)

    def expand(m: re.Match[str]) -> str:
        a, b = int(m.group(1)), int(m.group(2))
        return "[" + ", ".join(str(n) for n in range(a, b + 1)) + "]" if 0 < a <= b <= a + 9 else ""

    text = _ANY_RANGE.sub("", _RANGE.sub(expand, text))  # a range naming no sources: removed
    text = _NAMED.sub(r"[\1]", text)
    text = _BARE_NAMED.sub(r"[\1]", text)
    text = _SUPERSCRIPT.sub(lambda m: _superscript(m.group(1)), text)
    text = _PAREN.sub(r" [\1]", text)
    text = _PLACEHOLDER.sub("", text)
    return _UNFINISHED.sub("", text)


_RUN = re.compile(r"(?:\[\d+\])+")


@dataclass(frozen=True)
class Checked:
    text: str
    used: list[int]  # original source numbers, in order of first use (new number = index + 1)
    invalid: list[int]  # numbers the model made up


def check_citations(text: str, n_sources: int) -> Checked:
    text = normalise(text)
    invalid: list[int] = []
    used: list[int] = []

    def group(m: re.Match[str]) -> str:
        out = []
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            n = int(part) if len(part) <= 6 else -1  # a run of digits is no source number
            if 1 <= n <= n_sources:
                if n not in used:
                    used.append(n)
                out.append(used.index(n) + 1)
            else:
                invalid.append(n)
        return "".join(f"[{x}]" for x in out)

    renumbered = _GROUP.sub(group, text)

    def merge(m: re.Match[str]) -> str:  # adjacent duplicates: [1][1][2] -> [1][2]
        seen: list[str] = []
        for num in re.findall(r"\d+", m.group(0)):
            if num not in seen:
                seen.append(num)
        return "".join(f"[{x}]" for x in seen)

    merged = _RUN.sub(merge, renumbered)
    # Removing a marker can leave "word  ." or "word ,": tidy the spacing it leaves behind.
    merged = re.sub(r"[ \t]+([.,;:!?。，！？])", r"\1", merged)
    merged = re.sub(r"[ \t]{2,}", " ", merged).strip()
    return Checked(text=merged, used=used, invalid=invalid)
