"""Keyword search inside the catalog's own database, written in the same transaction as the chunk
rows: SQLite FTS5 ranked by its `bm25()` for the embedded catalog, a `tsvector` column with a
GIN index ranked by `ts_rank` weighted by each word's idf when PostgreSQL is shared. Any host
sees a new article's words the moment the writer commits; nothing is rebuilt from the archive.

Footnote's own analysis decides what matches (stop words, accents, CJK and Thai as character
pairs, numbers and names as anchors): each analysed token is stored as a short hash of itself
(`w` and 16 hex digits), which both engines take as one word as it is, so their tokenizers and
query syntax never see text from a page. A table of document frequencies (`word_counts`, also
in the same transaction) gives the idf both rankings are normalised by.

Keywords count only where they can be right (measured: plain BM25 over a corpus mixing twelve
languages pulled hybrid recall@5 from 0.92 to 0.84, by matching a question's common words in
unrelated articles of the question's own language):
- the question's words, stop words and anchors removed, only in chunks of the question's
  language;
- its anchors (numbers, names, words in another script than the question's) in every chunk,
  since they are written the same way in every language; each counts once per chunk, by its idf.

On PostgreSQL a search reads a bounded number of rows whatever the archive's size (`RANKED`):
each matching row is read from the table to be ranked (measured at 1,000,000 chunks: ranking
every chunk that held any of 8 words took 55-63 ms, only reading them 23 ms), so the rarest
words find candidates alone and words too common for that only in pairs; a chunk that shares
one common word with the question is never read, and every word still counts in the rank of
those read. SQLite ranks every match inside FTS5's own word lists, and its bm25() counts only
the words of the clauses a row matched, so there every word finds candidates. On both, the
rarest anchors find chunks within `ANCHORED` rows and the others only re-score them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from sqlalchemy.engine import Connection

from retrieval.index.sql import Database, Statement
from retrieval.text.analysis import ANALYSIS, analyse, anchors
from retrieval.types import Chunk

log = logging.getLogger(__name__)

VERSION = f"db-1:{ANALYSIS}"  # meta `keyword_index`: the stored tokens are of this analysis
ROWS = ""  # the word_counts row that counts every chunk (no token is empty)
# A word's best chunk holds it more strongly than once at average length: measured on the XQuAD
# passages, the per-word best BM25 scores the old in-process index normalised by were 1.3 times
# that (median ratio of old to new match 0.76). Matches keep the old scale, at most 1.
BEST = 1.3
# Rows one search reads at most (estimated from word counts): ranked by words (PostgreSQL),
# found by anchors.
RANKED = 2_000
ANCHORED = 5_000

# SQLite: `words` holds each word as a token of its chunk's language (so a question's words
# match chunks of its language without reading each match's row: measured at 118,000 chunks,
# that filter cost 18 of 34 ms), `names` the same words without language, for anchors.
SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS chunk_words USING fts5(words, names, "
    "chunk_id UNINDEXED, article_id UNINDEXED, lang UNINDEXED, date UNINDEXED, "
    "tokenize='unicode61')",
    "CREATE TABLE IF NOT EXISTS word_counts (term TEXT PRIMARY KEY, docs INTEGER NOT NULL)",
]
POSTGRES = [
    """CREATE TABLE IF NOT EXISTS chunk_words (
    key BIGINT PRIMARY KEY, chunk_id TEXT NOT NULL, article_id TEXT NOT NULL,
    lang TEXT NOT NULL, date TEXT NOT NULL, words TSVECTOR NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS chunk_words_words ON chunk_words USING GIN (words)",
    "CREATE TABLE IF NOT EXISTS word_counts (term TEXT PRIMARY KEY, docs BIGINT NOT NULL)",
]


def create(c: Connection) -> None:
    """The migration that makes the tables (each engine its own full-text search)."""
    for ddl in SQLITE if c.dialect.name == "sqlite" else POSTGRES:
        c.exec_driver_sql(ddl)


def token(word: str) -> str:
    return "w" + hashlib.blake2b(word.encode(), digest_size=8).hexdigest()


def scoped(lang: str, word: str) -> str:
    """A word as a token of one language (SQLite's `words` column)."""
    return token(f"{lang}\x1f{word}")


def key(chunk_id: str) -> int:
    """A chunk's row key: a hash of its id, so a write knows it without reading, and the rows
    in key order are a uniform sample of the corpus that changes only where it changed."""
    return int.from_bytes(hashlib.blake2b(chunk_id.encode(), digest_size=8).digest()) >> 1


@dataclass(frozen=True)
class Scope:
    """Which chunks a search may return (empty: any)."""

    lang: str = ""
    date_from: str = ""
    date_to: str = ""
    article_id: str = ""
    shelves: tuple[str, ...] = ()  # empty: every shelf

    def sql(self, outer: str = "chunk_words") -> tuple[str, dict[str, Any]]:
        """Conditions on the columns `lang`, `article_id` and `date` (of the table or alias
        `outer`). A stored date may carry its time ("2024-03-01T18:30:00+00:00"), so the last day
        ends before the next one begins. The shelves are the articles': looked up per row by the
        articles' key, so that the cost follows the rows read, not the shelves' sizes."""
        conds: list[str] = []
        args: dict[str, Any] = {}
        end_op, end = "<=", self.date_to
        with contextlib.suppress(ValueError):
            end_op, end = (
                "<",
                (dt.date.fromisoformat(self.date_to[:10]) + dt.timedelta(days=1)).isoformat(),
            )
        for column, op, name, value in (
            ("lang", "=", "s_lang", self.lang), ("article_id", "=", "s_article", self.article_id),
            ("date", ">=", "s_from", self.date_from), ("date", end_op, "s_to", end),
        ):  # fmt: skip
            if value:
                conds.append(f"{column} {op} :{name}")
                args[name] = value
        if self.date_from or self.date_to:
            conds.append("date != ''")
        if self.shelves:
            conds.append(
                "EXISTS (SELECT 1 FROM articles sh WHERE sh.article_id = "
                f"{outer}.article_id AND sh.shelf IN :s_shelves)"
            )
            args["s_shelves"] = list(self.shelves)
        return "".join(f" AND {c}" for c in conds), args

    def narrowed(self, lang: str) -> Scope | None:
        """Also within `lang`; None when the scope holds another language only."""
        if not lang or lang == self.lang:
            return self
        if self.lang:
            return None
        return Scope(lang, self.date_from, self.date_to, self.article_id, self.shelves)


class KeywordIndex:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.sqlite = db.kind == "sqlite"
        self.key = "rowid" if self.sqlite else "key"
        self._f1: float | None = None

    # --- writes: statements for the catalog's transaction -----------------------------------
    def replace(
        self, old_ids: Sequence[str], chunks: Sequence[tuple[Chunk, str, str]]
    ) -> list[Statement]:
        """Remove the words of `old_ids`, add those of `chunks` (each with its article's title
        and date), and count the difference."""
        delta: Counter[str] = Counter()
        out: list[Statement] = []
        if old_ids:
            keys = [key(c) for c in old_ids]
            for words in self._stored_terms(keys):
                delta.subtract(words)
                delta[ROWS] -= 1
            out += [(f"DELETE FROM chunk_words WHERE {self.key} = :k", {"k": k}) for k in keys]
        for c, title, date in chunks:
            analysed = analyse(f"{title}\n{c.text}", c.lang)
            terms = [token(t) for t in analysed]
            local = [scoped(c.lang, t) for t in analysed] if self.sqlite else []
            delta.update(set(terms) | set(local))
            delta[ROWS] += 1
            out.append(self._insert(c, date, terms, local))
        out += _count_statements(delta)
        return out

    def _insert(self, c: Chunk, date: str, terms: list[str], local: list[str]) -> Statement:
        if self.sqlite:
            return (
                "INSERT INTO chunk_words (rowid, words, names, chunk_id, article_id, lang, date) "
                "VALUES (:k, :words, :names, :chunk_id, :article_id, :lang, :date)",
                {"k": key(c.chunk_id), "words": " ".join(local), "names": " ".join(terms),
                 "chunk_id": c.chunk_id, "article_id": c.article_id, "lang": c.lang,
                 "date": date},
            )  # fmt: skip
        positions: dict[str, list[int]] = {}
        for i, t in enumerate(terms[:16383], 1):  # tsvector positions stop at 16383
            if len(positions.setdefault(t, [])) < 256:
                positions[t].append(i)
        vector = " ".join(f"{t}:{','.join(map(str, p))}" for t, p in positions.items())
        return (
            "INSERT INTO chunk_words (key, chunk_id, article_id, lang, date, words) "
            "VALUES (:k, :chunk_id, :article_id, :lang, :date, CAST(:words AS tsvector))",
            {"k": key(c.chunk_id), "chunk_id": c.chunk_id, "article_id": c.article_id,
             "lang": c.lang, "date": date, "words": vector},
        )  # fmt: skip

    def _stored_terms(self, keys: list[int]) -> list[set[str]]:
        out: list[set[str]] = []
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            if self.sqlite:
                rows = self.db.query(
                    "SELECT words, names FROM chunk_words WHERE rowid IN :keys", {"keys": part}
                )
                out += [set(f"{r['words']} {r['names']}".split()) for r in rows]
            else:
                rows = self.db.query(
                    "SELECT tsvector_to_array(words) AS words FROM chunk_words WHERE key IN :keys",
                    {"keys": part},
                )
                out += [set(r["words"]) for r in rows]
        return out

    def clear(self) -> list[Statement]:
        return [("DELETE FROM chunk_words", {}), ("DELETE FROM word_counts", {})]

    # --- reads ------------------------------------------------------------------------------
    def search(
        self, query: str, n: int, scope: Scope = Scope(), lang: str = ""
    ) -> list[tuple[str, float]]:
        """(chunk_id, match) best first: the question's words in chunks of its language (every
        chunk when `lang` is not given). match is the chunk's score as a share of what the
        words would score in their best chunks (BEST times once each at average length), at
        most 1: a chunk sharing one common word with the question scores near 0, one holding
        all its rare words near 1."""
        within = scope.narrowed(lang)
        named = set(anchors(query))  # voted for by search_anchors, in every language
        local = self.sqlite and bool(lang)  # the language is in the tokens
        as_token = (lambda t: scoped(lang, t)) if local else token
        words = list(dict.fromkeys(as_token(t) for t in analyse(query, lang) if t not in named))
        if within is None or not words:
            return []
        if local:
            within = Scope("", within.date_from, within.date_to, within.article_id, within.shelves)
        counts = self.counts(words)
        total = counts.get(ROWS, 0)
        words = [w for w in words if counts.get(w, 0) > 0]
        if not words or total <= 0:
            return []
        where, args = within.sql()
        if self.sqlite:
            idf = {
                w: max(math.log((total - counts[w] + 0.5) / (counts[w] + 0.5)), 1e-6) for w in words
            }  # fmt: skip  (FTS5's own idf)
            column, column_weights = ("words", "1.0, 0.0") if local else ("names", "0.0, 1.0")
            rank = f"bm25(chunk_words, {column_weights})"
            rows = self.db.query(
                f"SELECT chunk_id, -{rank} AS s FROM chunk_words "
                f"WHERE chunk_words MATCH :q{where} ORDER BY {rank} LIMIT :n",
                {"q": f"{column} : ({' OR '.join(words)})", **args, "n": n},
            )
        else:
            idf = {w: _idf(total, counts[w]) for w in words}
            ranks = " + ".join(
                f"CAST(:i{j} AS DOUBLE PRECISION) * ts_rank(words, CAST(:w{j} AS tsquery), 0)"
                for j in range(len(words))
            )
            weights = {f"i{j}": idf[w] / self._single() for j, w in enumerate(words)}
            terms = {f"w{j}": w for j, w in enumerate(words)}
            rows = self.db.query(
                f"SELECT chunk_id, ({ranks}) AS s FROM chunk_words "
                f"WHERE words @@ CAST(:q AS tsquery){where} ORDER BY s DESC LIMIT :n",
                {**weights, **terms, "q": _tsquery(candidates(words, counts, total)), **args,
                 "n": n},
            )  # fmt: skip
        full = BEST * sum(idf.values())
        return [(r["chunk_id"], min(1.0, float(r["s"]) / full)) for r in rows if float(r["s"]) > 0]

    def _single(self) -> float:
        """ts_rank of a word that appears once: a word's rank is counted in these units."""
        if self._f1 is None:
            got = self.db.query(
                "SELECT ts_rank(CAST(:v AS tsvector), CAST(:q AS tsquery), 0) AS r",
                {"v": "a:1", "q": "a"},
            )
            self._f1 = float(got[0]["r"])
        return self._f1

    def search_anchors(self, query: str, n: int, scope: Scope = Scope()) -> list[tuple[str, float]]:
        """(chunk_id, match) of chunks in any language sharing the question's anchors, where
        match is the share of the anchors' weight (idf) the chunk holds. A name either is in a
        passage or not: counted by BM25, an article repeating it in every paragraph outvoted
        the one paragraph that answers (the sample corpus's German article over its English
        one, for "Welches Telefon benutzte Lei Jun?")."""
        terms = list(dict.fromkeys(token(t) for t in anchors(query)))
        if not terms:
            return []
        counts = self.counts(terms)
        total = counts.get(ROWS, 0)
        terms = sorted((t for t in terms if counts.get(t, 0) > 0), key=lambda t: counts[t])
        if not terms or total <= 0:
            return []
        where, args = scope.sql()
        idf = {t: _idf(total, counts[t]) for t in terms}
        weight = sum(idf.values())
        found = 0  # the rarest anchors find chunks while within ANCHORED, the others re-score
        while found < len(terms) and sum(counts[t] for t in terms[: found + 1]) <= ANCHORED:
            found += 1
        if not found:
            return []
        if self.sqlite:
            got: dict[str, float] = {}
            for i, t in enumerate(terms):
                for cid in self._having(t, where, args, list(got) if i >= found else None):
                    got[cid] = got.get(cid, 0.0) + idf[t]
            ranked = sorted(got.items(), key=lambda kv: -kv[1])[:n]
        else:  # one statement: a round trip per anchor cost more than the reading
            held = " + ".join(
                f"CASE WHEN words @@ CAST(:t{j} AS tsquery) THEN CAST(:i{j} AS DOUBLE PRECISION) "
                "ELSE 0 END"
                for j in range(len(terms))
            )
            rows = self.db.query(
                f"SELECT chunk_id, ({held}) AS s FROM chunk_words "
                f"WHERE words @@ CAST(:q AS tsquery){where} ORDER BY s DESC LIMIT :n",
                {**{f"t{j}": t for j, t in enumerate(terms)},
                 **{f"i{j}": idf[t] for j, t in enumerate(terms)},
                 "q": " | ".join(terms[:found]), **args, "n": n},
            )  # fmt: skip
            ranked = [(r["chunk_id"], float(r["s"])) for r in rows]
        return [(cid, score / weight) for cid, score in ranked]

    def _having(
        self, term: str, where: str, args: dict[str, Any], among: list[str] | None
    ) -> list[str]:
        """The chunks holding `term` (within `among` only, when given)."""
        if among is not None:
            if not among:
                return []
            where += f" AND {self.key} IN :among"
            args = {**args, "among": [key(c) for c in among[:1000]]}
        match = "chunk_words MATCH :t" if self.sqlite else "words @@ CAST(:t AS tsquery)"
        rows = self.db.query(
            f"SELECT chunk_id FROM chunk_words WHERE {match}{where}",
            {"t": f"names : {term}" if self.sqlite else term, **args},
        )
        return [r["chunk_id"] for r in rows]

    def counts(self, terms: Iterable[str]) -> dict[str, int]:
        """How many chunks hold each term (and ROWS: how many chunks there are)."""
        rows = self.db.query(
            "SELECT term, docs FROM word_counts WHERE term IN :terms", {"terms": [ROWS, *terms]}
        )
        return {r["term"]: int(r["docs"]) for r in rows}

    def allowed(self, chunk_ids: Sequence[str], scope: Scope) -> set[str]:
        """The chunks among `chunk_ids` within `scope`."""
        out: set[str] = set()
        where, args = scope.sql()
        for i in range(0, len(chunk_ids), 500):
            keys = [key(c) for c in chunk_ids[i : i + 500]]
            rows = self.db.query(
                f"SELECT chunk_id FROM chunk_words WHERE {self.key} IN :keys{where}",
                {"keys": keys, **args},
            )
            out |= {r["chunk_id"] for r in rows}
        return out

    def sample(self, size: int) -> list[str]:
        """`size` chunks spread over the corpus at random, the same ones until they change."""
        rows = self.db.query(
            f"SELECT chunk_id FROM chunk_words ORDER BY {self.key} LIMIT :n", {"n": size}
        )
        return [r["chunk_id"] for r in rows]

    def count(self) -> int:
        return self.counts([]).get(ROWS, 0)


def candidates(words: Sequence[str], counts: dict[str, int], total: int) -> list[tuple[str, ...]]:
    """Which words, alone or in pairs, a chunk must hold to be ranked, so that about `RANKED`
    rows are read: the rarest words alone while their counts fit, then pairs of the others,
    least frequent first (a pair's rows estimated as if the words were independent). At least
    one clause, however common its words. PostgreSQL's candidates (see the module's notes)."""
    order = sorted(words, key=lambda w: counts[w])
    budget = RANKED
    alone: list[tuple[str, ...]] = []
    while order and counts[order[0]] <= budget:
        budget -= counts[order[0]]
        alone.append((order.pop(0),))
    pairs = sorted(combinations(order, 2), key=lambda p: counts[p[0]] * counts[p[1]])
    paired: list[tuple[str, ...]] = []
    for a, b in pairs:
        rows = counts[a] * counts[b] / max(total, 1)
        if rows > budget:
            break
        budget -= int(rows)
        paired.append((a, b))
    if not alone and not paired:
        paired = [pairs[0]] if pairs else [(order[0],)]
    return alone + paired


def _tsquery(clauses: list[tuple[str, ...]]) -> str:
    return " | ".join(f"({' & '.join(c)})" for c in clauses)


def _idf(total: int, docs: int) -> float:
    return math.log(1 + (total - docs + 0.5) / (docs + 0.5))


def _count_statements(delta: Counter[str]) -> list[Statement]:
    changed = sorted((t, d) for t, d in delta.items() if d)
    out: list[Statement] = [
        ("INSERT INTO word_counts (term, docs) VALUES (:t, :d) ON CONFLICT (term) "
         "DO UPDATE SET docs = word_counts.docs + excluded.docs", {"t": t, "d": d})
        for t, d in changed
    ]  # fmt: skip
    out += [
        ("DELETE FROM word_counts WHERE term = :t AND docs <= 0", {"t": t})
        for t, d in changed
        if d < 0
    ]
    return out
