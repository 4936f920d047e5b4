"""Building updates: what users do (write in a chat, press a button), pushed to the fake server."""

from __future__ import annotations

import time
from typing import Any

from .telegram_html import utf16_len
from .telegram_state import Sent, TelegramState


class UserActions(TelegramState):
    # --- building updates (what users do) ----------------------------------------------------------
    def add_chat(self, chat: dict[str, Any]) -> dict[str, Any]:
        self.chats[chat["id"]] = chat
        if chat.get("username"):
            self.usernames[chat["username"].lower()] = chat["id"]
        return chat

    def inline_query(self, user: dict[str, Any], query: str) -> str:
        """`@bot query` typed in some chat: the inline query's id."""
        qid = str(next(self._ids) + 900_000)
        update = {"id": qid, "from": user, "query": query, "offset": "", "chat_type": "sender"}
        with self._cv:
            self.inline_queries[qid] = (update, time.monotonic())
        self.push(inline_query=update)
        return qid

    def inline_answer(self, qid: str) -> dict[str, Any] | None:
        """The bot's answerInlineQuery for the query `qid`, once it came."""
        with self._cv:
            return next((a for a in self.inline_answers if str(a["inline_query_id"]) == qid), None)

    def choose_inline(self, user: dict[str, Any], qid: str, result_id: str) -> str:
        """The user picks a result: it is posted (in a chat the bot does not see), and the bot
        gets a chosen_inline_result with an inline_message_id when the result has a keyboard
        (with inline feedback enabled at @BotFather). Returns that id ("" without a keyboard)."""
        answer = self.inline_answer(qid)
        assert answer is not None, "choose a result of a query the bot answered"
        result = next(r for r in answer["results"] if str(r["id"]) == result_id)
        content = result["input_message_content"]
        inline_id = ""
        chosen: dict[str, Any] = {"result_id": result_id, "from": user,
                                  "query": answer["query"]}  # fmt: skip
        if result.get("reply_markup"):
            inline_id = f"inl{next(self._ids)}"
            from .telegram_html import parse_html

            raw = content["message_text"]
            visible = parse_html(raw) if str(content.get("parse_mode")).upper() == "HTML" else raw
            with self._cv:
                self.inline_messages[inline_id] = Sent(
                    0, 0, visible, raw, content.get("parse_mode"), result.get("reply_markup")
                )
            chosen["inline_message_id"] = inline_id
        self.push(chosen_inline_result=chosen)
        return inline_id

    def private_chat(self, user: dict[str, Any]) -> dict[str, Any]:
        return self.add_chat(
            {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        )

    def push(self, **update: Any) -> int:
        with self._cv:
            uid = next(self._ids)
            self.updates.append({"update_id": uid, **update})
            self._cv.notify_all()
        return uid

    def update_dict(self, **update: Any) -> dict[str, Any]:
        return {"update_id": next(self._ids), **update}

    def message(self, chat: dict[str, Any], user: dict[str, Any] | None, text: str, *,
                entities: list[dict[str, Any]] | None = None, reply_to: dict[str, Any] | None = None,
                thread_id: int | None = None, **extra: Any) -> dict[str, Any]:  # fmt: skip
        msg: dict[str, Any] = {
            "message_id": next(self._user_message_ids),
            "date": int(time.time()),
            "chat": chat,
        }
        if user is not None:
            msg["from"] = user
        if text:
            msg["text"] = text
        if entities:
            msg["entities"] = entities
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        msg.update(extra)
        return msg

    def bot_message(self, sent: Sent) -> dict[str, Any]:
        """One of the bot's messages as it appears inside an update (reply_to_message, callback)."""
        return self._message(sent)

    def send_text(
        self, chat: dict[str, Any], user: dict[str, Any] | None, text: str, **kw: Any
    ) -> dict[str, Any]:
        msg = self.message(chat, user, text, **kw)
        self.push(message=msg)
        return msg


def user(uid: int, lang: str = "en", name: str = "Ann") -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": name, "language_code": lang}


def mention(text: str, username: str) -> list[dict[str, Any]]:
    """A mention entity for `@username` inside `text` (offsets in UTF-16 units, as Telegram counts)."""
    at = text.index("@" + username)
    return [{"type": "mention", "offset": utf16_len(text[:at]), "length": utf16_len(username) + 1}]
