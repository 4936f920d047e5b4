"""`footnote eval xquad`: cross-lingual retrieval quality with the real ingest pipeline.

Articles are ingested (real loader, chunker, embedder, store) into a throwaway data directory;
every question is searched in every mode; a hit is a chunk of the gold article that overlaps the
gold answer span in that article.

Two corpora: the articles of the chosen languages (`--index-langs en`: every article in English,
or in English and German), or `--mixed`: every article in exactly one language, the languages
taking equal shares (article i in language i mod n), built from the parallel `xquad.<lang>.json`
files; the gold of a question is its article in that article's language. `--distractors` adds
other articles (anything `footnote ingest` reads) to the index.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from retrieval.cli.progress import progress_bar as _progress
from retrieval.ids import article_id
from retrieval.index.ingest import ingest
from retrieval.index.parts import Index
from retrieval.search.hybrid import MODES, search
from retrieval.settings import Settings

XQUAD_LANGS = ("en", "de", "ru", "vi", "zh", "es", "ar", "hi", "th", "tr", "el", "ro")
# The questions (of 1,190) the search's weights were chosen on: `--sample 300`, seed 7.
DEV_SAMPLE = 300
SEP = "\n\n"  # how the paragraphs of an article are joined (as in articles.jsonl)


def load_questions(
    dataset: Path,
    langs: list[str] | None,
    limit: int | None,
    sample: int | None = None,
    held_out: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """Questions per language: the first `limit`, or `sample` drawn at random (the same ones in
    every language and every run, so languages and runs compare). `held_out` leaves out the
    DEV_SAMPLE questions the search's weights were chosen on."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with (dataset / "questions.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            if langs and q["lang"] not in langs:
                continue
            if limit is not None and len(out[q["lang"]]) >= limit:
                continue
            out[q["lang"]].append(q)
    if not (sample or held_out):
        return dict(out)
    ids = sorted({q["squad_id"] for qs in out.values() for q in qs})
    if held_out:
        dev = set(random.Random(7).sample(ids, min(DEV_SAMPLE, len(ids))))
        ids = [i for i in ids if i not in dev]
    keep = set(random.Random(7).sample(ids, min(sample, len(ids)))) if sample else set(ids)
    return {lang: [q for q in qs if q["squad_id"] in keep] for lang, qs in out.items()}


def mixed_corpus(
    dataset: Path, langs: list[str]
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Article i in language langs[i % n], from `xquad.<lang>.json`: the records to ingest, and
    for every squad question id its gold {"lang", "article_id", "span"} in that article."""
    data = {}
    for lang in langs:
        path = dataset / f"xquad.{lang}.json"
        data[lang] = json.loads(path.read_text(encoding="utf-8"))["data"]
    n_articles = len(data[langs[0]])
    titles = [a["title"].replace("_", " ") for a in data[langs[0]]]
    records, gold = [], {}
    for ai in range(n_articles):
        lang = langs[ai % len(langs)]
        aid = f"xq{ai:02d}"
        pos, paragraphs = 0, []
        for para in data[lang][ai]["paragraphs"]:
            ctx = para["context"]
            for q in para["qas"]:
                ans = q["answers"][0]
                start = pos + ans["answer_start"]
                gold[q["id"]] = {"lang": lang, "article_id": aid,
                                 "span": [start, start + len(ans["text"])]}  # fmt: skip
            paragraphs.append(ctx)
            pos += len(ctx) + len(SEP)
        records.append({"id": f"{aid}:{lang}", "article_id": aid, "lang": lang,
                        "title": titles[ai], "text": SEP.join(paragraphs)})  # fmt: skip
    return records, gold


def _gold(q: dict[str, Any], index_langs: list[str], mixed: dict[str, Any] | None) -> list[Any]:
    """(article id in the index, span start, span end) of every copy of the gold article."""
    if mixed is not None:
        g = mixed[q["squad_id"]]
        return [(article_id(f"id:{g['article_id']}:{g['lang']}", "", ""), *g["span"])]
    return [
        (
            article_id(f"id:{q['gold_article_id']}:{il}", "", ""),
            *q["gold_spans"][il]["article_span"],
        )
        for il in index_langs
        if il in q["gold_spans"]
    ]


def run_xquad(
    dataset: Path,
    index_langs: list[str],
    question_langs: list[str] | None,
    limit: int | None,
    k: int,
    settings: Settings,
    progress_enabled: bool = False,
    index: Any = None,
    mixed: bool = False,
    distractors: list[str] | None = None,
    sample: int | None = None,
    held_out: bool = False,
) -> dict[str, Any]:
    questions = load_questions(dataset, question_langs, limit, sample, held_out)
    with tempfile.TemporaryDirectory(prefix="footnote-eval-") as tmp:
        tmp_path = Path(tmp)
        if index is None:
            # A throwaway index, all of it in the temporary directory: a shared catalog in
            # PostgreSQL would outlive the vectors and make the next run skip embedding.
            s = replace(settings, data_dir=tmp_path / "data", chroma_host="", database_url=SecretStr(""),
                        collection="xquad_eval")  # fmt: skip
            index = Index(s)
        subset = tmp_path / "articles.jsonl"
        gold_mixed = None
        if mixed:
            records, gold_mixed = mixed_corpus(dataset, index_langs)
            subset.write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                encoding="utf-8",
            )
        else:
            with (
                (dataset / "articles.jsonl").open(encoding="utf-8") as src,
                subset.open("w", encoding="utf-8") as dst,
            ):
                for line in src:
                    if json.loads(line)["lang"] in index_langs:
                        dst.write(line)
        started = time.perf_counter()
        with _progress(progress_enabled) as progress:
            report = ingest(index, [str(subset), *(distractors or [])], progress=progress)
        ingest_s = time.perf_counter() - started
        ranks: dict[str, dict[str, list[int | None]]] = {m: defaultdict(list) for m in MODES}
        same_lang: dict[str, list[int | None]] = defaultdict(list)
        cross_lang: dict[str, list[int | None]] = defaultdict(list)
        total_q = sum(len(v) for v in questions.values())
        done = 0
        t_search = 0.0
        with _progress(progress_enabled) as progress:
            for lang, qs in questions.items():
                for q in qs:
                    gold = _gold(q, index_langs, gold_mixed)
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
                        if gold_mixed is not None:
                            same = gold_mixed[q["squad_id"]]["lang"] == lang
                            (same_lang if same else cross_lang)[mode].append(rank)
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
        "mixed": mixed,
        "distractors": list(distractors or []),
        "questions_per_language": {lang: len(qs) for lang, qs in questions.items()},
        "held_out": held_out,
        "k": k,
        "chunks": report.chunks_added,
        "articles": len(report.added) + len(report.updated) + len(report.unchanged),
        "ingest_seconds": round(ingest_s, 1),
        "search_ms_mean": round(1000 * t_search / max(1, len(MODES) * total_q), 2),
    }
    if gold_mixed is not None:
        out["meta"]["same_language"] = {m: _metrics(v, k) for m, v in same_lang.items()}
        out["meta"]["cross_language"] = {m: _metrics(v, k) for m, v in cross_lang.items()}
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
    for part in ("same_language", "cross_language"):
        if part in meta:
            cells = [
                f"{meta[part][m]['recall@1']:>6.3f} {meta[part][m]['recall@5']:>6.3f} "
                f"{meta[part][m][f'recall@{k}']:>6.3f} {meta[part][m]['mrr']:>6.3f}"
                for m in MODES
            ]
            lines.append(f"{part.split('_')[0]:>5} | " + " | ".join(cells))
    corpus = "mixed: each article in one of " if meta.get("mixed") else ""
    lines.append(
        f"\nindex: {meta['articles']} articles ({corpus}{','.join(meta['index_langs'])}"
        + (f"; + {', '.join(meta['distractors'])}" if meta.get("distractors") else "")
        + f"), {meta['chunks']} chunks, ingested in {meta['ingest_seconds']} s; "
        f"mean search {meta['search_ms_mean']} ms"
    )
    return "\n".join(lines)
