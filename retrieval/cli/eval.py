"""`footnote eval xquad`: retrieval measured per question language, on an English-only or a
mixed-language index, with optional distractor articles."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retrieval.errors import FootnoteError
from retrieval.settings import Settings


def add_eval_command(sub: Any, settings_of: Callable[[argparse.Namespace], Settings]) -> None:
    s = sub.add_parser("eval", help="measure retrieval on an evaluation set")
    s.add_argument("dataset_name", choices=("xquad",))
    s.add_argument(
        "--dataset",
        default=None,
        help="directory with articles.jsonl and questions.jsonl (default ../shared/eval/xquad)",
    )
    s.add_argument(
        "--index-langs",
        default="",
        help="article languages, comma-separated (default: en; with --mixed: all twelve)",
    )
    s.add_argument(
        "--mixed",
        action="store_true",
        help="every article in one language, the languages taking equal shares",
    )
    s.add_argument(
        "--distractors",
        action="append",
        metavar="DIR",
        help="also index these articles (anything `footnote ingest` reads); repeatable",
    )
    s.add_argument(
        "--question-langs", default="all", help="question languages, comma-separated, or all"
    )
    s.add_argument("--limit", type=int, default=None, help="first N questions per language")
    s.add_argument(
        "--sample",
        type=int,
        default=None,
        help="N questions drawn at random (the same in every language and run)",
    )
    s.add_argument(
        "--held-out",
        action="store_true",
        help="leave out the 300 questions search was tuned on (--sample 300)",
    )
    s.add_argument("--k", type=int, default=10, help="depth for recall (reports @1, @5, @k)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=lambda args: cmd_eval(args, settings_of(args)))


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.cli.evaluate import format_table, run_xquad

    candidates = (
        [Path(args.dataset)]
        if args.dataset
        else [
            Path("../shared/eval/xquad"),
            Path(__file__).resolve().parents[3] / "shared" / "eval" / "xquad",
        ]
    )
    dataset = next((c for c in candidates if (c / "questions.jsonl").is_file()), None)
    if dataset is None:
        raise FootnoteError(
            "no XQuAD data found (looked in "
            + ", ".join(str(c) for c in candidates)
            + "); pass --dataset DIR with articles.jsonl and questions.jsonl"
        )
    from retrieval.cli.evaluate import XQUAD_LANGS

    if args.mixed:
        langs = (
            args.index_langs.split(",")
            if args.index_langs
            else [lang for lang in XQUAD_LANGS if (dataset / f"xquad.{lang}.json").is_file()]
        )
        missing = [lang for lang in langs if not (dataset / f"xquad.{lang}.json").is_file()]
        if missing or not langs:
            raise FootnoteError(
                f"--mixed needs xquad.<lang>.json files in {dataset} (missing: "
                + (", ".join(missing) or "all")
                + ")"
            )
    else:
        langs = (args.index_langs or "en").split(",")
    for d in args.distractors or []:
        if not Path(d).exists():
            raise FootnoteError(f"--distractors {d}: no such file or directory")
    results = run_xquad(
        dataset=dataset,
        index_langs=langs,
        question_langs=None if args.question_langs == "all" else args.question_langs.split(","),
        limit=args.limit,
        k=args.k,
        settings=settings,
        progress_enabled=not args.json,
        mixed=args.mixed,
        distractors=args.distractors,
        sample=args.sample,
        held_out=args.held_out,
    )
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0
