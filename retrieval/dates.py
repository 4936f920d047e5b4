"""Article dates: one representation (ISO `YYYY-MM-DD`, optionally with a time) and one way to turn
it into the number Chroma filters on."""

from __future__ import annotations

import re

_ISO_DAY = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def iso_day(value: str) -> str:
    """'2024-01-02', '2024/1/2', '2024-01-02T08:00:00Z' -> '2024-01-02'; '' if no valid day."""
    m = _ISO_DAY.match(value or "")
    if not m:
        return ""
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return ""
    return f"{y:04d}-{mo:02d}-{d:02d}"


def date_num(value: str) -> int:
    """YYYYMMDD as an int for range filters; 0 when the value holds no date."""
    day = iso_day(value)
    if day:
        return int(day.replace("-", ""))
    digits = "".join(ch for ch in (value or "") if ch.isdigit())[:8]
    return int(digits.ljust(8, "0")) if len(digits) >= 4 else 0
