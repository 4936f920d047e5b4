"""`footnote eval xquad`: cross-lingual retrieval quality with the real ingest pipeline.

Articles of the chosen languages are ingested (real loader, chunker, embedder, store) into a
throwaway data directory; every question is searched hybrid, dense-only and keyword-only; a hit
is a chunk of the gold article that overlaps the gold answer span in that article.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from .ids import article_id
from .ingest import ingest
from .progress import progress_bar as _progress
from .search import MODES, search
from .settings import Settings


def load_questions(
    dataset: Path, langs: list[str] | None, limit: int | None
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with (dataset / "questions.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            if langs and q["lang"] not in langs:
                continue
            if limit is not None and len(out[q["lang"]]) >= limit:
                continue
            out[q["lang"]].append(q)
    return dict(out)


def run_xquad(
    dataset: Path,
    index_langs: list[str],
    question_langs: list[str] | None,
    limit: int | None,
    k: int,
    settings: Settings,
    progress_enabled: bool = False,
    index: Any = None,
) -> dict[str, Any]:
    from .index import Index

    questions = load_questions(dataset, question_langs, limit)
    with tempfile.TemporaryDirectory(prefix="footnote-eval-") as tmp:
        tmp_path = Path(tmp)
        if index is None:
            s = replace(
                settings, data_dir=tmp_path / "data", chroma_host="", collection="xquad_eval"
            )
            index = Index(s)
        subset = tmp_path / "articles.jsonl"
        with (
            (dataset / "articles.jsonl").open(encoding="utf-8") as src,
            subset.open("w", encoding="utf-8") as dst,
        ):
            for line in src:
                if json.loads(line)["lang"] in index_langs:
                    dst.write(line)
        started = time.perf_counter()
        with _progress(progress_enabled) as progress:
            report = ingest(index, [str(subset)], progress=progress)
        ingest_s = time.perf_counter() - started
        ranks: dict[str, dict[str, list[int | None]]] = {m: defaultdict(list) for m in MODES}
        total_q = sum(len(v) for v in questions.values())
        done = 0
        t_search = 0.0
        with _progress(progress_enabled) as progress:
            for lang, qs in questions.items():
                for q in qs:
                    gold = [
                        (
                            article_id(f"id:{q['gold_article_id']}:{il}", "", ""),
                            *q["gold_spans"][il]["article_span"],
                        )
                        for il in index_langs
                        if il in q["gold_spans"]
                    ]
                    qv = index.embedder.embed_queries([q["question"]])[0]
                    for mode in MODES:
                        t0 = time.perf_counter()
                        hits = search(index, q["question"], k, mode=mode, query_vector=qv).hits
                        t_search += time.perf_counter() - t0
                        rank = None
                        for r, h in enumerate(hits, 1):
                            c = h.chunk
                            if any(
                                c.article_id == ga and c.start < ge and c.end > gs
                                for ga, gs, ge in gold
                            ):
                                rank = r
                                break
                        ranks[mode][lang].append(rank)
                    done += 1
                    progress("questions", done, total_q)
        index.close()

    out: dict[str, Any] = {}
    for mode in MODES:
        per_lang: dict[str, dict[str, float]] = {}
        for lang, rs in ranks[mode].items():
            per_lang[lang] = _metrics(rs, k)
        all_rs = [r for rs in ranks[mode].values() for r in rs]
        per_lang["avg"] = {
            key: round(sum(v[key] for v in per_lang.values()) / max(1, len(per_lang)), 4)
            for key in ("recall@1", "recall@5", f"recall@{k}", "mrr")
        }
        per_lang["avg"]["n"] = len(all_rs)
        out[mode] = per_lang
    out["meta"] = {
        "index_langs": index_langs,
        "k": k,
        "chunks": report.chunks_added,
        "articles": len(report.added) + len(report.updated) + len(report.unchanged),
        "ingest_seconds": round(ingest_s, 1),
        "search_ms_mean": round(1000 * t_search / max(1, 3 * total_q), 2),
    }
    return out


def _metrics(ranks: list[int | None], k: int) -> dict[str, float]:
    n = len(ranks)

    def recall(at: int) -> float:
        return round(sum(1 for r in ranks if r is not None and r <= at) / max(1, n), 4)

    mrr = sum(1.0 / r for r in ranks if r is not None) / max(1, n)
    return {
        "recall@1": recall(1),
        "recall@5": recall(5),
        f"recall@{k}": recall(k),
        "mrr": round(mrr, 4),
        "n": n,
    }


def format_table(results: dict[str, Any]) -> str:
    k = results["meta"]["k"]
    lines = []
    langs = [lang for lang in results["hybrid"] if lang != "avg"] + ["avg"]
    header = f"{'lang':>5} | " + " | ".join(f"{m:^27}" for m in MODES)
    sub = f"{'':>5} | " + " | ".join(
        f"{'R@1':>6} {'R@5':>6} {'R@' + str(k):>6} {'MRR':>6}" for _ in MODES
    )
    lines += [header, sub, "-" * len(sub)]
    for lang in langs:
        cells = []
        for m in MODES:
            v = results[m][lang]
            cells.append(
                f"{v['recall@1']:>6.3f} {v['recall@5']:>6.3f} {v[f'recall@{k}']:>6.3f} {v['mrr']:>6.3f}"
            )
        lines.append(f"{lang:>5} | " + " | ".join(cells))
    meta = results["meta"]
    lines.append(
        f"\nindex: {meta['articles']} articles ({','.join(meta['index_langs'])}), {meta['chunks']} chunks, "
        f"ingested in {meta['ingest_seconds']} s; mean search {meta['search_ms_mean']} ms"
    )
    return "\n".join(lines)
