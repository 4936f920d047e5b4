"""Check a model's citations against the sources it was given.

Numbers that name no source are removed (never shown); `[1][1]` and `[1, 1]` become `[1]`,
`[1,2]` becomes `[1][2]`; the surviving sources are renumbered in order of first use, and only
they are listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GROUP = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_RUN = re.compile(r"(?:\[\d+\])+")


@dataclass(frozen=True)
class Checked:
    text: str
    used: list[int]  # original source numbers, in order of first use (new number = index + 1)
    invalid: list[int]  # numbers the model made up


def check_citations(text: str, n_sources: int) -> Checked:
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
