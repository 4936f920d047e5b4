"""`footnote run` as a process against the fake servers: its environment, a webhook delivery,
and a handle to start, watch and stop it."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def post_update(url: str, update: dict[str, object], secret: str | None) -> int:
    """Deliver an update to a webhook as Telegram does; the HTTP status (0: no connection)."""
    import json
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=json.dumps(update).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})  # fmt: skip
    if secret is not None:
        req.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def bot_env(tg: Any, data_dir: Path, state: Path, **extra: str) -> dict[str, str]:
    """The environment for `footnote run` as a process against the fake Telegram server: this
    process's own Footnote settings dropped, a bot state database of its own."""
    import os

    from testing.telegram_server import TOKEN

    prefixes = ("OPENAI_", "TELEGRAM_", "WEBHOOK_", "FOOTNOTE_", "DATABASE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=tg.base_url,
        TELEGRAM_BASE_FILE_URL=tg.base_file_url,
        FOOTNOTE_DATA_DIR=str(data_dir),
        FOOTNOTE_CORPUS_DIR=str(ROOT / "corpus"),
        FOOTNOTE_ADMIN_IDS="42",
        DATABASE_URL=f"sqlite:///{state}",
        FOOTNOTE_EMBED_WORKERS="1",
        NO_PROXY="127.0.0.1,localhost",
        ANONYMIZED_TELEMETRY="False",
    )
    env.update(extra)
    return env


def rss_mb(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":")
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": out.get("VmRSS", 0.0), "peak_rss_mb": out.get("VmHWM", 0.0)}


class BotProcess:
    """`footnote run` in a subprocess, pointed at the fakes."""

    def __init__(
        self,
        tg: Any,
        llm: Any,
        data_dir: Path,
        log: Path,
        index_corpus: bool = True,
        **extra_env: str,
    ) -> None:
        state = log.parent / (log.stem + "-state.sqlite3")
        for old in (state, *(state.with_name(state.name + end) for end in ("-wal", "-shm"))):
            old.unlink(missing_ok=True)  # a fresh state each run: the fake's update ids restart
        env = bot_env(
            tg, data_dir, state,
            OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="sk-bench", PYTHONPATH=str(ROOT),
            FOOTNOTE_ADMIN_IDS="",
        )  # fmt: skip
        env.update(extra_env)
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run", *(["--index-corpus"] if index_corpus else [])],
                cwd=log.parent, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.log = log

    def wait_ready(self, tg: Any, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while not tg.calls_of("getUpdates"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"bot did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def wait_webhook(self, url: str, secret: str | None, timeout: float = 120) -> None:
        """Until the process's webhook takes an (empty) update."""
        deadline = time.monotonic() + timeout
        while not post_update(url, {"update_id": 0}, secret):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"webhook did not start:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@contextlib.contextmanager
def webhook_processes(
    tg: Any, llm: Any, root: Path, name: str, count: int, secret: str, **env: str
) -> Iterator[list[str]]:
    """`count` bot processes in webhook mode (each its own data directory under `root`, the
    same `env`: the shared servers), ready to take updates; their webhook URLs. Stopped on exit."""
    from testing.services import free_port

    procs, urls = [], []
    try:
        for i in range(count):
            port = free_port()
            urls.append(f"http://127.0.0.1:{port}/hook")
            procs.append(BotProcess(
                tg, llm, root / f"host-{name}-{i}", root / f"{name}-{i}.log", index_corpus=False,
                WEBHOOK_URL=urls[-1], WEBHOOK_SECRET=secret, WEBHOOK_LISTEN="127.0.0.1",
                WEBHOOK_PORT=str(port), **env,
            ))  # fmt: skip
        for url, proc in zip(urls, procs, strict=True):
            proc.wait_webhook(url, secret)
        yield urls
    finally:
        for proc in procs:
            proc.stop()
