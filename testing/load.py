"""The load scenario of the reliability issue: 200 chats ask 5 questions each within a minute,
the model takes 0.5-2 s per answer. Run by a test (which asserts exactly-once delivery and flat
memory) and by `python -m bench.run --only load` (which records the figures)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from retrieval.timing import percentile

from .bot_process import BotProcess, rss_mb

QUESTIONS = [
    "Which phone does the Xiaomi CEO use?",
    "Welches Handy benutzt der Chef von Xiaomi?",
    "What did Lei Jun post on social networks?",
    "Was hat Xiaomi in Peking vorgestellt?",
    "Why is Xiaomi moving into the premium segment?",
]
REPLY = "Lei Jun, the CEO of Xiaomi, was seen using an iPhone [1]."


def run_load(
    tg: Any, llm: Any, data_dir: Path, tmp: Path, chats: int = 200, per_chat: int = 5,
    spread: float = 60.0, timeout: float = 600.0, questions: list[str] | None = None,
    model: dict[str, Any] | None = None, during: Any = None,
) -> dict[str, Any]:  # fmt: skip
    """`questions`: asked in turn (question n of the run is questions[n % len]); `model`: the
    fake model's reply; `during(pid)`: called once the bot is ready (a profiler, say)."""
    from .telegram_server import user

    asks = questions or [q for q in QUESTIONS for _ in range(chats)]
    llm.default["chat"] = model or {"content": REPLY, "hang_range": (0.5, 2.0)}
    bot = BotProcess(tg, llm, data_dir, tmp / "bot-load.log", index_corpus=False)
    users = [user(100_000 + i, "en") for i in range(chats)]
    sent_at: dict[int, list[float]] = {u["id"]: [] for u in users}
    rss: list[tuple[float, float]] = []
    try:
        bot.wait_ready(tg)
        if during is not None:
            during(bot.proc.pid)
        for u in users:
            tg.private_chat(u)
        total = chats * per_chat
        gap = spread / total
        t0 = time.monotonic()
        for n in range(total):  # question n: chat n % chats, its (n // chats)-th question
            u = users[n % chats]
            due = t0 + n * gap
            while time.monotonic() < due:
                time.sleep(max(0.0, min(0.01, due - time.monotonic())))  # due may pass meanwhile
            tg.send_text(tg.chats[u["id"]], u, asks[n % len(asks)])
            sent_at[u["id"]].append(time.monotonic())
            if n % 100 == 0:
                rss.append((time.monotonic() - t0, rss_mb(bot.proc.pid)["rss_mb"]))
        asked = time.monotonic() - t0
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            done = sum(sum(1 for m in tg.messages_to(u["id"]) if m.final_at) for u in users)
            if done >= total:
                break
            if int(time.monotonic() - t0) % 5 == 0:
                rss.append((time.monotonic() - t0, rss_mb(bot.proc.pid)["rss_mb"]))
            time.sleep(0.2)
        finished = time.monotonic() - t0
        rss.append((finished, rss_mb(bot.proc.pid)["rss_mb"]))
        log_text = (tmp / "bot-load.log").read_text(errors="replace")
    finally:
        bot.stop()
    latencies, answers_per_chat, first = [], [], []
    for u in users:
        msgs = tg.messages_to(u["id"])
        answers_per_chat.append(sum(1 for m in msgs if m.final_at))
        finals = sorted(m.final_at for m in msgs if m.final_at)
        for asked_at, answered_at in zip(sent_at[u["id"]], finals, strict=False):
            latencies.append(answered_at - asked_at)
        first += [
            m.created - a
            for m, a in zip(sorted(msgs, key=lambda m: m.created), sent_at[u["id"]], strict=False)
        ]
    mid = [r for t, r in rss if t >= asked / 4]
    return {
        "chats": chats,
        "questions": chats * per_chat,
        "asked_within_s": round(asked, 1),
        "all_answered_after_s": round(finished, 1),
        "answers": sum(answers_per_chat),
        "chats_with_wrong_count": sum(1 for n in answers_per_chat if n != per_chat),
        "throughput_answers_per_s": round(sum(answers_per_chat) / finished, 2),
        "latency_p50_s": _pct(latencies, 50),
        "latency_p95_s": _pct(latencies, 95),
        "latency_max_s": round(max(latencies), 2) if latencies else None,
        "first_visible_p50_s": _pct(first, 50),
        "first_visible_p95_s": _pct(first, 95),
        "rss_mb_samples": rss,
        "rss_mb_after_first_quarter": mid[0] if mid else None,
        "rss_mb_end": rss[-1][1],
        "errors_in_log": log_text.count("error while handling"),
    }


def _pct(values: list[float], p: float) -> float | None:
    v = percentile(values, p)
    return None if v is None else round(v, 3)
