"""BM25 keyword search (bm25s) over the chunks: it catches names and numbers that a small dense
model blurs. Built from the catalog, saved beside it, stamped with the catalog generation.

Keywords count only where they can be right (measured: plain BM25 over a corpus mixing twelve
languages pulled hybrid recall@5 from 0.92 to 0.84, by matching a question's common words in
unrelated articles of the question's own language):
- the question's words, stop words and anchors removed, only in chunks of the question's
  language;
- its anchors (numbers, names, words in another script than the question's) in every chunk,
  since they are written the same way in every language; each counts once per chunk, by its idf.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import unicodedata
from collections.abc import Sequence
from functools import cache
from itertools import pairwise
from pathlib import Path

import bm25s
import numpy as np
import regex

from .lang import script_of
from .numbers import ascii_digits

logging.getLogger("bm25s").setLevel(logging.WARNING)

# A word keeps its combining marks: Devanagari's and Thai's vowel signs and viramas are part of
# it (with `\w` alone "राजधानी" fell apart into "र", "जध", "न").
_TOKEN = regex.compile(r"[\w\p{M}]+")
# Accents are dropped only from the letters of cased alphabets (é, ü, й); elsewhere a mark is a
# vowel or a tone, not decoration.
_ACCENT = regex.compile(r"(?<=[\p{Latin}\p{Greek}\p{Cyrillic}])\p{M}+")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")
CASED = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "GEORGIAN"})


def fold(text: str) -> str:
    """Lower case without accents, digits in ASCII ("٢٠٢٣" is "2023", as an English article
    writes it): what a token is compared as."""
    return _ACCENT.sub("", ascii_digits(unicodedata.normalize("NFKD", text.casefold())))


def tokenize(text: str) -> list[str]:
    """Lower-cased, accent-folded words; scripts written without spaces become character bigrams."""
    out: list[str] = []
    for tok in _TOKEN.findall(fold(text)):
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


def words(text: str) -> list[str]:
    """The words of `text` as written (with their marks), not folded."""
    return list(_TOKEN.findall(text))


def unspaced(token: str) -> bool:
    """A token of a script written without spaces: `tokenize` made it a character pair."""
    return bool(_UNSPACED.search(token))


@cache
def stop_words(lang: str) -> frozenset[str]:
    """The language's function words, folded like tokens: bm25s's lists where it has one (short,
    curated), else stopwords-iso's without its numbers."""
    from bm25s import stopwords as lists

    named = {"en": "EN_PLUS", "de": "GERMAN", "nl": "DUTCH", "fr": "FRENCH", "es": "SPANISH",
             "pt": "PORTUGUESE", "it": "ITALIAN", "ru": "RUSSIAN", "sv": "SWEDISH",
             "nb": "NORWEGIAN", "zh": "CHINESE", "tr": "TURKISH", "ko": "KOREAN",
             "da": "DANISH"}  # fmt: skip
    words: Sequence[str] = getattr(lists, f"STOPWORDS_{named[lang]}", ()) if lang in named else ()
    if not words:
        import stopwordsiso

        words = sorted(stopwordsiso.stopwords(lang)) if stopwordsiso.has_lang(lang) else []
    return frozenset(t for w in words for t in tokenize(w) if not any(ch.isdigit() for ch in t))


def analyse(text: str, lang: str) -> list[str]:
    """Tokens of `text` in `lang` without that language's stop words."""
    stop = stop_words(lang) if lang else frozenset()
    return [t for t in tokenize(text) if t not in stop]


# Languages that capitalise every noun: there a capital letter does not mark a name.
NOUNS_CAPITALISED = frozenset({"de", "lb"})


def anchors(question: str, lang: str = "") -> list[str]:
    """What is written the same in every language: numbers, words in another script than the
    question's, and names (capitalised words after the first, in scripts with capitals, and
    product names with a capital inside, such as iPhone). With `lang` German, a capital alone
    does not make a name."""
    words = [run for w in _TOKEN.findall(question) for run in script_runs(w)]
    scripts = [script_of(w) for w in words]
    main = main_script_of(words)
    initial_names = lang not in NOUNS_CAPITALISED
    out: list[str] = []
    for i, (w, script) in enumerate(zip(words, scripts, strict=True)):
        name = script in CASED and (
            (initial_names and i > 0 and w[:1].isupper()) or any(ch.isupper() for ch in w[1:])
        )
        if any(ch.isdigit() for ch in w) or script != main or name:
            out.extend(tokenize(w))
    return list(dict.fromkeys(out))


def main_script_of(words: list[str]) -> str:
    """The script most of the words with letters are in (numbers have none: a question full of
    figures once made every word "foreign", so every word an anchor)."""
    scripts = [script_of(w) for w in words if any(ch.isalpha() for ch in w)]
    return max(set(scripts), key=scripts.count) if scripts else ""


def script_runs(word: str) -> list[str]:
    """A word split where its script changes ("小米CEO用" -> "小米", "CEO", "用"); digits stay
    with the letters before them."""
    runs: list[str] = []
    last = ""
    for ch in word:
        script = script_of(ch) if ch.isalpha() else last
        if (runs and script in (last, "")) or (runs and not last):
            runs[-1] += ch
        else:
            runs.append(ch)
        last = script
    return runs


class KeywordIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.generation = -1
        self.ids: list[str] = []
        self.langs: np.ndarray = np.array([], dtype=object)
        self.dates: np.ndarray = np.array([], dtype=object)
        self.articles: np.ndarray = np.array([], dtype=object)
        self._bm25: bm25s.BM25 | None = None
        self._best: np.ndarray | None = None

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
            bm.index([analyse(r[4], r[2]) or ["\x00"] for r in rows], show_progress=False)
            self._bm25 = bm
        else:
            self._bm25 = None
        self._best = None
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
            "analysis": ANALYSIS,
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
        """Load the saved index if it matches `generation` (and this analysis); False: rebuild."""
        meta_file = self.path / "footnote.json"
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if meta.get("generation") != generation or meta.get("analysis") != ANALYSIS:
            return False
        self.ids = meta["ids"]
        self.articles = np.array(meta["articles"], dtype=object)
        self.langs = np.array(meta["langs"], dtype=object)
        self.dates = np.array(meta["dates"], dtype=object)
        self._bm25 = bm25s.BM25.load(str(self.path), show_progress=False) if self.ids else None
        self._best = None
        self.generation = generation
        return True

    def _retrieve(
        self, tokens: list[str], n: int, mask: np.ndarray | None
    ) -> list[tuple[str, float]]:
        """(chunk_id, match) best first, where match is the chunk's BM25 score as a share of the
        most the query's words could score (their best scores in any chunk, added up): a chunk
        sharing one common word with the question scores near 0, one holding all its rare words
        near 1."""
        if self._bm25 is None or not self.ids:
            return []
        vocab = self._bm25.vocab_dict
        ids = [vocab[t] for t in dict.fromkeys(tokens) if t in vocab]
        if not ids or (mask is not None and not mask.any()):
            return []
        scores = self._bm25.get_scores_from_ids(ids)
        if mask is not None:
            scores = scores * mask
        best = float(self._best_scores()[ids].sum())
        return self._top(scores, n, best)

    def _top(self, scores: np.ndarray, n: int, full: float) -> list[tuple[str, float]]:
        """The n best nonzero scores as (chunk_id, score / full), best first."""
        k = min(n, int(np.count_nonzero(scores)))
        if k == 0 or full <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[int(d)], float(scores[d]) / full) for d in top]

    def _best_scores(self) -> np.ndarray:
        """Each word's highest BM25 score in any chunk."""
        if self._best is None:
            assert self._bm25 is not None
            sc = self._bm25.scores
            data, indptr = np.asarray(sc["data"]), np.asarray(sc["indptr"])
            best = np.zeros(len(indptr) - 1, dtype=np.float32)
            nonempty = indptr[1:] > indptr[:-1]
            best[nonempty] = np.maximum.reduceat(data, indptr[:-1][nonempty])
            self._best = best
        return self._best

    def search(
        self, query: str, n: int, mask: np.ndarray | None = None, lang: str = ""
    ) -> list[tuple[str, float]]:
        """(chunk_id, match), best first: the question's words in chunks of its language (every
        chunk when `lang` is not given)."""
        if lang:
            same = self.langs == lang
            mask = same if mask is None else mask & same
        named = set(anchors(query))  # voted for by search_anchors, in every language
        return self._retrieve([t for t in analyse(query, lang) if t not in named], n, mask)

    def search_anchors(
        self, query: str, n: int, mask: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """(chunk_id, match) of chunks in any language sharing the question's anchors, where
        match is the share of the anchors' weight (idf) the chunk holds. A name either is in a
        passage or not: counted by BM25, an article repeating it in every paragraph outvoted
        the one paragraph that answers (the sample corpus's German article over its English
        one, for "Welches Telefon benutzte Lei Jun?")."""
        if self._bm25 is None or not self.ids:
            return []
        tokens = anchors(query)
        vocab = self._bm25.vocab_dict
        ids = [vocab[t] for t in dict.fromkeys(tokens) if t in vocab]
        if not ids or (mask is not None and not mask.any()):
            return []
        sc = self._bm25.scores
        indices, indptr = np.asarray(sc["indices"]), np.asarray(sc["indptr"])
        total = len(self.ids)
        got = np.zeros(total)
        weight = 0.0
        for t in ids:
            docs = indices[indptr[t] : indptr[t + 1]]
            df = len(docs)
            idf = float(np.log(1 + (total - df + 0.5) / (df + 0.5)))
            got[docs] += idf
            weight += idf
        if mask is not None:
            got = got * mask
        return self._top(got, n, weight)

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


ANALYSIS = "marks-3"  # bump when tokenizing or stop words change: saved indexes rebuild
