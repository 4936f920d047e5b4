"""Commands: everyone's, owners', group admins'; refusals change nothing."""

from __future__ import annotations

from pathlib import Path

from retrieval.answer.answerer import Answerer
from retrieval.index.ingest import ingest
from retrieval.index.inventory import sources
from testing.telegram_server import FakeTelegram, user
from tests.bot.conftest import OWNER, OWNER_USER, bot_settings, command, running, settle, until

RU = user(701, "ru", "Ivan")
GROUP = {"id": -100555, "type": "supergroup", "title": "Readers"}


async def test_start_help_in_the_users_language_and_commands_registered(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.private_chat(RU)
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg):
        tg.send_text(chat, RU, "/start", entities=command("/start"))
        await until(lambda: tg.messages_to(RU["id"]))
    [msg] = tg.messages_to(RU["id"])
    assert "Привет" in msg.text and "@footnote_test_bot" in msg.text
    scopes = {(c.get("scope") or {}).get("type", "default"): c for c in tg.commands}
    assert {c["command"] for c in scopes["default"]["commands"]} == {
        "start",
        "help",
        "ask",
        "sources",
        "settings",
        "digest",
        "subscribe",
        "check",
        "follow",
    }
    owner_cmds = {c["command"] for c in scopes["chat"]["commands"]}
    assert {"stats", "ingest", "forget", "reindex", "source", "allow", "deny", "feed",
            "feeds"} <= owner_cmds  # fmt: skip
    assert {
        c.get("language_code")
        for c in tg.commands
        if (c.get("scope") or {}).get("type") == "default"
    } >= {"de", "ru"}


async def test_sources_are_paged_with_buttons(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer, monkeypatch
) -> None:
    monkeypatch.setattr("bot.handlers.SOURCES_PAGE", 1)
    chat = tg.private_chat(RU)
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg):
        tg.send_text(chat, RU, "/sources", entities=command("/sources"))
        await until(lambda: tg.messages_to(RU["id"]))
        [page] = tg.messages_to(RU["id"])
        assert page.text.startswith("Статьи 1–1 из 2")
        [[button]] = page.reply_markup["inline_keyboard"]
        assert button["callback_data"] == "src:1"
        tg.push(
            callback_query={
                "id": "s1",
                "from": RU,
                "chat_instance": "x",
                "data": "src:1",
                "message": tg.bot_message(page),
            }
        )
        await until(lambda: page.edits)
    assert page.text.startswith("Статьи 2–2 из 2")
    assert [b["callback_data"] for b in page.reply_markup["inline_keyboard"][0]] == ["src:0"]
    assert "<code>" not in page.raw  # article ids are for owners


async def test_owner_commands_refused_for_others_and_nothing_changes(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.private_chat(RU)
    before = len(sources(offline_answerer.index))
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        article = sources(offline_answerer.index)[0]["article_id"]
        for text in [
            "/stats",
            f"/forget {article}",
            "/reindex",
            "/allow 1",
            "/deny 701",
            "/source @news",
            "/ingest https://example.com/a",
        ]:
            tg.send_text(chat, RU, text, entities=command(text))
        await until(lambda: len(tg.messages_to(RU["id"])) >= 7)
        assert (
            bot.svc.state.chats.access("allow") == [] and bot.svc.state.chats.access("deny") == []
        )
    msgs = tg.messages_to(RU["id"])
    assert len(msgs) == 7 and all(
        m.text == "Эта команда доступна только владельцам бота." for m in msgs
    )
    assert len(sources(offline_answerer.index)) == before


async def test_stats_for_owners(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    ann = user(702, "en")
    chat = tg.private_chat(ann)
    owner_chat = tg.chats[OWNER]
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        tg.send_text(chat, ann, "Which phone does the Xiaomi CEO use?")
        await bot.answered(1)
        [answer] = tg.messages_to(ann["id"])
        tg.push(
            callback_query={
                "id": "cb1",
                "from": ann,
                "chat_instance": "x",
                "data": "fb:1",
                "message": tg.bot_message(answer),
            }
        )
        await until(lambda: tg.calls_of("answerCallbackQuery"))
        tg.send_text(owner_chat, OWNER_USER, "/stats", entities=command("/stats"))
        await until(lambda: tg.messages_to(OWNER))
    text = tg.messages_to(OWNER)[0].text
    assert "Articles: 2" in text and "Questions answered: 1" in text
    assert "offline 100%" in text and "Helpful 100% of 1 ratings" in text
    assert tg.calls_of("answerCallbackQuery")[0]["text"] == "Thanks for the feedback!"


async def test_allowlist_and_denylist(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    a, b = user(801, "en"), user(802, "en")
    ca, cb = tg.private_chat(a), tg.private_chat(b)
    owner_chat = tg.chats[OWNER]
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        tg.send_text(owner_chat, OWNER_USER, "/deny 802", entities=command("/deny"))
        await until(lambda: tg.messages_to(OWNER))
        tg.send_text(cb, b, "Which phone does the Xiaomi CEO use?")  # denied: ignored silently
        tg.send_text(ca, a, "Which phone does the Xiaomi CEO use?")
        await bot.answered(1)
        tg.send_text(
            owner_chat, OWNER_USER, "/allow 999", entities=command("/allow")
        )  # allowlist mode
        await until(lambda: len(tg.messages_to(OWNER)) >= 2)
        tg.send_text(ca, a, "What did Lei Jun post?")  # not allowed any more
        await settle(bot)  # handled before the next /allow (updates run concurrently)
        tg.send_text(owner_chat, OWNER_USER, "/allow 801", entities=command("/allow"))
        await until(lambda: len(tg.messages_to(OWNER)) >= 3)
        tg.send_text(ca, a, "Which phone does the Xiaomi CEO use?")
        await bot.answered(2)
        await settle(bot)
    assert tg.messages_to(b["id"]) == []
    assert len(tg.messages_to(a["id"])) == 2
    assert "Allowed: 801, 999" in tg.messages_to(OWNER)[-1].text
    assert "Denied: 802" in tg.messages_to(OWNER)[-1].text


async def test_group_settings_only_for_group_admins(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.add_chat(dict(GROUP))
    admin, member = user(901, "de", "Admin"), user(902, "en", "Member")
    tg.members[(GROUP["id"], admin["id"])] = "administrator"
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        tg.send_text(chat, member, "/settings", entities=command("/settings"))
        await until(lambda: tg.messages_to(GROUP["id"]))
        assert (
            tg.messages_to(GROUP["id"])[0].text
            == "Only this group's admins can change my settings here."
        )
        tg.send_text(chat, admin, "/settings", entities=command("/settings"))
        await until(lambda: len(tg.messages_to(GROUP["id"])) >= 2)
        panel = tg.messages_to(GROUP["id"])[1]
        assert "Einstellungen" in panel.text
        data = [b["callback_data"] for row in panel.reply_markup["inline_keyboard"] for b in row]
        assert {"set:mode:all", "set:length:short", "set:language:de", "set:language:"} <= set(data)
        # A member pressing a button is refused; the admin's press changes the setting.
        tg.push(
            callback_query={
                "id": "c1",
                "from": member,
                "chat_instance": "x",
                "data": "set:mode:all",
                "message": tg.bot_message(panel),
            }
        )
        await until(lambda: tg.calls_of("answerCallbackQuery"))
        assert bot.svc.state.chats.chat_settings(GROUP["id"]).mode == "mention"
        tg.push(
            callback_query={
                "id": "c2",
                "from": admin,
                "chat_instance": "x",
                "data": "set:mode:all",
                "message": tg.bot_message(panel),
            }
        )
        tg.push(
            callback_query={
                "id": "c3",
                "from": admin,
                "chat_instance": "x",
                "data": "set:language:fr",
                "message": tg.bot_message(panel),
            }
        )
        # Updates run concurrently: either press may be handled first, and both must hold.
        await until(lambda: bot.svc.state.chats.chat_settings(GROUP["id"]).language == "fr")
        await until(lambda: bot.svc.state.chats.chat_settings(GROUP["id"]).mode == "all")
        # Now every question is answered, in French.
        tg.send_text(chat, member, "Which phone does the Xiaomi CEO use?")
        await bot.answered(1)
    answer = tg.messages_to(GROUP["id"])[-1]
    assert "Aucun modèle de langue" in answer.text
    status_calls = [c for c in tg.calls_of("getChatMember") if c["user_id"] == admin["id"]]
    assert len(status_calls) == 1  # cached briefly


async def test_a_burst_of_presses_leaves_the_panel_showing_the_stored_settings(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    """Presses are handled concurrently; the panel must not end on a view older than the last
    write (each press's edit raced the others' and could land after a newer one)."""
    from bot.commands.group_settings import settings_view

    chat = tg.add_chat(dict(GROUP))
    admin = user(901, "de", "Admin")
    tg.members[(GROUP["id"], admin["id"])] = "administrator"
    presses = [
        "set:mode:all", "set:language:fr", "set:length:short", "set:mode:mention",
        "set:language:", "set:length:long", "set:mode:all", "set:language:ru",
        "set:length:normal", "set:mode:mention", "set:language:es", "set:length:short",
    ]  # fmt: skip
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        tg.send_text(chat, admin, "/settings", entities=command("/settings"))
        panel = await until(lambda: tg.messages_to(GROUP["id"]))
        panel = panel[0]
        for i, data in enumerate(presses):
            tg.push(
                callback_query={
                    "id": f"b{i}",
                    "from": admin,
                    "chat_instance": "x",
                    "data": data,
                    "message": tg.bot_message(panel),
                }
            )
        await until(lambda: len(tg.calls_of("answerCallbackQuery")) == len(presses))

        def shown_is_stored() -> bool:
            stored = bot.svc.state.chats.chat_settings(GROUP["id"])
            return tg.messages_to(GROUP["id"])[0].text == settings_view(stored, "de")[0]

        await until(shown_is_stored, timeout=10)
        await settle(bot, quiet=0.5)
        assert shown_is_stored()


async def test_owner_forgets_an_article_and_state_survives_a_restart(
    tmp_path: Path, tg: FakeTelegram, index, offline_answerer: Answerer
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import CORPUS

    assert ingest(index, [str(CORPUS)]).ok
    writable = Answerer(index, None)
    target = sources(index)[0]["article_id"]
    group = tg.add_chat(dict(GROUP))
    settings = bot_settings(tmp_path, tg)
    owner_chat = tg.chats[OWNER]
    async with running(settings, writable, tg) as bot:
        tg.send_text(owner_chat, OWNER_USER, f"/forget {target}", entities=command("/forget"))
        tg.send_text(owner_chat, OWNER_USER, "/forget nope", entities=command("/forget"))
        await until(lambda: len(tg.messages_to(OWNER)) >= 2)
        bot.svc.state.chats.set_chat_setting(group["id"], "length", "short")
        bot.svc.state.chats.set_access("deny", [12345])
    assert sorted(m.text for m in tg.messages_to(OWNER)) == sorted(
        [f"Forgot {target}.", "No article nope."]
    )
    assert [s["article_id"] for s in sources(index)] != [] and target not in {
        s["article_id"] for s in sources(index)
    }
    async with running(settings, writable, tg) as bot:  # a restart: same data directory
        assert bot.svc.state.chats.chat_settings(group["id"]).length == "short"
        assert bot.svc.state.chats.access("deny") == [12345]


async def test_edited_questions_are_not_answered_again(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.private_chat(RU)
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        msg = tg.send_text(chat, RU, "Какой телефон использует глава Xiaomi?")
        await bot.answered(1)
        tg.push(edited_message=dict(msg, text="Какой телефон использует CEO Xiaomi?", edit_date=1))
        tg.send_text(chat, RU, "/help", entities=command("/help"))
        await until(lambda: len(tg.messages_to(RU["id"])) >= 2)
    msgs = tg.messages_to(RU["id"])
    assert len(msgs) == 2 and msgs[1].text.startswith("Спрашивайте на любом языке")
    assert msgs[0].text.startswith("Языковая модель недоступна")


async def test_forged_and_malformed_button_presses_change_nothing(
    tmp_path: Path, tg: FakeTelegram, offline_answerer: Answerer
) -> None:
    chat = tg.add_chat(dict(GROUP))
    admin = user(903, "en", "Admin")
    tg.members[(GROUP["id"], admin["id"])] = "administrator"
    async with running(bot_settings(tmp_path, tg), offline_answerer, tg) as bot:
        tg.send_text(chat, admin, "/ask Which phone does the Xiaomi CEO use?",
                     entities=command("/ask"))  # fmt: skip
        await bot.answered(1)
        await settle(bot)
        [answer] = tg.messages_to(GROUP["id"])
        before = answer.raw
        # A modified client sends `src:0` from the answer's message: it must stay the answer.
        tg.push(callback_query={"id": "f1", "from": admin, "chat_instance": "x",
                                "data": "src:0", "message": tg.bot_message(answer)})  # fmt: skip
        # An admin's client sends a `set:` the bot never made.
        tg.push(callback_query={"id": "f2", "from": admin, "chat_instance": "x",
                                "data": "set:mode", "message": tg.bot_message(answer)})  # fmt: skip
        await until(lambda: len(tg.calls_of("answerCallbackQuery")) >= 2)
        await settle(bot)
    assert answer.raw == before and answer.edits == 0
    assert len(tg.messages_to(GROUP["id"])) == 1
    assert not [m for m in tg.messages_to(OWNER) if "error" in m.text.lower()], "no owner notice"
