"""The chat model behind one small async interface, over any OpenAI-compatible server.

Async because answering is the one place the core truly waits on the network (and the bot
streams the answer as it is written); retrieval stays synchronous CPU work.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

import openai

from retrieval.errors import FootnoteError

if TYPE_CHECKING:
    from retrieval.settings import Settings

log = logging.getLogger(__name__)

Message = dict[str, str]


class LLMError(FootnoteError):
    """The model could not be reached or failed after bounded retries."""


class ChatModel(Protocol):
    name: str

    async def complete(self, messages: list[Message], max_tokens: int) -> str: ...

    def stream(self, messages: list[Message], max_tokens: int) -> AsyncIterator[str]: ...


class OpenAIChat:
    """Retries (429 with retry-after, 5xx, connection errors) and timeouts are the openai client's,
    bounded by the settings it was built with."""

    def __init__(self, client: openai.AsyncOpenAI, model: str, temperature: float = 0.1) -> None:
        self.client = client
        self.name = model
        self.temperature = temperature
        # Tokens the server reported (streamed replies usually report none): for metrics.
        self.tokens = {"prompt": 0, "completion": 0}

    async def complete(self, messages: list[Message], max_tokens: int) -> str:
        try:
            resp = await self.client.chat.completions.create(
                model=self.name,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=self.temperature,
            )
        except openai.APIError as exc:
            raise LLMError(_describe(exc)) from exc
        usage = getattr(resp, "usage", None)
        if usage is not None:
            self.tokens["prompt"] += int(getattr(usage, "prompt_tokens", 0) or 0)
            self.tokens["completion"] += int(getattr(usage, "completion_tokens", 0) or 0)
        if not resp.choices:
            return ""
        return resp.choices[0].message.content or ""

    async def stream(self, messages: list[Message], max_tokens: int) -> AsyncIterator[str]:
        try:
            events: Any = await self.client.chat.completions.create(
                model=self.name,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=self.temperature,
                stream=True,
            )
            async for event in events:
                usage = getattr(event, "usage", None)
                if usage is not None:
                    self.tokens["prompt"] += int(getattr(usage, "prompt_tokens", 0) or 0)
                    self.tokens["completion"] += int(getattr(usage, "completion_tokens", 0) or 0)
                if event.choices and event.choices[0].delta and event.choices[0].delta.content:
                    yield event.choices[0].delta.content
        except openai.APIError as exc:
            raise LLMError(_describe(exc)) from exc

    async def close(self) -> None:
        await self.client.close()


def _describe(exc: openai.APIError) -> str:
    """A log-safe description: status and type, never request headers (the API key)."""
    status = getattr(exc, "status_code", None)
    return f"the language model failed: {type(exc).__name__}" + (
        f" (HTTP {status})" if status else ""
    )


def make_llm(settings: Settings) -> OpenAIChat | None:
    """None when no model is configured: answers are then extractive, and say so."""
    if not (settings.openai_api_key or settings.openai_base_url):
        return None
    client = openai.AsyncOpenAI(
        api_key=settings.openai_api_key.get_secret_value() or "not-needed",
        base_url=settings.openai_base_url or None,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
    )
    return OpenAIChat(client, settings.llm_model)
