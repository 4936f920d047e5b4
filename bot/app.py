"""Building and running the bot: one Application, the same handlers for polling and webhook."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    MessageReactionHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import access, handlers
from bot.commands import (
    channels,
    check,
    digests,
    follows,
    group_settings,
    inline,
    owner,
    reactions,
    shelves,
    voice,
)
from bot.commands import feeds as feed_commands
from bot.commands.source_links import link_secret
from bot.error_handler import on_error
from bot.limits import RateLimiter
from bot.metrics import Metrics
from bot.services import Services
from bot.settings import BotSettings
from bot.store import inbox
from bot.store.inbox import begin_run, end_run
from bot.store.state import State
from retrieval.api import FALLBACK, Answerer, ConfigError, Index, complete_in

log = logging.getLogger(__name__)

PUBLIC_COMMANDS = {
    "start": {"en": "What this bot does", "de": "Was dieser Bot kann", "ru": "Что умеет бот"},
    "help": {"en": "How to ask", "de": "So fragen Sie", "ru": "Как задать вопрос"},
    "ask": {"en": "Ask about the articles", "de": "Zu den Artikeln fragen", "ru": "Спросить о статьях"},
    "sources": {"en": "Articles I know", "de": "Artikel, die ich kenne", "ru": "Известные статьи"},
    "settings": {"en": "Group settings (admins)", "de": "Gruppeneinstellungen (Admins)",
                 "ru": "Настройки группы (админы)"},
    "digest": {"en": "Today's stories (or: week, a topic)", "de": "Die Meldungen von heute "
               "(oder: week, ein Thema)", "ru": "Новости за сегодня (или: week, тема)"},
    "subscribe": {"en": "Daily digest here (admins)", "de": "Tägliche Übersicht hier (Admins)",
                  "ru": "Ежедневная сводка здесь (админы)"},
    "follow": {"en": "Tell me when there is news of a story", "de": "Bei Neuem zu einem Thema Bescheid geben",
               "ru": "Сообщать о новостях по теме"},
    "check": {"en": "Check a post's claims (a link, a text, or in reply)",
              "de": "Behauptungen eines Beitrags prüfen (Link, Text oder als Antwort)",
              "ru": "Проверить утверждения поста (ссылка, текст или ответом)"},
}  # fmt: skip
OWNER_COMMANDS = {
    "stats": "Corpus and answer statistics",
    "ingest": "Add an article by URL (or send a file)",
    "forget": "Remove an article",
    "reindex": "Re-embed all articles",
    "source": "Use a channel's posts as articles",
    "shelf": "Which shelves of articles a chat answers from",
    "allow": "Serve only these users/chats",
    "deny": "Never serve these users/chats",
    "feed": "Add or remove a news feed or sitemap",
    "feeds": "The feeds and how their polls went",
}


def build_application(
    settings: BotSettings,
    index: Index | None = None,
    answerer: Answerer | None = None,
    state: State | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application with every handler; services are built here unless handed in (tests)."""
    if not settings.telegram_bot_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)")
    # python-telegram-bot 22 warns that durations (retry_after, timeouts) become timedeltas in
    # its next major version, reading this variable whenever it converts one: opt in, so our code
    # already handles the future type.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    owns_core = answerer is None and index is None
    if answerer is None:
        from retrieval.api import make_llm

        index = index or Index(settings)
        answerer = Answerer(index, make_llm(settings))
    index = answerer.index
    state = state or State.for_settings(settings)
    svc = Services(
        settings=settings,
        index=index,
        answerer=answerer,
        state=state,
        limiter=RateLimiter(
            state.windows, settings.user_rate, settings.chat_rate, settings.rate_window
        ),
        answers=asyncio.Semaphore(settings.max_answers),
        owns_core=owns_core,
        metrics=Metrics(tokens=_token_reader(answerer)),
        transcriber=_transcriber(settings),
    )
    ctx = ssl.create_default_context()  # one CA bundle load for both clients
    app = (
        Application.builder()
        .application_class(FootnoteApplication)
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .request(
            HTTPXRequest(
                connection_pool_size=settings.max_answers + 16,
                pool_timeout=30.0,
                read_timeout=30.0,
                httpx_kwargs={"verify": ctx},
            )
        )
        .get_updates_request(HTTPXRequest(read_timeout=40.0, httpx_kwargs={"verify": ctx}))
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=settings.telegram_overall_rate,
                group_max_rate=settings.telegram_group_rate,
                max_retries=settings.telegram_max_retries,
            )
        )
        .concurrent_updates(settings.max_answers * 2)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data["services"] = svc
    begin_run(svc.owner)  # this run's claims are alive until it stops (FootnoteApplication.stop)
    add_handlers(app)
    return app


class FootnoteApplication(Application[Any, Any, Any, Any, Any, Any]):
    """Each update is handled once: it is claimed in the shared inbox before the handlers run
    (another process, a webhook retry or a replay may deliver it again) and marked done after.
    Work cut short by a crash stays claimed and is replayed at the next start."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.in_progress: set[asyncio.Task[Any]] = set()

    def create_task(
        self, coroutine: Any, update: object | None = None, *, name: str | None = None
    ) -> asyncio.Task[Any]:
        """Every concurrent update runs through here (python-telegram-bot's public hook):
        kept so that `stop` can wait for the answers in flight."""
        task = super().create_task(coroutine, update=update, name=name)
        self.in_progress.add(task)
        task.add_done_callback(self.in_progress.discard)
        return task

    async def process_update(self, update: object) -> None:
        svc: Services | None = self.bot_data.get("services")
        if svc is None or not isinstance(update, Update):
            await super().process_update(update)
            return
        uid = update.update_id
        if uid in svc.replaying:
            svc.replaying.discard(uid)
            svc.metrics.updates.labels("replayed").inc()
        elif not await asyncio.to_thread(
            svc.state.inbox.claim_update, uid, svc.owner, update.to_dict()
        ):
            log.info("update %s is already handled (another process or a redelivery)", uid)
            svc.metrics.updates.labels("duplicate").inc()
            return
        else:
            svc.metrics.updates.labels("new").inc()
        await super().process_update(update)  # handler errors go to on_error, not here
        if uid in svc.unfinished:  # an ingest stopped for the shutdown: the next start resumes it
            svc.unfinished.discard(uid)
            return

        def done() -> None:
            svc.state.inbox.finish_update(uid)
            svc.state.tidy()

        await asyncio.to_thread(done)

    async def stop(self) -> None:
        """Stop within the grace period whatever the model is doing: answers still running
        then are cancelled; their updates stay claimed, so the next start answers them."""
        svc: Services | None = self.bot_data.get("services")
        if svc is not None:
            svc.stopping.set()  # a feed poll ends between two requests
        running = [t for t in self.in_progress if not t.done()]
        if svc is not None and running:
            log.info("stopping: %d update(s) in progress", len(running))
            _, late = await asyncio.wait(running, timeout=svc.settings.shutdown_grace)
            for task in late:
                task.cancel()
            if late:
                log.warning(
                    "stopping: cut %d update(s) short after %.0f s; they are answered after the "
                    "next start",
                    len(late),
                    svc.settings.shutdown_grace,
                )
        await super().stop()
        if svc is not None:
            end_run(svc.owner)  # what it left claimed is a later run's to finish


def take_over_unfinished(bot: Any, svc: Services) -> list[Update]:
    """Updates a crashed process had claimed but not finished, now ours (runs in a thread)."""
    taken = []
    for uid, payload in svc.state.inbox.orphaned(svc.owner):
        update = Update.de_json(payload, bot)
        if update is None:
            svc.state.inbox.finish_update(uid)
            continue
        taken.append(update)
    return taken


async def replay_unfinished(app: Application[Any, Any, Any, Any, Any, Any], svc: Services) -> int:
    """Queue them again (on the event loop: the update queue is not thread-safe)."""
    updates = await asyncio.to_thread(take_over_unfinished, app.bot, svc)
    for update in updates:
        svc.replaying.add(update.update_id)
        app.update_queue.put_nowait(update)
    if updates:
        log.warning("replaying %d update(s) left unfinished by a previous run", len(updates))
    return len(updates)


async def watch_inbox(context: Any) -> None:
    """Every RENEW_SECONDS: keep this run's claims alive, and take over what a run that is gone
    left unfinished (a crash elsewhere, a replay missed at start): a missed replay is not lost."""
    app = context.application
    svc: Services = app.bot_data["services"]
    await asyncio.to_thread(svc.state.inbox.renew, svc.owner)
    await replay_unfinished(app, svc)


def schedule_inbox_watch(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    if app.job_queue is None:  # installed without the job-queue extra
        log.warning("orphaned updates are replayed only at start: no job queue")
        return
    every = inbox.RENEW_SECONDS
    app.job_queue.run_repeating(watch_inbox, interval=every, first=every, name="inbox-watch")


def _transcriber(settings: BotSettings) -> Any:
    """The speech-to-text endpoint for voice questions, when one is configured."""
    if not settings.voice:
        return None
    from retrieval.api import OpenAITranscriber

    return OpenAITranscriber(
        settings.transcribe_base_url,
        settings.transcribe_api_key.get_secret_value(),
        settings.transcribe_model,
    )


def _token_reader(answerer: Answerer) -> Any:
    tokens = getattr(answerer.llm, "tokens", None)
    return (lambda: dict(tokens)) if isinstance(tokens, dict) else None


def add_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    new = filters.UpdateType.MESSAGE  # edits of old questions are not asked again
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    app.add_handler(TypeHandler(Update, access.gate), group=-1)
    for name, callback in [
        ("start", handlers.start),
        ("help", handlers.help_command),
        ("ask", handlers.ask_command),
        ("sources", handlers.sources),
        ("settings", group_settings.settings_command),
        ("stats", owner.stats),
        ("ingest", owner.ingest_command),
        ("forget", owner.forget),
        ("reindex", owner.reindex_command),
        ("source", channels.source),
        ("shelf", shelves.shelf_command),
        ("check", check.check_command),
        ("follow", follows.follow_command),
        ("following", follows.following_command),
        ("unfollow", follows.unfollow_command),
        ("allow", owner.allow),
        ("deny", owner.deny),
        ("feed", feed_commands.feed_command),
        ("feeds", feed_commands.feeds_command),
        ("digest", digests.digest_command),
        ("subscribe", digests.subscribe_command),
        ("unsubscribe", digests.unsubscribe_command),
    ]:
        app.add_handler(CommandHandler(name, callback, filters=new & (private | groups)))
    # Before the caption handler: a voice message captioned "@bot" is a voice question.
    app.add_handler(
        MessageHandler(
            new & (private | groups) & (filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE),
            voice.voice_message,
        )
    )
    # A post forwarded into the private chat is checked against the archive, not asked.
    app.add_handler(
        MessageHandler(
            new & private & filters.FORWARDED & (filters.TEXT | filters.CAPTION), check.forwarded
        )
    )
    app.add_handler(MessageHandler(new & private & filters.Document.ALL, owner.document))
    app.add_handler(
        MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, handlers.private_message)
    )
    app.add_handler(
        MessageHandler(
            new & groups & (filters.TEXT | filters.CAPTION) & ~filters.COMMAND,
            handlers.group_message,
        )
    )
    app.add_handler(MessageHandler(filters.UpdateType.CHANNEL_POSTS, channels.channel_post))
    app.add_handler(CallbackQueryHandler(handlers.feedback, pattern=r"^fb:[01]$"))
    app.add_handler(MessageReactionHandler(reactions.on_reaction))
    app.add_handler(CallbackQueryHandler(handlers.sources_page, pattern=r"^src:\d+$"))
    app.add_handler(InlineQueryHandler(inline.inline_query))
    app.add_handler(ChosenInlineResultHandler(inline.chosen_result))
    app.add_handler(CallbackQueryHandler(group_settings.settings_button, pattern=r"^set:"))
    app.add_handler(ChatMemberHandler(channels.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(on_error)


async def _post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Learn the bot's name, bound the core's threads, register the commands."""
    svc: Services = app.bot_data["services"]
    me = await app.bot.get_me()
    svc.bot_username, svc.bot_id = me.username, me.id
    svc.link_secret = await asyncio.to_thread(link_secret, svc.index.catalog)
    loop = asyncio.get_running_loop()
    loop.set_default_executor(
        ThreadPoolExecutor(svc.settings.core_threads, thread_name_prefix="core")
    )
    await register_commands(app, svc)
    await replay_unfinished(app, svc)
    schedule_inbox_watch(app)
    feed_commands.schedule(app)
    digests.schedule(app)
    follows.schedule(app)
    # Models load in the background; a question arriving meanwhile waits in its worker thread.
    svc.warming = asyncio.get_running_loop().run_in_executor(None, svc.index.warm)


async def register_commands(app: Application[Any, Any, Any, Any, Any, Any], svc: Services) -> None:
    for lang in complete_in(PUBLIC_COMMANDS.values()):
        commands = [BotCommand(name, text[lang]) for name, text in PUBLIC_COMMANDS.items()]
        await app.bot.set_my_commands(
            commands,
            scope=BotCommandScopeDefault(),
            language_code=None if lang == FALLBACK else lang,
        )
    owner_commands = [BotCommand(n, d[FALLBACK]) for n, d in PUBLIC_COMMANDS.items()] + [
        BotCommand(n, d) for n, d in OWNER_COMMANDS.items()
    ]
    for owner_id in svc.owners:
        try:  # fails until the owner has started a chat with the bot
            await app.bot.set_my_commands(owner_commands, scope=BotCommandScopeChat(owner_id))
        except TelegramError as exc:
            log.info("owner commands not registered for %s: %s", owner_id, exc)


async def _post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    svc: Services = app.bot_data["services"]
    close = getattr(svc.answerer.llm, "close", None)
    if close is not None and svc.owns_core:
        await close()
    if svc.transcriber is not None:
        await svc.transcriber.close()

    def release() -> None:  # waits for a running ingest: off the event loop
        svc.ingest_pool.shutdown(wait=True)
        svc.state.close()
        if svc.owns_core:
            svc.index.close()

    await asyncio.to_thread(release)


WEBHOOK_MAX_BODY = 1_000_000  # an update is a few kilobytes; Telegram's largest far below this


def limit_webhook_requests() -> None:
    """python-telegram-bot's webhook server (tornado) checks the secret only once the whole body
    is in memory, up to tornado's 100 MB default. A body declared larger than an update can be is
    refused from its headers, and a request trickling its body is cut off."""
    from tornado.httpserver import HTTPServer

    HTTPServer.configure(
        None, max_body_size=WEBHOOK_MAX_BODY, body_timeout=30.0, idle_connection_timeout=120.0
    )


def run(settings: BotSettings) -> None:
    """`footnote run`: webhook mode when WEBHOOK_URL is set, long polling otherwise."""
    app = build_application(settings)
    if settings.metrics_port:
        app.bot_data["services"].metrics.serve(settings.metrics_port, settings.metrics_listen)
        log.info("metrics on %s:%s/metrics", settings.metrics_listen, settings.metrics_port)
    updates = Update.ALL_TYPES
    if settings.webhook_url:
        path = urlsplit(settings.webhook_url).path.lstrip("/")
        log.info("webhook mode on %s:%s", settings.webhook_listen, settings.webhook_port)
        limit_webhook_requests()
        app.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=path,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value() or None,
            allowed_updates=updates,
        )
    else:
        log.info("long polling")
        app.run_polling(allowed_updates=updates)


__all__ = ["build_application", "run"]
