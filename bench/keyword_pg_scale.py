"""PostgreSQL keyword search alone at 1,000,000 chunks (issue 25's main risk): chunk words made
inside PostgreSQL (random words of a 30,000-word vocabulary, 60 per chunk, as bench/scale.py's
synthetic chunks), counted the same way, then `KeywordIndex.search` and `search_anchors` timed
for 8-word questions. No Chroma, no chunk text: only the cost that grows with the archive in
the keyword part of a search.

    python -m bench.keyword_pg_scale [CHUNKS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from bench.scale import WORDS


def main(n: int = 1_000_000) -> None:
    from retrieval.index.catalog import Catalog
    from retrieval.index.keyword import ROWS, token
    from retrieval.index.sql import PostgresDatabase
    from testing.services import Postgres

    root = Path(tempfile.mkdtemp(prefix="footnote-pgkw-"))
    root.chmod(0o755)
    pg = Postgres(root / "pg").start()
    try:
        db = PostgresDatabase(pg.create_database("kw"), "catalog_kw")
        kw = Catalog(db).keyword
        vocab = [token(w) for w in WORDS]
        t0 = time.perf_counter()
        with db.engine.begin() as c:
            c.exec_driver_sql("CREATE TABLE vocab (i INT PRIMARY KEY, t TEXT)")
            c.execute(
                sa.text("INSERT INTO vocab VALUES (:i, :t)"),
                [{"i": i, "t": t} for i, t in enumerate(vocab)],
            )
            c.exec_driver_sql(
                "INSERT INTO chunk_words (key, chunk_id, article_id, lang, date, words) "
                "SELECT g, 'c' || g, 'a' || (g / 10), 'en', '2024-01-01', "
                "(SELECT string_agg(v.t || ':' || k, ' ')::tsvector FROM generate_series(1, 60) k "
                " JOIN vocab v ON v.i = (abs(hashint4(g * 61 + k)) %% 30000)) "
                f"FROM generate_series(1, {n}) g"
            )
            c.exec_driver_sql(
                "INSERT INTO word_counts (term, docs) SELECT lexeme, count(*) FROM chunk_words, "
                "unnest(words) GROUP BY lexeme"
            )
            c.exec_driver_sql(f"INSERT INTO word_counts (term, docs) VALUES ('{ROWS}', {n})")
            c.exec_driver_sql("ANALYZE")
        print(f"{n} chunks made in {time.perf_counter() - t0:.0f} s", flush=True)
        rng = np.random.default_rng(7)
        for name, run in (
            ("words", lambda q: kw.search(q, 50, lang="en")),
            ("anchors", lambda q: kw.search_anchors(q, 50)),
        ):
            lat = []
            for _ in range(60):
                q = " ".join(rng.choice(WORDS, 8))
                if name == "anchors":
                    q = " ".join(w.capitalize() for w in q.split())  # names: anchors
                t = time.perf_counter()
                run(q)
                lat.append((time.perf_counter() - t) * 1000)
            lat = lat[10:]
            print(f"{name}: p50 {statistics.median(lat):.1f} ms, "
                  f"p95 {np.percentile(lat, 95):.1f} ms", flush=True)  # fmt: skip
        db.close()
    finally:
        pg.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
