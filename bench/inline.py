"""Inline mode (issue 28): `footnote run` as a real process against the fake Telegram server,
the sample corpus and 100 news-de articles indexed, an OpenAI-compatible fake whose every call
takes 1 s. We time, per inline query, the fake server's clock from the query's arrival to the
bot's answerInlineQuery (the cards come from the offline answer: no model call); then, choosing
the answer card, from the choice to the model's answer replacing it by inline_message_id.

    python -m bench.run --only inline
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, news_records, pct, settings
from testing.bot_process import BotProcess

LLM_SECONDS = 1.0
NEWS = 100
CHOSEN = 10
REPLY = "Lei Jun, the founder and CEO of Xiaomi, was seen using an iPhone [1]."


def _queries() -> list[str]:
    sample = [json.loads(x)["question"] for x in (ROOT / "bench" / "data" /
                                                   "sample_questions.jsonl").open()]  # fmt: skip
    news = [f"Was ist über „{r['title']}“ bekannt?" for r in news_records(NEWS)[:20]]
    return sample + news


def bench_inline() -> dict[str, Any]:
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index
    from testing.openai_server import FakeOpenAI
    from testing.telegram_server import FakeTelegram, user

    llm = FakeOpenAI().start()
    llm.default["chat"] = {"content": REPLY, "hang_unstreamed": LLM_SECONDS,
                           "pause": LLM_SECONDS / 10, "chunk": 8}  # fmt: skip
    queries = _queries()
    out: dict[str, Any] = {"llm_seconds_per_call": LLM_SECONDS, "news_articles": NEWS}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        news = Path(tmp) / "news.jsonl"
        news.write_text("\n".join(json.dumps(r, ensure_ascii=False)
                                  for r in news_records(NEWS)), encoding="utf-8")  # fmt: skip
        index = Index(settings(data))
        assert ingest(index, [str(news)]).ok
        index.close()
        tg = FakeTelegram().start()
        bot = BotProcess(tg, llm, data, Path(tmp) / "bot.log")
        try:
            bot.wait_ready(tg)
            askers = iter(user(90_000 + i, "en") for i in range(1000))  # one each: rate limits
            for q in queries[:3]:  # warm: the process's first searches
                _ask(tg, next(askers), q)
            answered = [_ask(tg, next(askers), q) for q in queries]
            times = [a["answered_after"] for a in answered]
            out["queries"] = len(queries)
            out["answer_inline_p50_s"] = pct(times, 50, digits=3)
            out["answer_inline_p95_s"] = pct(times, 95, digits=3)
            out["answer_inline_max_s"] = round(max(times), 3)
            out["cards_per_query"] = round(
                sum(len(a["results"]) for a in answered) / len(answered), 1
            )
            replaced, model_time = [], []
            for q in queries[:CHOSEN]:
                asker = next(askers)
                a = _ask(tg, asker, q)
                calls_before = len(llm.requests)
                started = time.monotonic()
                inline_id = tg.choose_inline(
                    asker, str(a["inline_query_id"]), a["results"][0]["id"]
                )
                while not tg.inline_messages[inline_id].edits and time.monotonic() - started < 60:
                    time.sleep(0.01)
                replaced.append(time.monotonic() - started)
                calls = [
                    r
                    for r in llm.requests[calls_before:]
                    if r["path"].endswith("/chat/completions")
                ]
                model_time.append(LLM_SECONDS * len(calls))
                time.sleep(0.2)
            out["chosen"] = CHOSEN
            out["replaced_p50_s"] = pct(replaced, 50, digits=3)
            out["replaced_p95_s"] = pct(replaced, 95, digits=3)
            out["model_calls_per_answer"] = round(sum(model_time) / LLM_SECONDS / CHOSEN, 1)
            out["replaced_minus_model_p95_s"] = pct(
                [r - m for r, m in zip(replaced, model_time, strict=True)], 95, digits=3
            )
        finally:
            bot.stop()
            tg.stop()
    llm.stop()
    print(json.dumps(out, indent=2), flush=True)
    return out


def _ask(tg: Any, asker: dict[str, Any], query: str) -> dict[str, Any]:
    qid = tg.inline_query(asker, query)
    deadline = time.monotonic() + 30
    while (answer := tg.inline_answer(qid)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no inline answer for {query!r}")
        time.sleep(0.005)
    return answer


def render_inline(il: dict[str, Any]) -> list[str]:
    return [
        "## Inline mode (issue 28)",
        "",
        f"Measured {il.get('measured_at', '')} on {il.get('machine', '')}: `footnote run` as a "
        f"process, the sample corpus and {il['news_articles']} news-de articles indexed, "
        f"{il['queries']} inline queries (the sample questions in 7 languages and 20 German "
        "questions about news headlines), one at a time after three to warm up. Time from the "
        "query reaching the fake Telegram server to the bot's answerInlineQuery (target: p95 "
        "< 1 s offline; Telegram drops an answer after about 10 s):",
        "",
        "| p50 s | p95 s | max s | cards per query |",
        "|---:|---:|---:|---:|",
        f"| {il['answer_inline_p50_s']} | {il['answer_inline_p95_s']} | "
        f"{il['answer_inline_max_s']} | {il['cards_per_query']} |",
        "",
        f"With a model whose every call takes {il['llm_seconds_per_call']:g} s: {il['chosen']} "
        "answer cards chosen; from the choice to the model's answer replacing the card (by "
        f"inline_message_id): p50 {il['replaced_p50_s']} s, p95 {il['replaced_p95_s']} s, with "
        f"{il['model_calls_per_answer']} model calls per answer (the question's translation, "
        "then the answer); beyond the model's own time: p95 "
        f"{il['replaced_minus_model_p95_s']} s (target: < 1 s). Rerun: "
        "`python -m bench.run --only inline`.",
        "",
    ]
