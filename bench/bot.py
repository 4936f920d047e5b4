"""The bot under load: `footnote run` as a real process against the fake Telegram server, with an
OpenAI-compatible fake whose every answer takes 1 s (streamed over that second). N private chats
ask at the same moment; we time the first visible reply (the first draft or message in the
chat: a partial answer while the model streams) and the complete answer (the final HTML), per
chat.

    python -m bench.run --only bot                       # 1, 20, 100 chats; sample corpus
    python -m bench.run --only bot --bot-news-dir DIR    # + memory with news-de indexed in DIR
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import pct
from testing.bot_process import BotProcess, rss_mb

ROOT = Path(__file__).resolve().parent.parent
LLM_SECONDS = 1.0
REPLY = (
    "Lei Jun, the founder and CEO of Xiaomi, was seen using an iPhone when he posted on "
    "social networks [1]. The posts showed the label of Apple's phone [1]. This came while "
    "Xiaomi pushes its own models into the premium segment [2]."
)
QUESTIONS = [
    "Which phone does the Xiaomi CEO use?",
    "Welches Handy benutzt der Chef von Xiaomi?",
    "Quel téléphone utilise le patron de Xiaomi ?",
    "¿Qué teléfono usa el director de Xiaomi?",
]


def ask_all(
    tg: Any, n: int, base_uid: int, timeout: float = 300, questions: list[str] | None = None
) -> dict[str, Any]:
    """n chats ask at once; returns per-chat first-visible and complete times."""
    questions = questions or QUESTIONS
    from testing.telegram_server import user

    users = [user(base_uid + i, "en") for i in range(n)]
    chats = [tg.private_chat(u) for u in users]
    calls_before = len(tg.calls)
    t0 = time.monotonic()
    for i, (c, u) in enumerate(zip(chats, users, strict=True)):
        tg.send_text(c, u, questions[i % len(questions)])
    deadline = t0 + timeout
    while time.monotonic() < deadline:
        done = [tg.messages_to(u["id"]) for u in users]
        if all(any(m.final_at for m in msgs) for msgs in done):
            break
        time.sleep(0.02)
    first, complete, missing = [], [], 0
    for u in users:
        msgs = tg.messages_to(u["id"])
        finals = [m.final_at for m in msgs if m.final_at]
        if not msgs or not finals:
            missing += 1
            continue
        # A private chat sees the answer stream as drafts (sendMessageDraft) before any message.
        drafts = [d for d in tg.draft_times.get(u["id"], []) if d >= t0]
        first.append(min(m.created for m in msgs if m.created >= t0) - t0 if not drafts
                     else min(drafts) - t0)  # fmt: skip
        complete.append(max(finals) - t0)
    wall = max(complete) if complete else float("nan")
    sent = [m for m, _ in tg.calls[calls_before:] if m != "getUpdates"]
    return {"first": first, "complete": complete, "missing": missing, "wall": wall,
            "requests_per_answer": len(sent) / n}  # fmt: skip


def bench_bot(news_dir: str | None = None) -> dict[str, Any]:
    from testing.openai_server import FakeOpenAI
    from testing.telegram_server import FakeTelegram

    pieces = 10
    chunk = max(1, len(REPLY) // pieces + 1)
    llm = FakeOpenAI().start()
    # 1 s per call: an answer streamed in ten pieces 0.1 s apart, a call that does not stream
    # (the question's translation, which the answer waits for) after 1 s.
    llm.default["chat"] = {
        "content": REPLY,
        "chunk": chunk,
        "pause": LLM_SECONDS / pieces,
        "hang_unstreamed": LLM_SECONDS,
    }
    results: dict[str, Any] = {"llm_seconds_per_answer": LLM_SECONDS, "levels": {},
                               "translation_waits": True}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tg = FakeTelegram().start()
        bot = BotProcess(tg, llm, Path(tmp) / "data", Path(tmp) / "bot.log")
        try:
            bot.wait_ready(tg)
            ask_all(tg, 1, 10_000)  # warm-up: model load, first search
            uid = 20_000
            for n, rounds in ((1, 10), (20, 3), (100, 2)):
                first: list[float] = []
                complete: list[float] = []
                rates, missing, requests = [], 0, []
                for _ in range(rounds):
                    r = ask_all(tg, n, uid)
                    uid += n
                    first += r["first"]
                    complete += r["complete"]
                    missing += r["missing"]
                    rates.append(len(r["complete"]) / r["wall"])
                    requests.append(r["requests_per_answer"])
                    time.sleep(1.0)
                results["levels"][str(n)] = {
                    "rounds": rounds,
                    "answers_per_second": round(sum(rates) / len(rates), 2),
                    "first_visible_p50_s": pct(first, 50, digits=3),
                    "first_visible_p95_s": pct(first, 95, digits=3),
                    "complete_p50_s": pct(complete, 50, digits=3),
                    "complete_p95_s": pct(complete, 95, digits=3),
                    "missing": missing,
                    "telegram_requests_per_answer": round(sum(requests) / len(requests), 1),
                }
                print(n, results["levels"][str(n)], flush=True)
            results["fresh_questions"] = _fresh(tg, Path(tmp))
            print("fresh", results["fresh_questions"], flush=True)
            results["memory_sample_corpus"] = rss_mb(bot.proc.pid)
        finally:
            bot.stop()
            tg.stop()
        results["without_telegram_limit"] = _unlimited(llm, Path(tmp))
        if news_dir:
            results["memory_news_de"] = _news_memory(Path(news_dir), llm, Path(tmp))
    llm.stop()
    return results


def _fresh(tg: Any, tmp: Path) -> dict[str, Any]:
    """One chat at a time, each question asked for the first time (no translation or query
    vector remembered from an earlier one): bench/data/sample_questions.jsonl. The time to the
    first visible text, over all of them and over those search alone is confident about
    (decided by the same search on a copy of the index in this process)."""
    import json

    from bench.common import settings
    from retrieval.answer.answerer import Answerer
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index

    rows = [json.loads(x) for x in (ROOT / "bench" / "data" / "sample_questions.jsonl").open()]
    asked = [r["question"] for r in rows]
    index = Index(settings(tmp / "copy"))
    ingest(index, [str(ROOT / "corpus")])
    offline = Answerer(index, llm=None)
    confident = [offline.gate.confident(offline.retrieve(q)) for q in asked]
    index.close()
    first: list[float] = []
    for i, q in enumerate(asked):
        r = ask_all(tg, 1, 70_000 + i, questions=[q])
        first += r["first"] or [float("nan")]
        time.sleep(0.5)
    sure = [f for f, c in zip(first, confident, strict=True) if c]
    return {
        "questions": len(asked),
        "confident": len(sure),
        "first_visible_p50_s": pct(first, 50, digits=3),
        "first_visible_p95_s": pct(first, 95, digits=3),
        "first_visible_confident_p50_s": pct(sure, 50, digits=3),
        "first_visible_confident_max_s": round(max(sure), 3) if sure else None,
    }


def _unlimited(llm: Any, tmp: Path) -> dict[str, Any]:
    """The same 100 chats with the Bot API rate limit lifted (TELEGRAM_OVERALL_RATE=1000): what
    the bot itself (search, embedding, the event loop) can do on this machine."""
    from testing.telegram_server import FakeTelegram

    tg = FakeTelegram().start()
    bot = BotProcess(tg, llm, tmp / "data", tmp / "bot-unlimited.log", index_corpus=False,
                     TELEGRAM_OVERALL_RATE="1000")  # fmt: skip
    try:
        bot.wait_ready(tg)
        ask_all(tg, 1, 10_000)
        first: list[float] = []
        complete: list[float] = []
        rates = []
        for round_ in range(2):
            r = ask_all(tg, 100, 50_000 + 100 * round_)
            first += r["first"]
            complete += r["complete"]
            rates.append(len(r["complete"]) / r["wall"])
            time.sleep(1.0)
    finally:
        bot.stop()
        tg.stop()
    return {
        "chats": 100,
        "answers_per_second": round(sum(rates) / len(rates), 2),
        "first_visible_p50_s": pct(first, 50, digits=3),
        "first_visible_p95_s": pct(first, 95, digits=3),
        "complete_p50_s": pct(complete, 50, digits=3),
        "complete_p95_s": pct(complete, 95, digits=3),
    }


def _news_memory(data_dir: Path, llm: Any, tmp: Path) -> dict[str, Any]:
    """RSS of the running bot with the news-de index, after answering 20 questions."""
    from bot.settings import BotSettings as Settings
    from retrieval.index.inventory import stats as index_stats
    from retrieval.index.parts import Index
    from testing.telegram_server import FakeTelegram

    settings = Settings.from_env(environ={}, dotenv_path=None, data_dir=data_dir)
    index = Index(settings)
    stats = index_stats(index)
    index.close()
    tg = FakeTelegram().start()
    bot = BotProcess(tg, llm, data_dir, tmp / "bot-news.log", index_corpus=False)
    try:
        bot.wait_ready(tg)
        idle = rss_mb(bot.proc.pid)
        r = ask_all(tg, 20, 90_000)
        busy = rss_mb(bot.proc.pid)
    finally:
        bot.stop()
        tg.stop()
    return {
        "articles": stats["articles"],
        "chunks": stats["chunks"],
        "idle_rss_mb": idle["rss_mb"],
        "rss_after_20_answers_mb": busy["rss_mb"],
        "peak_rss_mb": busy["peak_rss_mb"],
        "answered": len(r["complete"]),
    }
