"""`footnote` command line. Errors from the core are translated to messages and exit codes here."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retrieval.cli.eval import add_eval_command
from retrieval.cli.feeds import add_feeds_command
from retrieval.cli.progress import progress_bar as _progress
from retrieval.errors import FootnoteError
from retrieval.settings import Settings

log = logging.getLogger("footnote")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings.from_env(**overrides)


def _shelf(raw: str) -> str:
    """argparse's check of a `--shelf` value."""
    from retrieval.shelves import ShelfNameError, shelf_name

    try:
        return shelf_name(raw)
    except ShelfNameError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _shelves(args: argparse.Namespace) -> tuple[str, ...]:
    """The `--shelf` values, each once (none: every shelf)."""
    return tuple(dict.fromkeys(getattr(args, "shelf", None) or ()))


def _index(args: argparse.Namespace) -> Any:
    from retrieval.index.parts import Index

    return Index(_settings(args))


# --- commands ------------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from retrieval.index.ingest import ingest

    index = _index(args)
    with _progress(not args.json) as progress:
        report = ingest(index, args.inputs, prune=args.prune, progress=progress, shelf=args.shelf)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(
            f"articles: {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.removed)} removed, "
            f"{report.failures} failed"
            + (f", {len(report.duplicates)} copies of stored stories" if report.duplicates else "")
        )
        print(
            f"chunks: {report.chunks_added} written ({report.chunks_embedded} embedded), "
            f"{report.chunks_removed} removed; {report.seconds:.1f} s"
        )
        for w in report.warnings:
            print(f"warning: {w}")
        for f in report.failed:
            print(f"failed: {f.source}: {f.reason}", file=sys.stderr)
        if report.failed_unlisted:
            print(f"failed: … and {report.failed_unlisted} more", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_search(args: argparse.Namespace) -> int:
    from retrieval.search.hybrid import Filters, search

    index = _index(args)
    filters = Filters(
        args.lang or "",
        args.date_from or "",
        args.date_to or "",
        args.article or "",
        _shelves(args),
    )

    def run(q: str) -> None:
        hits = search(index, q, k=args.k, filters=filters, mode=args.mode).hits
        if args.json:
            print(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2))
            return
        if not hits:
            print("No matching passages.")
        for n, h in enumerate(hits, 1):
            c = h.chunk
            meta = " · ".join(x for x in (c.lang, c.date, c.url or c.source) if x)
            print(f"[{n}] {c.title}  ({meta})  score {h.score:.4f}")
            text = c.text if len(c.text) <= 400 else c.text[:400].rsplit(" ", 1)[0] + " …"
            print("    " + text.replace("\n\n", "\n    "))
            print()

    if args.question:
        run(" ".join(args.question))
        return 0
    # No question: a small interactive loop (the main job until answers and the bot exist).
    print("Ask about the articles (empty line or Ctrl-D to quit).")
    while True:
        try:
            q = input("search> ").strip()
        except EOFError:
            print()
            return 0
        if not q:
            return 0
        run(q)


def _answerer(args: argparse.Namespace) -> Any:
    from retrieval.answer.answerer import Answerer
    from retrieval.llm.client import make_llm

    index = _index(args)
    return Answerer(index, make_llm(index.settings))


def format_answer(answer: Any) -> str:
    """An Answer for a terminal: the text, then its numbered sources."""
    from retrieval.dates import describe_date
    from retrieval.strings import text
    from retrieval.types import group_citations

    lines = [answer.text]
    if answer.citations:
        lines += ["", text("sources", answer.language) + ":"]
        for numbers, c in group_citations(answer.citations):
            where = " · ".join(x for x in (describe_date(c.date, answer.language), c.url) if x)
            marks = "".join(f"[{n}]" for n in numbers)
            lines.append(f"{marks} {c.title}" + (f" ({where})" if where else ""))
            if c.also:
                also = ", ".join(u or t for u, t in c.also)
                lines.append(f"    {text('also_published', answer.language)} {also}")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    import asyncio

    answerer = _answerer(args)
    answer = asyncio.run(
        _ask_once(answerer, " ".join(args.question), args.lang or "", [], _shelves(args))
    )
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer))
    return 0


async def _ask_once(
    answerer: Any,
    question: str,
    hint: str,
    history: list[tuple[str, str]],
    shelves: tuple[str, ...] = (),
) -> Any:
    try:
        return await answerer.answer(question, history=history, language_hint=hint, shelves=shelves)
    finally:
        close = getattr(answerer.llm, "close", None)
        if close is not None and not history:
            await close()


def cmd_chat(args: argparse.Namespace) -> int:
    """A terminal conversation with history, so follow-ups work as in Telegram."""
    import asyncio

    answerer = _answerer(args)
    mode = (
        "with " + answerer.llm.name
        if answerer.llm
        else "offline (quotes only: no OPENAI_API_KEY/OPENAI_BASE_URL)"
    )
    print(f"Footnote chat, {mode}. Ask about the articles; empty line or Ctrl-D quits.")

    async def loop() -> None:
        history: list[tuple[str, str]] = []
        try:
            while True:
                try:
                    question = (await asyncio.to_thread(input, "you> ")).strip()
                except EOFError:
                    print()
                    return
                if not question:
                    return
                answer = await answerer.answer(
                    question, history=history, language_hint=args.lang or "",
                    shelves=_shelves(args),
                )  # fmt: skip
                print(format_answer(answer), end="\n\n")
                history = [*history, (answer.standalone_question or question, answer.text)][-4:]
        finally:
            close = getattr(answerer.llm, "close", None)
            if close is not None:
                await close()

    asyncio.run(loop())
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from retrieval.answer.digest import digest, period

    answerer = _answerer(args)
    now = datetime.now(UTC)
    try:
        since = period(args.since, now)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    return _print_result(
        args, answerer,
        digest(answerer.index, answerer.llm, since, args.lang, args.topic, now, _shelves(args)),
    )  # fmt: skip


def _print_result(args: argparse.Namespace, answerer: Any, work: Any) -> int:
    """Await `work` (a digest, a check) with the model's client closed after, then print its
    JSON or, for a reader, its rendering as an answer."""
    import asyncio

    async def run() -> Any:
        try:
            return await work
        finally:
            close = getattr(answerer.llm, "close", None)
            if close is not None:
                await close()

    result = asyncio.run(run())
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(result.as_answer()))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """A post (text or URL) checked against the archive: its claims and what the articles say."""
    from retrieval.answer.check import check_post, post_of

    answerer = _answerer(args)
    post = post_of(answerer.index, " ".join(args.post))
    return _print_result(
        args, answerer,
        check_post(answerer.index, answerer.llm, post, _shelves(args), args.lang or ""),
    )  # fmt: skip


def cmd_sources(args: argparse.Namespace) -> int:
    from retrieval.index.inventory import sources

    rows = sources(_index(args), _shelves(args))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("No articles yet: `footnote ingest PATH_OR_URL`.")
    for r in rows:
        print(
            f"{r['article_id']}  {r['lang'] or '??'}  {r['date'] or '          '}  {r['chunks']:>3} chunks  {r['title']}"
        )
        print(f"{'':18}{r['url'] or r['source']}" + (
            f"  [{r['shelf']}]" if r["shelf"] != "public" else ""))  # fmt: skip
    return 0


def cmd_shelves(args: argparse.Namespace) -> int:
    shelves = _index(args).catalog.shelves()
    rows = [{"shelf": s, "articles": a, "chunks": c} for s, (a, c) in shelves.items()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("No articles yet: `footnote ingest PATH_OR_URL [--shelf NAME]`.")
    for r in rows:
        print(f"{r['shelf']:<40} {r['articles']:>7} articles {r['chunks']:>8} chunks")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from retrieval.index.ingest import forget

    if forget(_index(args), args.article_id):
        print(f"forgot {args.article_id}")
        return 0
    print(f"no article {args.article_id} (see `footnote sources`)", file=sys.stderr)
    return 1


def cmd_stats(args: argparse.Namespace) -> int:
    from retrieval.index.inventory import stats as index_stats
    from retrieval.index.inventory import verify

    index = _index(args)
    stats = index_stats(index)
    if args.verify:
        stats["verify"] = verify(index)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
        return 0
    for key, value in stats.items():
        print(f"{key:>20}: {value}")
    return 0 if stats.get("verify", {"ok": True})["ok"] else 1


def cmd_reindex(args: argparse.Namespace) -> int:
    from retrieval.index.ingest import reindex

    index = _index(args)
    with _progress(True) as progress:
        report = reindex(index, progress)
    verb = "re-embedded" if report.texts_embedded else "rewrote the vectors of"
    print(
        f"{verb} {report.chunks_added} chunks of {len(report.updated)} articles in {report.seconds:.1f} s"
    )
    return 0


# --- parser --------------------------------------------------------------------------------------


def build_parser(extend: Callable[[Any], None] | None = None) -> argparse.ArgumentParser:
    """The `footnote` parser; `extend` adds subcommands (the bot adds `run`) without the core
    importing the bot."""
    p = argparse.ArgumentParser(
        prog="footnote",
        description="Footnote: cited answers from a corpus of news articles, in the asker's language.",
    )
    p.add_argument("--data-dir", help="index directory (default: FOOTNOTE_DATA_DIR or ./data)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("ingest", help="add or update articles from files, directories or URLs")
    s.add_argument("inputs", nargs="+", metavar="PATH_OR_URL")
    s.add_argument("--prune", action="store_true", help="drop articles whose source is gone")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.add_argument(
        "--shelf", type=_shelf, default="public", metavar="NAME",
        help="the shelf these articles go on (default: public; an article on another moves)",
    )  # fmt: skip
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("search", help="find passages (no question: interactive)")
    s.add_argument("question", nargs="*")
    s.add_argument("-k", type=int, default=None, help="number of hits (default FOOTNOTE_TOP_K)")
    s.add_argument("--lang", help="only chunks in this language (ISO 639-1)")
    s.add_argument(
        "--from", dest="date_from", metavar="YYYY-MM-DD", help="only articles dated on/after"
    )
    s.add_argument(
        "--to", dest="date_to", metavar="YYYY-MM-DD", help="only articles dated on/before"
    )
    s.add_argument("--article", metavar="ARTICLE_ID", help="only this article")
    s.add_argument("--mode", choices=("hybrid", "dense", "keyword"), default="hybrid")
    s.add_argument("--json", action="store_true", help="print hits as JSON")
    _shelf_option(s)
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("ask", help="a cited answer in the question's language")
    s.add_argument("question", nargs="+")
    s.add_argument("--lang", help="language hint (ISO 639-1) for short or ambiguous questions")
    s.add_argument("--json", action="store_true", help="print the Answer as JSON")
    _shelf_option(s)
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("chat", help="an interactive conversation (follow-ups work)")
    s.add_argument("--lang", help="language hint (ISO 639-1)")
    _shelf_option(s)
    s.set_defaults(func=cmd_chat)

    s = sub.add_parser("digest", help="the new stories of a period, one line each, cited")
    s.add_argument(
        "--since",
        default="today",
        help="today (24 h), week, a date (2026-11-30) or words such as yesterday",
    )
    s.add_argument("--lang", default="en", help="the digest's language (ISO 639-1)")
    s.add_argument("--topic", default="", help="only stories about this")
    s.add_argument("--json", action="store_true")
    _shelf_option(s)
    s.set_defaults(func=cmd_digest)

    s = sub.add_parser("check", help="check a post's claims against the articles (text or URL)")
    s.add_argument("post", nargs="+", metavar="TEXT_OR_URL")
    s.add_argument("--lang", help="the post's language (ISO 639-1), if detection may miss it")
    s.add_argument("--json", action="store_true")
    _shelf_option(s)
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("sources", help="list the indexed articles")
    s.add_argument("--json", action="store_true")
    _shelf_option(s)
    s.set_defaults(func=cmd_sources)

    s = sub.add_parser("shelves", help="the shelves and how many articles each holds")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_shelves)

    s = sub.add_parser("forget", help="remove one article from the index")
    s.add_argument("article_id")
    s.set_defaults(func=cmd_forget)

    s = sub.add_parser("stats", help="index size, languages, embedder, store")
    s.add_argument("--json", action="store_true")
    s.add_argument("--verify", action="store_true", help="check every chunk has exactly one vector")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser("reindex", help="re-embed every article (after changing FOOTNOTE_EMBEDDER)")
    s.set_defaults(func=cmd_reindex)

    add_feeds_command(sub, _index)
    add_eval_command(sub, _settings)
    if extend is not None:
        extend(sub)
    return p


def _shelf_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shelf", type=_shelf, action="append", metavar="NAME",
        help="only articles of this shelf (repeat for several; default: every shelf)",
    )  # fmt: skip


def main(argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None) -> int:
    args = (parser or build_parser()).parse_args(argv)
    if not getattr(args, "own_logging", False):
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return int(args.func(args))
    except FootnoteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
