"""Groups: the bot speaks only when addressed (entities, replies, /ask), in the asker's topic."""

from __future__ import annotations

from pathlib import Path

from retrieval.answer.answerer import Answerer
from testing.telegram_server import FakeTelegram, mention, user
from tests.bot.conftest import OWNER, OWNER_USER, bot_settings, running, settle, until
from tests.bot.test_commands import command

BEN = user(601, "en", "Ben")
GROUP = {"id": -100777, "type": "supergroup", "title": "Newsroom", "is_forum": True}
QUESTION = "Which phone does the Xiaomi CEO use?"


async def test_only_addressed_messages_are_answered(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.add_chat(dict(GROUP))
    name = tg.bot["username"]
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        # Not addressed: a question, the bot's name as plain text, inside a URL, another bot.
        tg.send_text(chat, BEN, QUESTION)
        tg.send_text(chat, BEN, f"is footnote_test_bot any good? see https://x.org/@{name}")
        tg.send_text(
            chat,
            BEN,
            f"{QUESTION} @other_bot",
            entities=mention(f"{QUESTION} @other_bot", "other_bot"),
        )
        tg.send_text(
            chat,
            BEN,
            f"/ask@other_bot {QUESTION}",
            entities=[{"type": "bot_command", "offset": 0, "length": 14}],
        )
        # Addressed: a mention entity, a text mention of the bot's user, /ask@botname in a topic.
        text = f"@{name} {QUESTION}"
        m1 = tg.send_text(chat, BEN, text, entities=mention(text, name))
        m2 = tg.send_text(
            chat,
            BEN,
            f"Footnote, {QUESTION}",
            entities=[{"type": "text_mention", "offset": 0, "length": 8, "user": tg.bot}],
        )
        cmd = f"/ask@{name}"
        m3 = tg.send_text(
            chat,
            BEN,
            f"{cmd} {QUESTION}",
            entities=[{"type": "bot_command", "offset": 0, "length": len(cmd)}],
            thread_id=77,
        )
        await bot.answered(3)
        await settle(bot)
    replies = {s.reply_to: s for s in tg.messages_to(GROUP["id"])}
    assert set(replies) == {m1["message_id"], m2["message_id"], m3["message_id"]}
    assert replies[m3["message_id"]].thread_id == 77  # stays in its forum topic
    assert replies[m1["message_id"]].thread_id is None
    assert all("iPhone" in s.text for s in replies.values())


async def test_reply_to_an_answer_is_a_follow_up(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.add_chat(dict(GROUP))
    name = tg.bot["username"]
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        text = f"@{name} {QUESTION}"
        tg.send_text(chat, BEN, text, entities=mention(text, name))
        await bot.answered(1)
        [answer] = tg.messages_to(GROUP["id"])
        tg.send_text(chat, BEN, "and why?", reply_to=tg.bot_message(answer))
        await bot.answered(2)
        # A reply to someone else's message is not for the bot.
        other = tg.message(chat, user(602), "I think it is an iPhone")
        tg.send_text(chat, BEN, "really? why?", reply_to=other)
        await settle(bot)
    answers = tg.messages_to(GROUP["id"])
    assert len(answers) == 2
    # The follow-up was searched together with the question it replied to.
    follow_up = bot.svc.state.log.turn(2)
    assert follow_up is not None and QUESTION in follow_up[0] and "why" in follow_up[0]


async def test_channel_post_mirrored_into_the_discussion_group_is_ignored(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.add_chat(dict(GROUP))
    channel = {"id": -100888, "type": "channel", "title": "News"}
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        bot.svc.state.chats.set_chat_setting(chat["id"], "mode", "all")
        tg.send_text(
            chat,
            None,
            "What does the Xiaomi CEO use, an iPhone?",
            sender_chat=channel,
            is_automatic_forward=True,
        )
        tg.send_text(chat, BEN, "What phone does the Xiaomi CEO use?")
        tg.send_text(chat, BEN, "nice weather today")
        await bot.answered(1)
        await settle(bot)
    [only] = tg.messages_to(GROUP["id"])
    assert "iPhone" in only.text and only.reply_to is not None


async def test_a_message_sent_as_a_denied_channel_is_not_answered(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.add_chat(dict(GROUP))
    channel = {"id": -100555, "type": "channel", "title": "Spam channel"}
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        bot.svc.state.chats.set_chat_setting(chat["id"], "mode", "all")
        tg.send_text(tg.chats[OWNER], OWNER_USER, "/deny -100555", entities=command("/deny"))
        await until(lambda: tg.messages_to(OWNER))
        tg.send_text(chat, BEN, "Which phone does the Xiaomi CEO use, says the channel?",
                     sender_chat=channel)  # fmt: skip
        asked = tg.send_text(chat, BEN, "What phone does the Xiaomi CEO use?")
        await bot.answered(1)
        await settle(bot)
    [only] = tg.messages_to(GROUP["id"])
    assert only.reply_to == asked["message_id"]
