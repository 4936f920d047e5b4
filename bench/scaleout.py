"""Bot throughput with 1 and 2 webhook processes that share nothing but a Chroma server and
PostgreSQL (each has its own, empty, data directory: the catalog is in PostgreSQL), behind a
"load balancer" (this script, posting updates round-robin). 200 chats ask 5 questions each, all
at once; the model takes 1 s per answer."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bench.bot import REPLY
from bench.common import pct
from testing.bot_process import webhook_processes

SECRET = "bench-webhook-secret-0123456789"


def _post(url: str, update: dict[str, Any]) -> None:
    req = urllib.request.Request(url, data=json.dumps(update).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "X-Telegram-Bot-Api-Secret-Token": SECRET})  # fmt: skip
    with urllib.request.urlopen(req, timeout=30):
        pass


def bench_scaleout(chats: int = 200, questions: int = 5) -> dict[str, Any]:
    from bot.settings import BotSettings as Settings
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index
    from testing.openai_server import FakeOpenAI
    from testing.services import ChromaServer, Postgres
    from testing.telegram_server import FakeTelegram, user

    root = Path(tempfile.mkdtemp(prefix="footnote-scaleout-"))
    root.chmod(0o755)
    pg = Postgres(root / "pg").start()
    llm = FakeOpenAI().start()
    llm.default["chat"] = {"content": REPLY, "hang": 1.0}
    out: dict[str, Any] = {"chats": chats, "questions_per_chat": questions,
                           "llm_seconds_per_answer": 1.0, "data_dirs": "one per process, empty"}  # fmt: skip
    corpus = str(Path(__file__).resolve().parent.parent / "corpus")
    try:
        with ChromaServer() as chroma_port:
            for n_proc in (1, 2):
                tg = FakeTelegram().start()
                db = pg.create_database(f"so{n_proc}{uuid.uuid4().hex[:6]}")
                collection = f"so{uuid.uuid4().hex[:8]}"
                s = Settings.from_env(environ={}, dotenv_path=None, data_dir=root / f"ingest-{n_proc}",
                                      chroma_host="127.0.0.1", chroma_port=chroma_port,
                                      collection=collection, embed_workers=1, database_url=db)  # fmt: skip
                index = Index(s)
                ingest(index, [corpus])
                index.close()
                try:
                    with webhook_processes(
                        tg, llm, root, f"so-{n_proc}", n_proc, SECRET, DATABASE_URL=db,
                        CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(chroma_port),
                        FOOTNOTE_COLLECTION=collection, FOOTNOTE_USER_RATE="1000",
                    ) as urls:  # fmt: skip
                        users = [user(200_000 + i, "en") for i in range(chats)]
                        asks = ["Which phone does the Xiaomi CEO use?", "Who is Lei Jun?",
                                "Why did Xiaomi change its communication?", "What did Lei Jun post?",
                                "Wer ist Lei Jun?"][:questions]  # fmt: skip
                        updates = [
                            tg.update_dict(message=tg.message(tg.private_chat(u), u, q))
                            for q in asks
                            for u in users
                        ]

                        def finals(u: dict[str, Any], tg: Any = tg) -> list[float]:
                            return [m.final_at for m in tg.messages_to(u["id"]) if m.final_at]

                        t0 = time.monotonic()
                        threads = [
                            threading.Thread(target=_post, args=(urls[i % n_proc], up))
                            for i, up in enumerate(updates)
                        ]
                        for th in threads:
                            th.start()
                        for th in threads:
                            th.join()
                        while time.monotonic() < t0 + 900:
                            if all(len(finals(u)) >= len(asks) for u in users):
                                break
                            time.sleep(0.2)
                        done = sorted(t - t0 for u in users for t in finals(u))
                        out[f"{n_proc}_process"] = {
                            "answered": len(done),
                            "asked": len(updates),
                            "answers_per_second": round(len(done) / max(done), 2) if done else 0,
                            "complete_p50_s": pct(done, 50, digits=3),
                            "complete_p95_s": pct(done, 95, digits=3),
                            "answered_twice": sum(
                                1 for u in users if len(tg.messages_to(u["id"])) > len(asks)
                            ),
                            # What bounds it: every process's limiter allows 30 Bot API calls a
                            # second (TELEGRAM_OVERALL_RATE), and an answer makes several.
                            "bot_api_calls": dict(
                                Counter(m for m, _ in tg.calls if m not in ("getMe", "setWebhook"))
                            ),
                        }
                        print(n_proc, out[f"{n_proc}_process"], flush=True)
                finally:
                    tg.stop()
    finally:
        llm.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
    return out


def render_scaleout(so: dict[str, Any]) -> list[str]:
    out: list[str] = []
    out += [
        "## One and two bot processes",
        "",
        f"Measured {so.get('measured_at')} (`python -m bench.run --only scaleout`): webhook mode, a Chroma "
        f"server and PostgreSQL (both on this machine), {so['chats']} chats asking "
        f"{so.get('questions_per_chat', 1)} question(s) each at once, posted round-robin to the "
        "processes; model 1 s per answer. Data directories: "
        f"{so.get('data_dirs', 'one, shared by the processes')}.",
        "",
        "| processes | answered | answers/s | complete p50 / p95 s | chats answered twice |",
        "|---|---|---|---|---|",
        *(
            f"| {n} | {so[f'{n}_process']['answered']} of {so[f'{n}_process'].get('asked', so['chats'])} | {so[f'{n}_process']['answers_per_second']} | "
            f"{so[f'{n}_process']['complete_p50_s']} / {so[f'{n}_process']['complete_p95_s']} | {so[f'{n}_process']['answered_twice']} |"
            for n in (1, 2)
            if f"{n}_process" in so
        ),
        "",
    ]
    if so.get("questions_per_chat", 1) > 1:
        out += [
            "Each chat's questions are answered one after another, and every question is a new "
            "one to search. The processes share the 2 cores with PostgreSQL, the Chroma server "
            "and the fakes. One process is bound by about one core (Python), so a second one "
            "nearly doubles the rate.",
            "",
        ]
    return out
