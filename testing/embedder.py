"""A deterministic embedder: each word maps to a fixed random vector; a text is their mean.

Texts that share words are similar, so search behaves sensibly, and it is fast and offline.
It also counts calls, so tests can prove what was (not) embedded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from retrieval.text.analysis import tokenize
from retrieval.text.sentences import estimate_tokens


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


class LanguageBiasedEmbedder(HashEmbedder):
    """A hash embedder with what makes multilingual encoders prefer same-language passages: a
    strong offset per language (told by `lang_of`), which `language_centers` reports exactly,
    as a perfect measurement on parallel text would. `centered=False` hides the centers."""

    def __init__(
        self, lang_of: Any, dim: int = 64, bias: float = 2.0, centered: bool = True
    ) -> None:
        super().__init__(dim=dim, name=f"fake/biased-{dim}")
        self.lang_of = lang_of
        self.bias = bias
        self.centered = centered
        self._offsets: dict[str, np.ndarray] = {}

    def offset(self, lang: str) -> np.ndarray:
        if lang not in self._offsets:
            seed = int.from_bytes(
                hashlib.blake2b(f"lang:{lang}".encode(), digest_size=8).digest(), "little"
            )
            v = np.random.default_rng(seed).standard_normal(self._dim).astype(np.float32)
            self._offsets[lang] = self.bias * v / float(np.linalg.norm(v))
        return self._offsets[lang]

    def _biased(self, text: str) -> np.ndarray:
        v = self._vec(text) + self.offset(self.lang_of(text))
        return v / float(np.linalg.norm(v))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages_embedded.extend(texts)
        return (
            np.stack([self._biased(t) for t in texts])
            if texts
            else np.zeros((0, self._dim), np.float32)
        )

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries_embedded.extend(texts)
        return np.stack([self._biased(t) for t in texts])

    def language_centers(self) -> dict[str, np.ndarray] | None:
        """The mean of a language's unit vectors: its offset, shrunk as normalising shrinks it
        (a text's own vector is a random unit vector nearly orthogonal to the offset)."""
        if not self.centered:
            return None
        langs = ("en", "de", "fr", "es")
        scale = 1 / float(np.sqrt(1 + self.bias**2))
        centers = {f"p_{lang}": self.offset(lang) * scale for lang in langs}
        centers.update({f"q_{lang}": self.offset(lang) * scale for lang in langs})
        return centers
