"""`footnote run` as a real process: long polling, and webhook mode with its secret."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval.index.parts import Index
from testing.bot_process import bot_env, post_update
from testing.openai_server import FakeOpenAI
from testing.services import free_port
from testing.telegram_server import TOKEN, FakeTelegram, user
from tests.conftest import ROOT
from tests.record import record

ZOE = user(3001, "de", "Zoe")
SECRET = "s3cret-webhook-token-0123456789"


def env_for(tg: FakeTelegram, data_dir: Path, state: Path, **extra: str) -> dict[str, str]:
    """The index is shared between tests, the bot state not."""
    return bot_env(tg, data_dir, state, **extra)


@pytest.fixture
def proc_log(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "bot.log"


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=tmp_cwd(log),
            env={**env, "PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def tmp_cwd(log: Path) -> Path:
    """Run outside the checkout so a developer's .env cannot leak in."""
    return log.parent


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()


def wait_for(
    predicate,
    timeout: float = 90.0,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"bot exited {proc.returncode}: {log.read_text() if log else ''}")
        time.sleep(0.1)
    raise AssertionError(f"timed out; log: {log.read_text()[-3000:] if log else ''}")


def scrape(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
            return str(resp.read().decode())
    except OSError:
        return ""


def test_footnote_run_long_polling(
    tg: FakeTelegram, sample_index: Index, fake_openai: FakeOpenAI, proc_log: Path
) -> None:
    fake_openai.default["chat"] = {
        "content": "Lei Jun nutzte ein iPhone [1].",
        "chunk": 6,
        "pause": 0.05,
    }
    env = env_for(
        tg,
        sample_index.settings.data_dir,
        proc_log.parent / "bot.sqlite3",
        OPENAI_BASE_URL=fake_openai.base_url,
        OPENAI_API_KEY="sk-test",
    )
    metrics_port = free_port()
    proc = start(["run", "--index-corpus", "--metrics-port", str(metrics_port)], env, proc_log)
    try:
        chat = tg.private_chat(ZOE)
        tg.send_text(chat, ZOE, "Welches Handy benutzt der Chef von Xiaomi?")
        sent = wait_for(
            lambda: [m for m in tg.messages_to(ZOE["id"]) if m.parse_mode == "HTML"],
            proc=proc,
            log=proc_log,
        )
        assert "iPhone" in sent[0].text
        metrics = wait_for(lambda: scrape(metrics_port), proc=proc, log=proc_log)
        assert 'footnote_answers_total{found="true",language="de",mode="llm"} 1.0' in metrics
        assert 'footnote_questions_total{chat_type="private"} 1.0' in metrics
        assert (
            "footnote_answer_seconds_bucket" in metrics
            and "footnote_first_reply_seconds_count 1.0" in metrics
        )
        assert 'footnote_llm_tokens_total{kind="completion"}' in metrics
    finally:
        code = stop(proc)
    log = proc_log.read_text()
    assert code == 0, log
    assert "long polling" in log and TOKEN not in log and TOKEN.split(":")[1] not in log
    assert tg.calls_of("setMyCommands")  # registered at start


def test_footnote_run_webhook_checks_the_secret(
    tg: FakeTelegram, sample_index: Index, proc_log: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    env = env_for(tg, sample_index.settings.data_dir, proc_log.parent / "bot.sqlite3", WEBHOOK_URL=url, WEBHOOK_SECRET=SECRET,
                  WEBHOOK_LISTEN="127.0.0.1", WEBHOOK_PORT=str(port))  # fmt: skip
    proc = start(["run"], env, proc_log)
    chat = tg.private_chat(ZOE)

    def post(update: dict[str, object], secret: str | None) -> int:
        return post_update(url, update, secret)

    try:
        wait_for(lambda: tg.webhook.get("url") == url, proc=proc, log=proc_log)
        assert tg.webhook["secret_token"] == SECRET
        question = tg.update_dict(
            message=tg.message(chat, ZOE, "Welches Handy benutzt der Chef von Xiaomi?")
        )
        wait_for(
            lambda: post(tg.update_dict(message=tg.message(chat, ZOE, "x")), None) == 403,
            proc=proc,
            log=proc_log,
        )
        assert post(question, "wrong-secret") == 403
        assert oversized_post_is_refused_from_its_headers(port)
        assert post(question, SECRET) == 200
        wait_for(lambda: tg.messages_to(ZOE["id"]), proc=proc, log=proc_log)
    finally:
        code = stop(proc)
    msgs = tg.messages_to(ZOE["id"])
    assert len(msgs) == 1 and "Sprachmodell" in msgs[0].text  # offline: no model configured
    assert code == 0
    log = proc_log.read_text()
    assert "webhook mode" in log and TOKEN not in log and SECRET not in log


def oversized_post_is_refused_from_its_headers(port: int) -> bool:
    """A body declared at 50 MB (under tornado's 100 MB default) without the secret: refused at
    once, not read into memory (before, the server sat waiting for the 50 MB)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 50000000\r\n\r\n{"
        )
        reply = sock.recv(200)
    return reply == b"" or reply.startswith((b"HTTP/1.1 400", b"HTTP/1.1 413"))


def test_sigkill_mid_answer_then_restart_answers_each_question_once(
    tg: FakeTelegram, sample_index: Index, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.default["chat"] = {"content": "Lei Jun nutzte ein iPhone [1].", "hang": 5.0}
    state = tmp_path / "state.sqlite3"
    env = env_for(tg, sample_index.settings.data_dir, state,
                  OPENAI_BASE_URL=fake_openai.base_url, OPENAI_API_KEY="sk-test")  # fmt: skip
    first, second = user(3101, "de"), user(3102, "de")
    log1, log2 = tmp_path / "run1.log", tmp_path / "run2.log"
    proc = start(["run"], env, log1)
    try:
        tg.send_text(tg.private_chat(first), first, "Welches Handy benutzt der Chef von Xiaomi?")
        wait_for(lambda: fake_openai.chats(), proc=proc, log=log1)  # mid-answer: the model is asked
    finally:
        proc.kill()  # SIGKILL: no cleanup at all
        proc.wait(10)
    tg.send_text(
        tg.private_chat(second), second, "Welches Handy benutzt der Chef von Xiaomi?"
    )  # while down
    fake_openai.default["chat"] = {"content": "Lei Jun nutzte ein iPhone [1]."}
    restarted = time.monotonic()
    proc = start(["run"], env, log2)
    try:
        wait_for(lambda: all(any(m.parse_mode == "HTML" for m in tg.messages_to(u["id"])) for u in (first, second)),
                 proc=proc, log=log2)  # fmt: skip
        recovery = time.monotonic() - restarted
        time.sleep(1.0)
    finally:
        assert stop(proc) == 0
    for u in (first, second):
        assert len(tg.messages_to(u["id"])) == 1, tg.messages_to(
            u["id"]
        )  # once: not lost, not twice
    assert "replaying 1 update(s)" in log2.read_text()
    assert recovery < 60
    record(
        "SIGKILL mid-answer: restart to both questions answered (one replayed, one pending)",
        recovery,
    )

    from bot.store.state import State

    s = State.open(f"sqlite:///{state}")
    try:
        assert s.log.stats()["questions"] == 2 and s.inbox.unfinished_updates() == []
    finally:
        s.close()


def test_sigterm_with_a_slow_model_stops_within_the_grace_and_answers_after_restart(
    tg: FakeTelegram, sample_index: Index, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.default["chat"] = {"content": "Lei Jun nutzte ein iPhone [1].", "hang": 30.0}
    env = env_for(tg, sample_index.settings.data_dir, tmp_path / "state.sqlite3",
                  OPENAI_BASE_URL=fake_openai.base_url, OPENAI_API_KEY="sk-test",
                  FOOTNOTE_SHUTDOWN_GRACE="2")  # fmt: skip
    asker = user(3201, "de")
    log1, log2 = tmp_path / "run1.log", tmp_path / "run2.log"
    proc = start(["run"], env, log1)
    try:
        tg.send_text(tg.private_chat(asker), asker, "Welches Handy benutzt der Chef von Xiaomi?")
        wait_for(lambda: fake_openai.chats(), proc=proc, log=log1)  # the model is thinking
        asked_to_stop = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(20)
        stopped_in = time.monotonic() - asked_to_stop
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0 and stopped_in < 10, (stopped_in, log1.read_text()[-2000:])  # docker: 10 s
    assert "cut 1 update(s) short" in log1.read_text()
    fake_openai.default["chat"] = {"content": "Lei Jun nutzte ein iPhone [1]."}
    proc = start(["run"], env, log2)
    try:
        wait_for(lambda: any(m.parse_mode == "HTML" for m in tg.messages_to(asker["id"])),
                 proc=proc, log=log2)  # fmt: skip
    finally:
        assert stop(proc) == 0
    assert "replaying 1 update(s)" in log2.read_text()
    record("SIGTERM with the model busy for 30 s: process gone (grace 2 s)", stopped_in)
