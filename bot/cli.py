"""The `footnote` command: the core's subcommands plus `run`, which starts the bot."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from bot.settings import BotSettings
from retrieval.api import build_parser, cli_main, cmd_chat


def cmd_run(args: argparse.Namespace) -> int:

    from bot.redact import setup_logging

    overrides: dict[str, Any] = {"data_dir": Path(args.data_dir)} if args.data_dir else {}
    if args.metrics_port is not None:
        overrides["metrics_port"] = args.metrics_port
    settings = BotSettings.from_env(**overrides)
    if not settings.telegram_bot_token:
        if args.fallback_chat:
            print("TELEGRAM_BOT_TOKEN is not set: starting the terminal chat instead.\n")
            return cmd_chat(argparse.Namespace(data_dir=args.data_dir, lang=None))
        print("error: TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)", file=sys.stderr)
        return 1
    setup_logging(
        logging.DEBUG if args.verbose else logging.INFO,
        settings.telegram_bot_token.get_secret_value(),
        settings.webhook_secret.get_secret_value(),
        settings.openai_api_key.get_secret_value(),
    )
    from bot.app import run

    if args.index_corpus:
        _index_corpus(settings)
    run(settings)
    return 0


def _index_corpus(settings: Any) -> None:
    """First run: the bot has something to answer from (incremental, so cheap afterwards)."""
    from retrieval.api import Index, ingest

    if not settings.corpus_dir.is_dir():
        return
    index = Index(settings)
    try:
        report = ingest(index, [str(settings.corpus_dir)])
        logging.getLogger("footnote").info(
            "corpus %s: %d added, %d unchanged", settings.corpus_dir, len(report.added),
            len(report.unchanged),
        )  # fmt: skip
    finally:
        index.close()


def add_run(sub: Any) -> None:
    s = sub.add_parser("run", help="start the Telegram bot (polling, or webhook with WEBHOOK_URL)")
    s.add_argument(
        "--fallback-chat",
        action="store_true",
        help="without TELEGRAM_BOT_TOKEN, start the terminal chat instead of failing",
    )
    s.add_argument(
        "--index-corpus",
        action="store_true",
        help="index FOOTNOTE_CORPUS_DIR (incrementally) before starting",
    )
    s.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus metrics on this port (FOOTNOTE_METRICS_PORT)",
    )
    s.set_defaults(func=cmd_run, own_logging=True)


def main(argv: list[str] | None = None) -> int:
    return cli_main(argv, build_parser(add_run))


if __name__ == "__main__":
    sys.exit(main())
