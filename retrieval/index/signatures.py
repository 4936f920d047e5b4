"""MinHash signatures of an article's word shingles (datasketch) and their band buckets: what
the near-duplicate finder (`duplicates.py`) stores and looks up in the catalog. No catalog here:
the catalog's migrations compute buckets too.

The threshold is calibrated on pairs built from one half of the news-de articles and measured on
the other half (`python -m bench.run --only duplicates`).
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from datasketch import MinHash

from retrieval.index.sql import Statement

NUM_PERM = 64
SHINGLE_WORDS = 3
THRESHOLD = 0.35  # estimated Jaccard of shingle sets, calibrated: see docs/BENCHMARKS.md
MIN_WORDS = 40  # shorter texts (a notice, a headline-only record) are never merged
SEED = 1
SCHEME = "affine32"  # datasketch 2's default, named: stored signatures are read back with it


def candidate_threshold(threshold: float) -> float:
    """The LSH index is set looser than the decision, so a copy near the threshold is still
    among its candidates; each candidate is then scored on its full signature."""
    return max(0.1, round(threshold * 0.6, 2))


def signature(text: str) -> MinHash | None:
    """MinHash of the text's word 3-grams; None for a text too short to judge."""
    words = re.findall(r"\w+", text.casefold())
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - 2)}
    m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    m.update_batch([s.encode("utf-8") for s in shingles])
    return m


def similarity(a: str, b: str) -> float:
    sa, sb = signature(a), signature(b)
    return float(sa.jaccard(sb)) if sa is not None and sb is not None else 0.0


# Locality-sensitive hashing in the catalog: each signature is cut into BANDS bands of ROWS
# values; two articles sharing any band's values are candidates (then scored on their full
# signatures). 25 bands of 2 are what datasketch's MinHashLSH chooses for the candidate
# threshold of the default decision (0.21 for 0.35): a pair with Jaccard 0.35 shares a band with
# probability 0.96. Fixed here, not derived from a setting: stored buckets never go stale.
BANDS, ROWS = 25, 2


def buckets(sig: MinHash) -> list[int]:
    """The signature's band buckets: one 63-bit key per band (its number and its values)."""
    values = np.asarray(sig.hashvalues, dtype=np.uint64)
    out = []
    for band in range(BANDS):
        part = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(bytes([band]) + part, digest_size=8).digest()
        out.append(int.from_bytes(digest) >> 1)
    return out


def bucket_rows(article_id: str, sig: MinHash) -> list[Statement]:
    return [
        ("INSERT INTO signature_bands (bucket, article_id) VALUES (:b, :a) "
         "ON CONFLICT (bucket, article_id) DO NOTHING", {"b": b, "a": article_id})
        for b in dict.fromkeys(buckets(sig))
    ]  # fmt: skip
