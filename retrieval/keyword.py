"""BM25 keyword search (bm25s) over the chunks: it catches names and numbers that a small dense
model blurs. Built from the catalog, saved beside it, stamped with the catalog generation."""

from __future__ import annotations

import json
import logging
import re
import shutil
import unicodedata
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)

_TOKEN = re.compile(r"\w+", re.UNICODE)
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")


def tokenize(text: str) -> list[str]:
    """Lower-cased, accent-folded words; scripts written without spaces become character bigrams."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    out: list[str] = []
    for tok in _TOKEN.findall(folded):
        if _UNSPACED.search(tok):
            chars = [c for c in tok if _UNSPACED.match(c)]
            rest = _UNSPACED.sub(" ", tok).split()
            out.extend(a + b for a, b in pairwise(chars))
            if len(chars) == 1:
                out.append(chars[0])
            out.extend(r for r in rest if len(r) > 1 or r.isdigit())
        elif len(tok) > 1 or tok.isdigit():
            out.append(tok)
    return out


class KeywordIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.generation = -1
        self.ids: list[str] = []
        self.langs: np.ndarray = np.array([], dtype=object)
        self.dates: np.ndarray = np.array([], dtype=object)
        self.articles: np.ndarray = np.array([], dtype=object)
        self._bm25: bm25s.BM25 | None = None

    def build(
        self,
        rows: Sequence[tuple[str, str, str, str, str]],
        generation: int,
        save: bool = True,
    ) -> None:
        """rows: (chunk_id, article_id, lang, date, text to index)."""
        self.ids = [r[0] for r in rows]
        self.articles = np.array([r[1] for r in rows], dtype=object)
        self.langs = np.array([r[2] for r in rows], dtype=object)
        self.dates = np.array([r[3] for r in rows], dtype=object)
        if rows:
            bm = bm25s.BM25()
            bm.index([tokenize(r[4]) for r in rows], show_progress=False)
            self._bm25 = bm
        else:
            self._bm25 = None
        self.generation = generation
        if save:
            self._save()

    def _save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._bm25 is not None:
            self._bm25.save(str(tmp), show_progress=False)
        meta = {
            "generation": self.generation,
            "ids": self.ids,
            "articles": self.articles.tolist(),
            "langs": self.langs.tolist(),
            "dates": self.dates.tolist(),
        }
        (tmp / "footnote.json").write_text(json.dumps(meta), encoding="utf-8")
        old = self.path.with_name(self.path.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.path.exists():
            self.path.rename(old)
        tmp.rename(self.path)
        shutil.rmtree(old, ignore_errors=True)

    def load(self, generation: int) -> bool:
        """Load the saved index if it matches `generation`; False means rebuild."""
        meta_file = self.path / "footnote.json"
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if meta.get("generation") != generation:
            return False
        self.ids = meta["ids"]
        self.articles = np.array(meta["articles"], dtype=object)
        self.langs = np.array(meta["langs"], dtype=object)
        self.dates = np.array(meta["dates"], dtype=object)
        self._bm25 = bm25s.BM25.load(str(self.path), show_progress=False) if self.ids else None
        self.generation = generation
        return True

    def search(self, query: str, n: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(chunk_id, bm25 score) for chunks sharing words with the query, best first."""
        if self._bm25 is None or not self.ids:
            return []
        tokens = [t for t in tokenize(query) if t in self._bm25.vocab_dict]
        if not tokens:
            return []
        k = min(n, len(self.ids))
        docs, scores = self._bm25.retrieve(
            [tokens],
            k=k,
            show_progress=False,
            weight_mask=None if mask is None else mask.astype(np.float32),
            n_threads=1,
        )
        return [
            (self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0
        ]

    def coverage(self, query: str) -> float:
        """Share of the query's tokens that occur in the indexed chunks."""
        tokens = tokenize(query)
        if self._bm25 is None or not tokens:
            return 0.0
        vocab = self._bm25.vocab_dict
        return sum(1 for t in tokens if t in vocab) / len(tokens)

    def mask(
        self, lang: str = "", date_from: str = "", date_to: str = "", article_id: str = ""
    ) -> np.ndarray | None:
        """Boolean mask of chunks passing the filters, or None when there are no filters."""
        if not (lang or date_from or date_to or article_id):
            return None
        m = np.ones(len(self.ids), dtype=bool)
        if lang:
            m &= self.langs == lang
        if article_id:
            m &= self.articles == article_id
        if date_from:
            m &= np.array([bool(d) and d >= date_from for d in self.dates], dtype=bool)
        if date_to:
            m &= np.array([bool(d) and d <= date_to for d in self.dates], dtype=bool)
        return m
