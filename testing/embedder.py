"""A deterministic embedder: each word maps to a fixed random vector; a text is their mean.

Texts that share words are similar, so search behaves sensibly, and it is fast and offline.
It also counts calls, so tests can prove what was (not) embedded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from retrieval.chunk import estimate_tokens
from retrieval.keyword import tokenize


class HashEmbedder:
    def __init__(self, dim: int = 64, name: str = "fake/hash-64") -> None:
        self.name = name
        self._dim = dim
        self.passages_embedded: list[str] = []
        self.queries_embedded: list[str] = []

    @property
    def dim(self) -> int:
        return self._dim

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self._dim, dtype=np.float32)
        for tok in tokenize(text) or ["<empty>"]:
            seed = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
            v += np.random.default_rng(seed).standard_normal(self._dim).astype(np.float32)
        return v / max(float(np.linalg.norm(v)), 1e-9)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages_embedded.extend(texts)
        return (
            np.stack([self._vec(t) for t in texts])
            if texts
            else np.zeros((0, self._dim), np.float32)
        )

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries_embedded.extend(texts)
        return np.stack([self._vec(t) for t in texts])

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)
