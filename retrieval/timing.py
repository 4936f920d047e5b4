"""Measuring how long things take, and summarising what was measured."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np


def ms_since(start: float) -> float:
    """Milliseconds since a `time.perf_counter()` reading."""
    return (time.perf_counter() - start) * 1000


def percentile(values: Sequence[float], p: float) -> float | None:
    """The measured value at percentile `p` (nearest rank, never interpolated); None if empty."""
    if len(values) == 0:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), p, method="nearest"))
