"""Inline mode through the real Application: `@bot question` in any chat gets result cards (the
cited answer, then the cited articles) within Telegram's budget; a short query a hint; a denied
user nothing; with a model, the chosen answer card is replaced by the model's answer by its
inline_message_id; and only the asker's own shelves are searched."""

from __future__ import annotations

from pathlib import Path

from retrieval.answer.answerer import Answerer, Gate
from retrieval.index.ingest import ingest
from retrieval.index.parts import Index
from testing.openai_server import FakeOpenAI
from testing.telegram_server import FakeTelegram, user
from tests.bot.conftest import OWNER, OWNER_USER, bot_settings, command, running, until

ANN, DENIED = user(1701, "de", "Ann"), user(1702, "en", "Dan")
QUESTION = "Which phone does the Xiaomi CEO use?"
MODEL = "Lei Jun, Xiaomi's CEO, was seen using an iPhone [1]."


async def test_an_inline_question_gets_the_cited_answer_and_its_articles(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg):
        qid = tg.inline_query(ANN, QUESTION)
        answer = await until(lambda: tg.inline_answer(qid))
        short = tg.inline_query(ANN, "x")
        hint = await until(lambda: tg.inline_answer(short))
        tg.send_text(
            tg.chats[OWNER], OWNER_USER, f"/deny {DENIED['id']}", entities=command("/deny")
        )
        await until(lambda: tg.messages_to(OWNER))
        denied = tg.inline_query(DENIED, QUESTION)
        refused = await until(lambda: tg.inline_answer(denied))
    assert answer["is_personal"] is True and answer["cache_time"] == 30
    first, *articles = answer["results"]
    assert first["id"].startswith("ans:") and first["title"] == "Antwort mit Quellen"
    posted = first["input_message_content"]["message_text"]
    assert QUESTION in posted and "iPhone" in posted and "[1]" in posted
    assert "reply_markup" not in first, "offline, the card is final: no placeholder to replace"
    assert articles and articles[0]["title"].startswith("[1] ")
    assert all(a["id"].startswith("art:") for a in articles)
    assert answer["answered_after"] < 5.0, "well within the ten seconds a query lives"
    assert (
        hint["results"] == []
        and hint["button"]["text"] == "Stellen Sie eine Frage zu den Nachrichten"
    )
    assert refused["results"] == [] and not refused.get("button"), "a denied user gets nothing"


async def test_with_a_model_the_chosen_card_is_replaced_by_the_models_answer(
    tmp_path: Path, tg: FakeTelegram, llm_answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    fake_openai.queue("chat", content=MODEL)
    async with running(bot_settings(tmp_path, tg), llm_answerer, tg):
        qid = tg.inline_query(ANN, QUESTION)
        answer = await until(lambda: tg.inline_answer(qid))
        assert not fake_openai.chats(), "the cards come without waiting for the model"
        card = answer["results"][0]
        assert card["reply_markup"], "a button, so that Telegram reports where the card went"
        inline_id = tg.choose_inline(ANN, qid, card["id"])
        placeholder = tg.inline_messages[inline_id].text
        assert "Eine ausführlichere Antwort folgt" in placeholder
        await until(lambda: tg.inline_messages[inline_id].edits)
    replaced = tg.inline_messages[inline_id]
    assert "was seen using an iPhone" in replaced.text and QUESTION in replaced.text
    assert "ausführlichere" not in replaced.text


async def test_an_inline_answer_searches_the_askers_own_shelves(
    tmp_path: Path, tg: FakeTelegram, index: Index
) -> None:
    memo = tmp_path / "memo.md"
    memo.write_text("# Bridge memo\n\nThe contractor Kestrel Works closes the Harbourview "
                    "bridge for eleven days in March.\n", encoding="utf-8")  # fmt: skip
    council = tmp_path / "council.md"
    council.write_text("# Council\n\nThe council grows the parks budget by four percent.\n")
    assert ingest(index, [str(council)]).ok and ingest(index, [str(memo)], shelf="memos").ok
    answerer = Answerer(index, None, gate=Gate(-10.0, 0.0, off_topic_score=-10.0))
    insider = user(1703, "en", "Ivy")
    tg.private_chat(insider)
    ask = "Who is the contractor of the Harbourview bridge?"
    async with running(bot_settings(tmp_path, tg), answerer, tg):
        first = tg.inline_query(ANN, ask)
        outsider = await until(lambda: tg.inline_answer(first))
        cmd = f"/shelf {insider['id']} add memos"
        tg.send_text(tg.chats[OWNER], OWNER_USER, cmd, entities=command(cmd))
        await until(lambda: tg.messages_to(OWNER))
        second = tg.inline_query(insider, ask)
        bound = await until(lambda: tg.inline_answer(second))
    assert "Kestrel" not in str(outsider["results"])
    assert "Kestrel" in bound["results"][0]["input_message_content"]["message_text"]
