"""Telegram's errors by kind. The Bot API says what went wrong only in its description (which
python-telegram-bot shortens and re-cases), so this is the one place that reads those texts."""

from __future__ import annotations

from telegram.error import BadRequest, NetworkError, TelegramError


def _says(exc: BaseException, *phrases: str) -> bool:
    text = str(exc).lower()
    return any(p in text for p in phrases)


def is_entity_error(exc: BaseException) -> bool:
    """The HTML (or its length after parsing) was rejected: send the same text plain."""
    return isinstance(exc, BadRequest) and _says(exc, "parse entities", "entit", "too long")


def is_not_modified(exc: BaseException) -> bool:
    """An edit that changes nothing: harmless (a retried edit that had arrived after all)."""
    return isinstance(exc, BadRequest) and _says(exc, "not modified")


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: a timeout, a dropped connection or Telegram's 5xx; never a Bad Request."""
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


def is_telegram_error(exc: BaseException) -> bool:
    return isinstance(exc, TelegramError)
