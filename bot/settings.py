"""The bot's settings: the core's (retrieval.api.Settings) and Telegram's, read the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import SecretStr

from retrieval.api import ConfigError, Settings


@dataclass(frozen=True)
class BotSettings(Settings):
    """Footnote's configuration with the Telegram bot's part. Field metadata names the variable."""

    telegram_bot_token: SecretStr = field(
        default=SecretStr(""), metadata={"env": "TELEGRAM_BOT_TOKEN", "secret": True}
    )
    telegram_base_url: str = field(
        default="https://api.telegram.org/bot", metadata={"env": "TELEGRAM_BASE_URL"}
    )
    telegram_base_file_url: str = field(
        default="https://api.telegram.org/file/bot", metadata={"env": "TELEGRAM_BASE_FILE_URL"}
    )
    admin_ids: str = field(default="", metadata={"env": "FOOTNOTE_ADMIN_IDS"})
    # Seconds a stopping bot lets answers in flight finish (docker stops after 10 s); the rest are
    # cut off and answered after the next start (their updates stay claimed in the inbox).
    shutdown_grace: float = field(default=7.0, metadata={"env": "FOOTNOTE_SHUTDOWN_GRACE"})
    webhook_url: str = field(default="", metadata={"env": "WEBHOOK_URL"})
    webhook_secret: SecretStr = field(
        default=SecretStr(""), metadata={"env": "WEBHOOK_SECRET", "secret": True}
    )
    webhook_listen: str = field(default="127.0.0.1", metadata={"env": "WEBHOOK_LISTEN"})
    webhook_port: int = field(default=8443, metadata={"env": "WEBHOOK_PORT"})
    user_rate: int = field(default=8, metadata={"env": "FOOTNOTE_USER_RATE"})
    chat_rate: int = field(default=20, metadata={"env": "FOOTNOTE_CHAT_RATE"})
    rate_window: float = field(default=60.0, metadata={"env": "FOOTNOTE_RATE_WINDOW"})
    telegram_group_rate: int = field(default=20, metadata={"env": "TELEGRAM_GROUP_RATE"})
    telegram_overall_rate: int = field(default=30, metadata={"env": "TELEGRAM_OVERALL_RATE"})
    telegram_max_retries: int = field(default=3, metadata={"env": "TELEGRAM_MAX_RETRIES"})
    max_answers: int = field(default=64, metadata={"env": "FOOTNOTE_MAX_CONCURRENT_ANSWERS"})
    stream_below: int = field(default=12, metadata={"env": "FOOTNOTE_STREAM_BELOW"})
    core_threads: int = field(default=4, metadata={"env": "FOOTNOTE_CORE_THREADS"})
    edit_interval: float = field(default=1.0, metadata={"env": "FOOTNOTE_EDIT_INTERVAL"})
    drafts: bool = field(default=True, metadata={"env": "FOOTNOTE_DRAFTS"})
    group_edit_interval: float = field(
        default=3.0, metadata={"env": "FOOTNOTE_GROUP_EDIT_INTERVAL"}
    )
    history_turns: int = field(default=3, metadata={"env": "FOOTNOTE_HISTORY_TURNS"})
    history_minutes: float = field(default=30.0, metadata={"env": "FOOTNOTE_HISTORY_MINUTES"})
    log_text: bool = field(default=False, metadata={"env": "FOOTNOTE_LOG_TEXT"})
    metrics_port: int = field(default=0, metadata={"env": "FOOTNOTE_METRICS_PORT"})
    metrics_listen: str = field(default="127.0.0.1", metadata={"env": "FOOTNOTE_METRICS_LISTEN"})
    # Voice questions: an OpenAI-compatible /audio/transcriptions endpoint. Set up when a base URL
    # (a local faster-whisper or whisper.cpp server) or a key (OpenAI's own) is given.
    transcribe_base_url: str = field(default="", metadata={"env": "FOOTNOTE_TRANSCRIBE_BASE_URL"})
    transcribe_api_key: SecretStr = field(
        default=SecretStr(""), metadata={"env": "FOOTNOTE_TRANSCRIBE_API_KEY", "secret": True}
    )
    transcribe_model: str = field(
        default="whisper-1", metadata={"env": "FOOTNOTE_TRANSCRIBE_MODEL"}
    )
    follow_daily: int = field(default=10, metadata={"env": "FOOTNOTE_FOLLOW_DAILY"})
    voice_max_seconds: int = field(default=120, metadata={"env": "FOOTNOTE_VOICE_MAX_SECONDS"})
    voice_max_mb: float = field(default=10.0, metadata={"env": "FOOTNOTE_VOICE_MAX_MB"})

    @property
    def voice(self) -> bool:
        """Whether voice questions are set up (a transcription endpoint is configured)."""
        return bool(self.transcribe_base_url or self.transcribe_api_key.get_secret_value())

    def validate(self) -> None:
        super().validate()
        try:
            self.owners  # noqa: B018 - validates FOOTNOTE_ADMIN_IDS
        except ValueError:
            raise ConfigError(
                f"FOOTNOTE_ADMIN_IDS={self.admin_ids!r}: use numeric Telegram user ids, comma-separated"
            ) from None
        if self.webhook_url and not self.webhook_url.startswith(("https://", "http://127.0.0.1")):
            raise ConfigError("WEBHOOK_URL must be an https:// address Telegram can reach")
        if self.webhook_url and not re.fullmatch(
            r"[A-Za-z0-9_-]{16,256}", self.webhook_secret.get_secret_value()
        ):
            raise ConfigError(
                "webhook mode needs WEBHOOK_SECRET: 16-256 letters, digits, '_' or '-' "
                "(e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        for name in ("user_rate", "chat_rate", "max_answers", "core_threads", "history_turns"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")

    @property
    def owners(self) -> frozenset[int]:
        """Bot owners' Telegram user ids (FOOTNOTE_ADMIN_IDS)."""
        return frozenset(int(x) for x in re.split(r"[,\s]+", self.admin_ids.strip()) if x)
