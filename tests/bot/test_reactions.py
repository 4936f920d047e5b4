"""Reactions: 👍/👎 on an answer count as feedback like the buttons; a second question from the
same asker waits for the first answer and is marked 👀 until its own answer is out."""

from __future__ import annotations

from pathlib import Path

from retrieval.answer.answerer import Answerer
from testing.openai_server import FakeOpenAI
from testing.telegram_server import FakeTelegram, user
from tests.bot.conftest import bot_settings, running, until

BEA = user(1501, "en", "Bea")


def reaction(chat: dict, who: dict, message_id: int, emoji: str) -> dict:  # type: ignore[type-arg]
    return {"chat": chat, "message_id": message_id, "user": who, "date": 0,
            "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": emoji}]}  # fmt: skip


async def test_thumbs_on_an_answer_count_as_feedback(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.private_chat(BEA)
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        tg.send_text(chat, BEA, "Which phone does the Xiaomi CEO use?")
        await bot.answered(1)
        answer = tg.messages_to(BEA["id"])[0]
        tg.push(message_reaction=reaction(chat, BEA, answer.message_id, "👎"))
        await until(lambda: bot.svc.state.log.stats()["feedback"] == 1)
        assert bot.svc.state.log.stats()["helpful_ratio"] == 0.0
        tg.push(message_reaction=reaction(chat, BEA, answer.message_id, "👍"))  # changed mind
        await until(lambda: bot.svc.state.log.stats()["helpful_ratio"] == 1.0)
        tg.push(message_reaction=reaction(chat, BEA, 1, "👍"))  # not one of our answers
        tg.push(message_reaction=reaction(chat, BEA, answer.message_id, "🤔"))  # no vote
        await until(lambda: not tg.updates)
        stats = bot.svc.state.log.stats()
        scraped = bot.svc.metrics.feedback.labels("up", "reaction")._value.get()
    assert stats["feedback"] == 1 and stats["helpful_ratio"] == 1.0
    assert scraped == 1.0


async def test_a_second_question_waits_and_is_marked_seen(
    tmp_path: Path, tg: FakeTelegram, llm_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    slow = "Lei Jun, Xiaomi's CEO, was seen using an iPhone on social networks [1]. " * 4
    fake_openai.default["chat"] = {"content": slow, "chunk": 8, "pause": 0.1}
    chat = tg.private_chat(BEA)
    async with running(bot_settings(tmp_path, tg), llm_answerer, tg) as bot:
        tg.send_text(chat, BEA, "Which phone does the Xiaomi CEO use?")
        await until(lambda: tg.calls_of("sendChatAction"))
        tg.send_text(chat, BEA, "And which phone did Lei Jun use?")
        await bot.answered(2)
        await until(lambda: any(r == [] for rs in tg.reactions.values() for r in rs))
    marked = {key: seq for key, seq in tg.reactions.items() if key[0] == BEA["id"]}
    assert len(marked) == 1 and next(iter(marked.values())) == [["👀"], []]
    answers = tg.messages_to(BEA["id"])
    assert len(answers) == 2 and all("iPhone" in a.text for a in answers)


async def test_under_load_a_waiting_question_costs_no_reactions(
    tmp_path: Path, tg: FakeTelegram, llm_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    """With FOOTNOTE_STREAM_BELOW answers in progress every Bot API request counts: the 👀 and
    its removal would cost two requests more than the answer itself."""
    slow = "Lei Jun, Xiaomi's CEO, was seen using an iPhone on social networks [1]. " * 4
    fake_openai.default["chat"] = {"content": slow, "hang": 0.6}
    chat = tg.private_chat(BEA)
    async with running(bot_settings(tmp_path, tg, stream_below=1), llm_answerer, tg) as bot:
        tg.send_text(chat, BEA, "Which phone does the Xiaomi CEO use?")
        await until(lambda: len(fake_openai.requests) >= 1)
        tg.send_text(chat, BEA, "And which phone did Lei Jun use?")
        await bot.answered(2)
    assert not tg.calls_of("setMessageReaction")
    answers = tg.messages_to(BEA["id"])
    assert len(answers) == 2 and all("iPhone" in a.text for a in answers)


async def test_a_vote_flipped_fast_ends_as_the_user_left_it(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    """👍👎👍👎👍👎 handled concurrently: the last one counts, whatever order they finish in."""
    import asyncio

    chat = tg.private_chat(BEA)
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        tg.send_text(chat, BEA, "Which phone does the Xiaomi CEO use?")
        await bot.answered(1)
        answer = tg.messages_to(BEA["id"])[0]
        for last in ("👎", "👍", "👎"):
            first = "👍" if last == "👎" else "👎"
            for emoji in [first, last] * 5:
                tg.push(message_reaction=reaction(chat, BEA, answer.message_id, emoji))
            await until(lambda: not tg.updates)
            await asyncio.sleep(0.5)  # the last of them handled
            want = 1.0 if last == "👍" else 0.0
            await until(lambda want=want: bot.svc.state.log.stats()["helpful_ratio"] == want)
            await asyncio.sleep(0.5)
            assert bot.svc.state.log.stats()["helpful_ratio"] == want, "no late vote overwrote it"
