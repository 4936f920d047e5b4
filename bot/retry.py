"""The one retry policy (tenacity): a fixed schedule of waits, only for errors worth retrying,
the last error re-raised as it was."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import tenacity

log = logging.getLogger(__name__)
T = TypeVar("T")


def _policy(retry_if: Callable[[BaseException], bool], waits: Sequence[float]) -> dict[str, Any]:
    def note(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.info("%s failed (%s), retrying", getattr(state.fn, "__name__", "call"), exc)

    return {
        "retry": tenacity.retry_if_exception(retry_if),
        "stop": tenacity.stop_after_attempt(len(waits) + 1),
        "wait": tenacity.wait_chain(*(tenacity.wait_fixed(w) for w in waits))
        if waits
        else tenacity.wait_none(),
        "before_sleep": note,
        "reraise": True,
    }


def retry_on(retry_if: Callable[[BaseException], bool], attempts: int, wait: float) -> Any:
    """Decorator: up to `attempts` tries, waiting `wait`, 2x`wait`, 3x`wait`… in between."""
    return tenacity.retry(**_policy(retry_if, [wait * (n + 1) for n in range(attempts - 1)]))


async def retry_async(
    call: Callable[[], Awaitable[T]],
    retry_if: Callable[[BaseException], bool],
    waits: Sequence[float],
) -> T:
    """Await `call()`, again after each of `waits` while it fails with a retryable error."""

    async def attempt() -> T:  # tenacity awaits only what it sees is a coroutine function
        return await call()

    return await tenacity.AsyncRetrying(**_policy(retry_if, waits))(attempt)
