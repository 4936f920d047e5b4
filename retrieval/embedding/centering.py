"""Language-neutral vectors. A multilingual encoder puts every passage of one language near that
language's mean vector, so a question prefers same-language passages over the right one in
another language (XQuAD with every article in one of twelve languages, paragraph vectors: recall@5
0.71, Chinese 0.33). Subtracting each language's center from its passages, and a query center
from queries, removes that (0.92, every language >= 0.87; docs/BENCHMARKS.md).

The passage centers are fixed per embedder and measured on parallel text (`centers.py`), so
they do not depend on the corpus: a stored vector never goes stale, and a corpus with one
article in a language is not robbed of that article's topic (which centering on the corpus's own
per-language means does: measured 0.85 against 0.98 on one article per language). The query
center mixes the languages' mean query center with one taken from the corpus's own sentences
embedded as queries (which also removes what all questions about this corpus share), and moves
half way toward the question's own language's center. Last, half of what is left of the
question along the directions in which the languages' query centers differ is removed: a
question keeps some of its language beyond the mean offset, and that part only draws it to
passages in its own language (tuning sample of XQuAD, mixed index: recall@5 0.936 -> 0.943,
recall@1 0.751 -> 0.759; English-only 0.965 -> 0.968; removing all of it cost English recall@1).
The directions come from the same CLDR centers, so no question is calibration data.

Vectors are stored centered (Chroma searches the corrected space) with the norm `cn` that
normalising removed, so the raw vector can be recovered exactly (`raw`) to reuse it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.embedding.centers import fingerprint

CORPUS_QUERY_SHARE = 0.5  # of the query center taken from the corpus's own sentences
QUERY_LANG_SHARE = 0.5  # of the gap to the question's own language's query center, removed too
LANG_SUBSPACE_SHARE = 0.5  # of the question's part along the languages' directions, removed
RAW = "raw"  # the space of an embedder without centers: vectors as it makes them


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (float(np.linalg.norm(v)) or 1.0)


def _basis(centers: list[np.ndarray]) -> np.ndarray | None:
    """An orthonormal basis (columns) of the span in which the centers differ from their mean."""
    if len(centers) < 2:
        return None
    spread = np.stack(centers).astype(np.float64)
    spread -= spread.mean(0)
    _, values, vt = np.linalg.svd(spread, full_matrices=False)
    keep = values > 1e-6 * (values[0] or 1.0)
    return vt[keep].T.astype(np.float32) if keep.any() else None


class Centering:
    def __init__(
        self,
        centers: dict[str, np.ndarray] | None = None,
        corpus_query: np.ndarray | None = None,
    ) -> None:
        centers = centers or {}
        self.passage = {k[2:]: v for k, v in centers.items() if k.startswith("p_")}
        self.queries = {k[2:]: v for k, v in centers.items() if k.startswith("q_")}
        queries = list(self.queries.values())
        self.fallback = np.mean(list(self.passage.values()), 0) if self.passage else None
        self.query_mean = np.mean(queries, 0) if queries else None
        self.corpus_query = corpus_query
        self.lang_basis = _basis(queries)
        self.space = f"centered-{fingerprint(centers)}" if centers else RAW

    @property
    def active(self) -> bool:
        return self.fallback is not None

    def center_of(self, lang: str) -> np.ndarray | None:
        """A language's center; one not measured gets the mean of all (the shared part)."""
        return self.passage.get(lang, self.fallback)

    def apply(self, vectors: np.ndarray, langs: Sequence[str]) -> tuple[np.ndarray, list[float]]:
        """Raw vectors -> (centered unit vectors, the norms normalising removed)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        out = np.empty_like(vectors)
        norms: list[float] = []
        for i, (v, lang) in enumerate(zip(vectors, langs, strict=True)):
            c = self.center_of(lang)
            d = v - c if c is not None else v
            norm = float(np.linalg.norm(d)) or 1.0
            out[i] = d / norm
            norms.append(norm)
        return out, norms

    def raw(self, stored: np.ndarray, norms: Sequence[float], langs: Sequence[str]) -> np.ndarray:
        """Stored vectors -> the embedder's own vectors."""
        out = np.asarray(stored, dtype=np.float32) * np.asarray(norms, dtype=np.float32)[:, None]
        for i, lang in enumerate(langs):
            c = self.center_of(lang)
            if c is not None:
                out[i] += c
        return out

    def query(self, vector: np.ndarray, lang: str = "") -> np.ndarray:
        """A query vector in the corrected space; `lang` is the question's language."""
        v = np.asarray(vector, dtype=np.float32)
        if self.query_mean is None:
            return v
        center = self.query_mean
        if self.corpus_query is not None:
            center = (1 - CORPUS_QUERY_SHARE) * center + CORPUS_QUERY_SHARE * self.corpus_query
        if QUERY_LANG_SHARE and lang in self.queries:
            center = center + QUERY_LANG_SHARE * (self.queries[lang] - self.query_mean)
        d = v - center
        if self.lang_basis is not None and LANG_SUBSPACE_SHARE:
            d = d - LANG_SUBSPACE_SHARE * (self.lang_basis @ (self.lang_basis.T @ d))
        return _unit(d)
