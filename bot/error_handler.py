"""The one error handler: the traceback to the log, a short apology to the user, a notice to the
owners (at most one every few minutes). Nothing here may raise."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.constants import ChatType

from bot.i18n import t
from bot.redact import redact
from bot.services import Services
from bot.tg import Context, ui_lang
from retrieval.api import IndexBusyError, StoreUnavailableError

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Registered with `Application.add_error_handler`."""
    svc: Services | None = context.bot_data.get("services")
    token = svc.settings.telegram_bot_token.get_secret_value() if svc else ""
    err = context.error
    tb = "".join(traceback.format_exception(type(err), err, err.__traceback__)) if err else ""
    log.error("error while handling an update: %s", redact(tb, token))
    if svc is not None:
        svc.metrics.errors.labels(type(err).__name__ if err else "unknown").inc()
    if isinstance(update, Update):
        msg = update.effective_message
        chat = update.effective_chat
        if msg is not None and chat is not None and chat.type != ChatType.CHANNEL:
            key = "busy" if isinstance(err, StoreUnavailableError | IndexBusyError) else "error"
            try:
                await msg.reply_text(t(key, ui_lang(update)))
            except Exception as exc:  # the error may be Telegram itself being unreachable
                log.warning("could not apologise: %s", redact(str(exc), token))
    if svc is not None and svc.owners and svc.owner_notice_due():
        notice = redact(f"Footnote error: {type(err).__name__}: {err}"[:500], token)
        for owner in svc.owners:
            try:
                await context.bot.send_message(owner, notice + "\n(details in the log)")
            except Exception as exc:
                log.warning("could not notify owner %s: %s", owner, redact(str(exc), token))
