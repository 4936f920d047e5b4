"""Benchmarks: retrieval quality on XQuAD, ingest throughput against the embedder's own, search
latency at corpus size and at 100,000 chunks, answers, the bot under load. Writes
docs/BENCHMARKS.md.

    python -m bench.run                         # every section (about an hour on 2 cores)
    python -m bench.run --only xquad --xquad-variants mixed --xquad-limit 300
    python -m bench.run --only ingest --news-limit 200
    python -m bench.run --only scale --scale-chunks 100000
    python -m bench.run --only duplicates,feeds
    python -m bench.run --only scaleout,growth   # two hosts: PostgreSQL and Chroma only
    python -m bench.run --only shelves           # search within a chat's shelves, 100,000 chunks
    python -m bench.run --only inline            # inline queries answered, cards replaced
    python -m bench.run --report                # rewrite the report from bench/out/*.json

Each section saves its figures to bench/out/<section>.json; the report shows every saved one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bench.common import SHARED, save
from bench.report import write_report

SECTIONS = "xquad,answers,coverage,scale,scale_server,ingest,bot,load,recovery,scaleout,growth,cpu,traffic,shelves,inline,follow,check,duplicates,feeds,support,real_llm"


def _sections(args: argparse.Namespace) -> dict[str, Callable[[], None]]:
    """Each section by name; imported only when it runs (some need servers or minutes)."""

    def xquad() -> None:
        from bench.xquad import bench_xquad

        variants = tuple(v for v in args.xquad_variants.split(",") if v)
        bench_xquad(args.xquad_limit or None, variants)

    def answers() -> None:
        from bench.answers import bench_answers

        bench_answers(args.answers_per_lang)

    def coverage() -> None:
        from bench.coverage import bench_coverage

        bench_coverage(args.coverage_per_lang)

    def ingest() -> None:
        from bench.ingest import bench_ingest

        bench_ingest(args.news_limit, [c for c in args.corpora.split(",") if c] or None)

    def bot() -> None:
        from bench.bot import bench_bot

        save("bot", bench_bot(args.bot_news_dir or None))

    def load() -> None:
        from bench.load import bench_load

        save("load", bench_load())

    def recovery() -> None:
        from bench.recovery import bench_recovery

        save("recovery", bench_recovery())

    def scaleout() -> None:
        from bench.scaleout import bench_scaleout

        save("scaleout", bench_scaleout())

    def scale_server() -> None:
        from bench.scale import bench_scale

        bench_scale(args.scale_chunks, server=True)

    def scale() -> None:
        from bench.scale import bench_scale

        bench_scale(args.scale_chunks)

    def cpu() -> None:
        from bench.cpu import bench_cpu

        save("cpu", bench_cpu(args.cpu_chunks))

    def traffic() -> None:
        from bench.traffic import bench_traffic

        save("traffic", bench_traffic())

    def shelves() -> None:
        from bench.shelves import bench_shelves

        save("shelves", bench_shelves(args.shelves_chunks))

    def inline() -> None:
        from bench.inline import bench_inline

        save("inline", bench_inline())

    def follow() -> None:
        from bench.follow import bench_follow

        save("follow", bench_follow(args.follow_data_dir))

    def check() -> None:
        from bench.check import bench_check

        save("check", bench_check())

    def growth() -> None:
        from bench.growth import bench_growth

        sizes = tuple(int(v) for v in args.growth_sizes.split(",") if v)
        setups = tuple(v for v in args.growth_setups.split(",") if v)
        bench_growth(sizes, setups, args.growth_section)

    def duplicates() -> None:
        from bench.news import bench_duplicates

        bench_duplicates()

    def feeds() -> None:
        from bench.news import bench_feeds

        bench_feeds()

    def support() -> None:
        from bench.support import bench_support

        bench_support(args.support_per_lang)

    def real_llm() -> None:
        from bench.real_llm import bench_real_llm

        bench_real_llm()

    return {
        "duplicates": duplicates, "feeds": feeds, "support": support, "real_llm": real_llm,
        "coverage": coverage,
        "xquad": xquad, "answers": answers, "ingest": ingest, "bot": bot, "load": load,
        "recovery": recovery, "scaleout": scaleout, "scale_server": scale_server, "scale": scale,
        "growth": growth, "cpu": cpu, "traffic": traffic, "shelves": shelves,
        "inline": inline, "follow": follow, "check": check,
    }  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--only", default=SECTIONS, help=f"comma-separated sections ({SECTIONS})")
    p.add_argument("--answers-per-lang", type=int, default=100)
    p.add_argument("--support-per-lang", type=int, default=40)
    p.add_argument("--coverage-per-lang", type=int, default=50)
    p.add_argument(
        "--xquad-limit", type=int, default=0, help="first N questions per language (0: all)"
    )
    p.add_argument(
        "--xquad-variants",
        default="english,mixed,mixed_news",
        help="xquad section: english (English-only index), mixed, mixed_news (+ news-de)",
    )
    p.add_argument(
        "--news-limit", type=int, default=None, help="first N news-de articles (default all)"
    )
    p.add_argument("--corpora", default="", help="ingest section: xquad_en,news_de (default both)")
    p.add_argument("--scale-chunks", type=int, default=100_000)
    p.add_argument(
        "--cpu-chunks",
        type=int,
        default=100_000,
        help="cpu section: also a synthetic index of N chunks (0: sample corpus only)",
    )
    p.add_argument("--follow-data-dir", default="", help="follow: keep/reuse the news-de index")
    p.add_argument("--shelves-chunks", type=int, default=100_000, help="shelves: index size")
    p.add_argument("--growth-sizes", default="10000,100000,1000000", help="growth section: chunks")
    p.add_argument("--growth-setups", default="embedded,shared", help="growth: embedded,shared")
    p.add_argument("--growth-section", default="growth", help="growth: bench/out/<this>.json")
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
        sections = _sections(args)
        wanted = [s for s in args.only.split(",") if s]
        unknown = [s for s in wanted if s not in sections]
        if unknown:
            print(f"unknown section(s): {', '.join(unknown)}; known: {SECTIONS}", file=sys.stderr)
            return 2
        for name in SECTIONS.split(","):  # a fixed order, whatever order --only gives
            if name in wanted:
                sections[name]()
    write_report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
