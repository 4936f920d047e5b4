"""Speech to text through an OpenAI-compatible `/audio/transcriptions` endpoint (OpenAI itself, a
local faster-whisper or whisper.cpp server): the one outside service voice questions need,
behind a small interface so that the bot never knows which one it is."""

from __future__ import annotations

import logging
from typing import Protocol

import openai

log = logging.getLogger(__name__)

TIMEOUT_S = 60.0


class TranscriptionError(Exception):
    """The endpoint could not be reached or refused the audio (the reason is for the log)."""


class Transcriber(Protocol):
    async def transcribe(self, audio: bytes, filename: str, language: str = "") -> str: ...

    async def close(self) -> None: ...


class OpenAITranscriber:
    """`model` at `base_url` (OpenAI's own when empty), with `api_key` (kept out of `repr`)."""

    def __init__(self, base_url: str, api_key: str, model: str) -> None:
        self.model = model
        self._client = openai.AsyncOpenAI(
            base_url=base_url or None, api_key=api_key or "none", timeout=TIMEOUT_S, max_retries=1
        )

    def __repr__(self) -> str:
        return f"OpenAITranscriber(model={self.model!r}, base_url={str(self._client.base_url)!r})"

    async def transcribe(self, audio: bytes, filename: str, language: str = "") -> str:
        """The text said in `audio` (any format the endpoint reads: Telegram's voice notes are
        OGG/Opus). `language` is only a hint: a question may be in another."""
        try:
            result = await self._client.audio.transcriptions.create(
                model=self.model, file=(filename, audio), response_format="json"
            )
        except openai.OpenAIError as exc:
            raise TranscriptionError(f"{type(exc).__name__}: {exc}") from exc
        return " ".join(str(getattr(result, "text", "") or "").split())

    async def close(self) -> None:
        await self._client.close()
