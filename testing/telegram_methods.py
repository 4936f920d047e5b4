"""The Bot API methods the fake server implements, with Telegram's rules and error texts."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from .telegram_html import LIMIT, ApiError, parse_html, utf16_len
from .telegram_state import Sent, TelegramState

INLINE_ANSWER_SECONDS = 10.0


class BotApiMethods(TelegramState):
    def _edit_inline(self, inline_id: str, raw: str, visible: str, p: dict[str, Any]) -> Any:
        """An edit of a message a user posted through the bot's inline result: True, as the
        Bot API answers for those."""
        with self._cv:
            sent = self.inline_messages.get(inline_id)
            if sent is None:
                raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
            if raw == sent.raw and p.get("reply_markup") == sent.reply_markup:
                raise ApiError(400, "Bad Request: message is not modified")
            sent.history.append(sent.text)
            sent.text, sent.raw, sent.parse_mode = visible, raw, p.get("parse_mode")
            sent.reply_markup = p.get("reply_markup")
            sent.edits += 1
            sent.final_at = time.monotonic()
            self._cv.notify_all()
        return True

    # --- Bot API methods --------------------------------------------------------------------------
    def api_getMe(self, p: dict[str, Any]) -> Any:
        return self.bot

    def api_getUpdates(self, p: dict[str, Any]) -> Any:
        offset = int(p.get("offset") or 0)
        timeout = float(p.get("timeout") or 0)
        limit = int(p.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._cv:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and time.monotonic() < deadline and self._server is not None:
                self._cv.wait(min(0.5, max(0.0, deadline - time.monotonic())))
            return self.updates[:limit]

    def api_setWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = {"url": p.get("url", ""), "secret_token": p.get("secret_token")}
        return True

    def api_deleteWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    def api_getWebhookInfo(self, p: dict[str, Any]) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    def api_setMyCommands(self, p: dict[str, Any]) -> Any:
        scope = p.get("scope") or {"type": "default"}
        if scope.get("type") == "chat" and int(scope["chat_id"]) not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        self.commands.append(p)
        return True

    def api_sendChatAction(self, p: dict[str, Any]) -> Any:
        return True

    def api_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        return True

    def api_getChat(self, p: dict[str, Any]) -> Any:
        ref = p.get("chat_id")
        cid = (
            self.usernames.get(str(ref).lstrip("@").lower())
            if isinstance(ref, str) and str(ref).startswith("@")
            else int(ref or 0)
        )
        if cid not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        return {**self.chats[cid], "accent_color_id": 0, "max_reaction_count": 11}

    def api_getChatMember(self, p: dict[str, Any]) -> Any:
        chat_id, user_id = int(p["chat_id"]), int(p["user_id"])
        status = self.members.get((chat_id, user_id), "member")
        user = (
            self.bot
            if user_id == self.bot["id"]
            else {"id": user_id, "is_bot": False, "first_name": "U"}
        )
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "administrator":
            member.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True,
                          can_delete_messages=True, can_manage_video_chats=True,
                          can_restrict_members=True, can_promote_members=False,
                          can_change_info=True, can_invite_users=True, can_post_stories=False,
                          can_edit_stories=False, can_delete_stories=False)  # fmt: skip
        if status == "creator":
            member["is_anonymous"] = False
        return member

    def api_getFile(self, p: dict[str, Any]) -> Any:
        fid = p["file_id"]
        # Telegram's folders: documents/, voice/, music/, video_notes/ (where a test put it)
        path = next((f for f in self.files if f.rsplit("/", 1)[-1] == fid), "")
        if not path:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": fid,
            "file_unique_id": f"u{fid}",
            "file_size": len(self.files[path]),
            "file_path": path,
        }

    def _check_text(self, p: dict[str, Any]) -> tuple[str, str]:
        raw = str(p.get("text", ""))
        visible = parse_html(raw) if str(p.get("parse_mode", "")).upper() == "HTML" else raw
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(visible) > LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return raw, visible

    def api_sendMessage(self, p: dict[str, Any]) -> Any:
        raw, visible = self._check_text(p)
        chat_id = int(p["chat_id"])
        if chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        with self._cv:
            mid = next(self._message_ids.setdefault(chat_id, itertools.count(5000)))
            reply = p.get("reply_parameters") or {}
            sent = Sent(chat_id, mid, visible, raw, p.get("parse_mode"), p.get("reply_markup"),
                        reply.get("message_id"), p.get("message_thread_id"))  # fmt: skip
            if sent.parse_mode == "HTML":
                sent.final_at = time.monotonic()
            self.sent[(chat_id, mid)] = sent
            self._cv.notify_all()
        return self._message(sent)

    def api_setMessageReaction(self, p: dict[str, Any]) -> Any:
        key = (int(p["chat_id"]), int(p["message_id"]))
        reaction = p.get("reaction") or []
        if isinstance(reaction, str):
            reaction = json.loads(reaction)
        with self._cv:
            self.reactions.setdefault(key, []).append([r.get("emoji", "") for r in reaction])
            self._cv.notify_all()
        return True

    def api_sendMessageDraft(self, p: dict[str, Any]) -> Any:
        """Bot API 9.5: a partial message streamed to a private chat (drafts with the same id
        are animated in place); refused in any other chat."""
        if not self.drafts_supported:
            raise ApiError(404, "Not Found: method not found")
        _, visible = self._check_text(p)
        chat_id, draft_id = int(p["chat_id"]), int(p.get("draft_id") or 0)
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.get("type") != "private":
            raise ApiError(400, "Bad Request: drafts can be sent only to private chats")
        if not draft_id:
            raise ApiError(400, "Bad Request: draft_id must be non-zero")
        with self._cv:
            self.drafts.setdefault(chat_id, []).append((draft_id, visible))
            self.draft_times.setdefault(chat_id, []).append(time.monotonic())
            self._cv.notify_all()
        return True

    def api_answerInlineQuery(self, p: dict[str, Any]) -> Any:
        """Telegram's rules: at most 50 results with unique ids of at most 64 bytes, each with
        content to post; a query is answerable for about 10 seconds."""
        with self._cv:
            asked = self.inline_queries.get(str(p.get("inline_query_id")))
        if asked is None or time.monotonic() - asked[1] > INLINE_ANSWER_SECONDS:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                "or query ID is invalid")  # fmt: skip
        results = p.get("results") or []
        if isinstance(results, str):
            results = json.loads(results)
        ids = [str(r.get("id", "")) for r in results]
        if len(results) > 50 or len(set(ids)) != len(ids):
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH or duplicate result id")
        for r in results:
            if not r.get("id") or len(str(r["id"]).encode()) > 64:
                raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
            content = r.get("input_message_content") or {}
            self._check_text({"text": content.get("message_text", ""),
                              "parse_mode": content.get("parse_mode")})  # fmt: skip
        with self._cv:
            self.inline_answers.append(
                {**p, "results": results, "answered_after": time.monotonic() - asked[1],
                 "query": asked[0]["query"]}
            )  # fmt: skip
            self._cv.notify_all()
        return True

    def api_editMessageText(self, p: dict[str, Any]) -> Any:
        raw, visible = self._check_text(p)
        if p.get("inline_message_id"):
            return self._edit_inline(str(p["inline_message_id"]), raw, visible, p)
        key = (int(p["chat_id"]), int(p["message_id"]))
        with self._cv:
            sent = self.sent.get(key)
            if sent is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            markup = p.get("reply_markup")
            if (
                raw == sent.raw
                and p.get("parse_mode") == sent.parse_mode
                and markup == sent.reply_markup
            ):
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
                )
            sent.history.append(sent.text)
            sent.text, sent.raw, sent.parse_mode, sent.reply_markup = (
                visible,
                raw,
                p.get("parse_mode"),
                markup,
            )
            sent.edits += 1
            if sent.parse_mode == "HTML" and sent.final_at is None:
                sent.final_at = time.monotonic()
            self._cv.notify_all()
        return self._message(sent)
