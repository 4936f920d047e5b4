"""How the catalog's keyword match compares with the in-process BM25 it replaced (issue 25): the
same XQuAD passages in both, 600 sampled questions; the first keyword hit and the ratio of the
old match to the new. The old index is read from the release before the change (git).

    python -m bench.keyword_match            # needs git and bm25s (a dependency for stop words)
"""

from __future__ import annotations

import importlib.util
import json
import random
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from bench.common import ROOT, SHARED

RELEASE = "c127c49"  # the last commit with bm25s as the keyword index


def main() -> None:
    from retrieval.index.catalog import Catalog
    from retrieval.index.sql import SqliteDatabase
    from retrieval.types import Chunk

    tmp = Path(tempfile.mkdtemp(prefix="footnote-kw-"))
    old_src = subprocess.run(["git", "show", f"{RELEASE}:retrieval/index/keyword.py"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout  # fmt: skip
    (tmp / "oldkw.py").write_text(old_src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("oldkw", tmp / "oldkw.py")
    assert spec is not None and spec.loader is not None
    old_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old_module)

    data = SHARED / "eval" / "xquad"
    passages = [json.loads(line) for line in (data / "passages.jsonl").open(encoding="utf-8")]
    questions = [json.loads(line) for line in (data / "questions.jsonl").open(encoding="utf-8")]
    old = old_module.KeywordIndex(tmp / "bm25")
    old.build([(p["id"], p["article_id"], p["lang"], "", f"{p['title']}\n{p['text']}")
               for p in passages], 1, save=False)  # fmt: skip
    db = SqliteDatabase(tmp / "catalog.sqlite3")
    new = Catalog(db).keyword
    db.transact(new.replace([], [(Chunk(p["id"], p["article_id"], 0, p["text"], 0, 0, p["lang"]),
                                  p["title"], "") for p in passages]))  # fmt: skip
    sample = random.Random(1).sample(questions, 600)
    both = agree = 0
    ratios: list[float] = []
    for q in sample:
        a = old.search(q["question"], 50, lang=q["lang"])
        b = new.search(q["question"], 50, lang=q["lang"])
        if a and b:
            both += 1
            agree += a[0][0] == b[0][0]
            olds = dict(a)
            ratios += [olds[c] / m for c, m in b[:5] if c in olds]
    p10, p50, p90 = np.percentile(ratios, [10, 50, 90])
    print(f"questions with keyword hits in both: {both}; same first hit: {agree}")
    print(f"old/new match ratio: median {p50:.2f} (10th-90th percentile {p10:.2f}-{p90:.2f})")


if __name__ == "__main__":
    main()
