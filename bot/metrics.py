"""Prometheus metrics for operators: questions, answers by mode and language, latency histograms,
errors, updates, LLM tokens where the server reports them. One registry per bot (not the
library's global one), served on FOOTNOTE_METRICS_PORT / `footnote run --metrics-port`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60)


class _Tokens(Collector):
    """Reads the model client's running token counts at scrape time."""

    def __init__(self, read: Callable[[], dict[str, int]]) -> None:
        self.read = read

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "footnote_llm_tokens", "Tokens reported by the language model server", labels=["kind"]
        )
        for kind, n in self.read().items():
            family.add_metric([kind], n)
        yield family


class Metrics:
    def __init__(self, tokens: Callable[[], dict[str, int]] | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.questions = Counter(
            "footnote_questions",
            "Questions received (after rate limits)",
            ["chat_type"],
            registry=r,
        )
        self.answers = Counter(
            "footnote_answers", "Answers delivered", ["mode", "language", "found"], registry=r
        )
        self.answer_seconds = Histogram(
            "footnote_answer_seconds",
            "Question to complete answer",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.first_reply_seconds = Histogram(
            "footnote_first_reply_seconds",
            "Question to first visible reply",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter("footnote_errors", "Errors by kind", ["kind"], registry=r)
        self.rate_limited = Counter(
            "footnote_rate_limited", "Questions refused by rate limits", registry=r
        )
        self.updates = Counter("footnote_updates", "Updates by outcome", ["outcome"], registry=r)
        self.feedback = Counter(
            "footnote_feedback", "Feedback votes by vote and way", ["vote", "via"], registry=r
        )
        if tokens is not None:
            r.register(_Tokens(tokens))

    def serve(self, port: int, addr: str = "0.0.0.0") -> Any:
        server, _thread = start_http_server(port, addr=addr, registry=self.registry)
        return server
