"""question (+ history, + language hint) -> Answer: cited, in the question's language, honest.

Steps: detect the language; rewrite a follow-up into a standalone question; search; decide
whether the articles cover it at all; ask the model with numbered, delimited sources; check its
citations and language. Without a model (none configured, unreachable, or failing after retries)
the answer quotes the most relevant source sentences instead, and says so.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from prompts import render

from .catalog import sentence_id
from .chunk import sentence_units
from .citations import check_citations
from .index import Index
from .llm import ChatModel, LLMError, Message
from .messages import language_name, text
from .models import Answer, Citation, Hit
from .search import SearchResult, search_detailed

log = logging.getLogger(__name__)

NOT_FOUND = "NOT_FOUND"
LENGTHS = {
    "short": ("two or three sentences, at most about 60 words.", 250),
    "normal": ("a short paragraph, at most about 120 words.", 500),
    "long": ("up to three short paragraphs, at most about 250 words.", 900),
}

Turn = tuple[str, str]  # (question, answer text)
OnDelta = Callable[[str], Awaitable[None]]

# A message that opens with a conjunction leans on the previous one ("and why?", "und dann?").
_FOLLOW_UP = re.compile(
    r"^\W*(and|but|also|so|und|aber|auch|also|и|а|но|тоже|y|e|pero|también|et|mais|aussi|"
    r"và|nhưng|còn|і|а|але|також|那|那么|还有|而且)\b",
    re.IGNORECASE,
)


def rule_rewrite(question: str, history: Sequence[Turn]) -> str:
    """Without a model: a short follow-up ("und warum?") or one that opens with a conjunction is
    searched together with the previous question."""
    if not history:
        return question
    short = len(question.split()) <= 5 or len(question) <= 25
    if short or _FOLLOW_UP.search(question):
        return f"{history[-1][0]} {question}"
    return question


def format_sources(hits: Sequence[Hit]) -> str:
    """Sources as delimited data; a source cannot close its own tag early."""
    blocks = []
    for n, h in enumerate(hits, 1):
        c = h.chunk
        body = re.sub(r"</?\s*source", lambda m: m.group(0).replace("<", "‹"), c.text, flags=re.I)
        attrs = f'n="{n}" title="{html.escape(c.title)}" date="{c.date}" lang="{c.lang}"'
        blocks.append(f"<source {attrs}>\n{body}\n</source>")
    return "\n\n".join(blocks)


@dataclass(frozen=True)
class Gate:
    """Does retrieval hold anything that answers the question?

    This embedder's similarities bunch together (0.75-0.85 for right and wrong passages alike),
    and a question in another language than the articles scores lower against everything. So
    the gate measures how far the best sentence and the best chunk stand out from the query's
    baseline, its mean similarity to a fixed random sample of chunks, relative to the room left
    above that baseline; or a sentence is simply very close to the question. Measured on XQuAD this is even across languages and stable as the corpus
    grows (a background taken from the next-best ranks rises with corpus size and turned away a
    third of covered Arabic and Chinese questions). Error rates: docs/BENCHMARKS.md.
    """

    min_score: float
    min_similarity: float = 0.82  # a sentence this close is an answer whatever the background

    @staticmethod
    def score(result: SearchResult) -> float:
        ss, cs = result.sentence_sims or result.chunk_sims, result.chunk_sims
        if not ss or not cs:
            return float("-inf")
        room = max(1e-6, 1.0 - result.background)
        return (ss[0] - result.background) / room + (cs[0] - result.background) / room

    def covered(self, result: SearchResult) -> bool:
        """A small corpus on one topic has an on-topic background, so a passage very close to
        the question also counts (on XQuAD this adds under half a point of false positives)."""
        if not result.hits:
            return False
        best = (result.sentence_sims or result.chunk_sims or [0.0])[0]
        return self.score(result) >= self.min_score or best >= self.min_similarity


class Answerer:
    def __init__(
        self,
        index: Index,
        llm: ChatModel | None,
        gate: Gate | None = None,
        top_k: int | None = None,
    ) -> None:
        self.index = index
        self.llm = llm
        self.gate = gate or Gate(index.settings.gate_min_score, index.settings.gate_min_similarity)
        self.top_k = top_k or index.settings.top_k

    async def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        language_hint: str = "",
        on_delta: OnDelta | None = None,
        length: str = "normal",
        language: str = "",
    ) -> Answer:
        """`language` forces the answer language (a group setting); otherwise it is detected."""
        t: dict[str, float] = {}
        start = time.perf_counter()
        question = question.strip()
        lang = (
            language
            or await asyncio.to_thread(self.index.detector.detect, question, language_hint)
            or language_hint
            or "en"
        )
        lang = lang.split("-")[0].lower()
        t["detect_ms"] = _ms(start)
        if not question:
            return Answer(
                question, text("empty_question", lang), lang, False, [], "extractive", note="empty"
            )

        mark = time.perf_counter()
        standalone = await self._standalone(question, history, lang)
        t["rewrite_ms"] = _ms(mark)

        mark = time.perf_counter()
        qv, result = await asyncio.to_thread(self._search, standalone)
        t["search_ms"] = _ms(mark)
        hits = result.hits

        def finish(ans: Answer) -> Answer:
            ans.standalone_question = standalone
            t["total_ms"] = _ms(start)
            ans.timings = t
            return ans

        if not self.gate.covered(result):
            return finish(
                self._not_covered(question, lang, note="retrieval found nothing relevant")
            )
        if self.llm is None:
            return finish(
                await self._extractive_async(
                    question, lang, hits, qv, "offline_header", "no language model configured"
                )
            )

        mark = time.perf_counter()
        messages = self._messages(standalone, hits, lang, length)
        max_tokens = LENGTHS.get(length, LENGTHS["normal"])[1]
        try:
            reply = await self._ask(messages, max_tokens, on_delta)
        except LLMError as exc:
            log.warning("answering offline: %s", exc)
            t["llm_ms"] = _ms(mark)
            return finish(
                await self._extractive_async(question, lang, hits, qv, "offline_header", str(exc))
            )
        t["llm_ms"] = _ms(mark)

        mark = time.perf_counter()
        reply = reply.strip()
        if not reply:
            return finish(
                await self._extractive_async(
                    question, lang, hits, qv, "offline_header", "the model returned an empty reply"
                )
            )
        if reply.upper().startswith(NOT_FOUND) or reply.upper().endswith(NOT_FOUND):
            return finish(
                self._not_covered(question, lang, note="the model found no answer in the sources")
            )
        checked = check_citations(reply, len(hits))
        if checked.invalid:
            log.info("removed invented citation numbers %s", checked.invalid)
        if not checked.used:
            return finish(
                await self._extractive_async(
                    question, lang, hits, qv, "unverified_header", "the model cited no valid source"
                )
            )
        reply_lang = await asyncio.to_thread(
            self.index.detector.detect, re.sub(r"\[\d+\]", "", checked.text)
        )
        if reply_lang and reply_lang != lang and len(checked.text) > 40:
            retried = await self._retry_language(messages, reply, lang, max_tokens, len(hits))
            if retried is not None:
                checked = retried
        citations = await asyncio.to_thread(self._citations, hits, checked.used, qv)
        t["check_ms"] = _ms(mark)
        return finish(
            Answer(question, checked.text, lang, True, citations, "llm", model=self.llm.name)
        )

    # --- steps ----------------------------------------------------------------------------------
    async def _standalone(self, question: str, history: Sequence[Turn], lang: str) -> str:
        if not history:
            return question
        if self.llm is not None:
            convo = "\n".join(f"User: {q}\nAssistant: {a[:500]}" for q, a in history[-3:])
            prompt = render(
                "rewrite", history=convo, question=question, language_name=language_name(lang)
            )
            try:
                out = (await self.llm.complete([{"role": "user", "content": prompt}], 120)).strip()
                if out and len(out) < 500 and NOT_FOUND not in out:
                    return out.splitlines()[0].strip()
            except LLMError as exc:
                log.info("follow-up rewrite by rule: %s", exc)
        return rule_rewrite(question, history)

    def _search(self, query: str) -> tuple[np.ndarray, SearchResult]:
        qv = self.index.embedder.embed_queries([query])[0]
        return qv, search_detailed(self.index, query, self.top_k, query_vector=qv)

    def _messages(
        self, question: str, hits: Sequence[Hit], lang: str, length: str
    ) -> list[Message]:
        name = language_name(lang)
        system = render(
            "system",
            language_name=name,
            language_code=lang,
            length_hint=LENGTHS.get(length, LENGTHS["normal"])[0],
            not_found_rule=render("not_found", marker=NOT_FOUND),
        )
        user = render("user", sources=format_sources(hits), question=question, language_name=name)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    async def _ask(self, messages: list[Message], max_tokens: int, on_delta: OnDelta | None) -> str:
        assert self.llm is not None
        if on_delta is None:
            return await self.llm.complete(messages, max_tokens)
        parts: list[str] = []
        async for delta in self.llm.stream(messages, max_tokens):
            parts.append(delta)
            await on_delta(delta)
        return "".join(parts)

    async def _retry_language(
        self, messages: list[Message], reply: str, lang: str, max_tokens: int, n_sources: int
    ) -> Any:
        assert self.llm is not None
        again = [
            *messages,
            {"role": "assistant", "content": reply},
            {
                "role": "user",
                "content": render(
                    "language_retry", language_name=language_name(lang), language_code=lang
                ),
            },
        ]
        try:
            out = (await self.llm.complete(again, max_tokens)).strip()
        except LLMError:
            return None
        checked = check_citations(out, n_sources)
        if (
            checked.used
            and await asyncio.to_thread(
                self.index.detector.detect, re.sub(r"\[\d+\]", "", checked.text)
            )
            == lang
        ):
            return checked
        return None

    def _not_covered(self, question: str, lang: str, note: str) -> Answer:
        return Answer(question, text("not_covered", lang), lang, False, [], "extractive" if self.llm is None else "llm",
                      model=self.llm.name if self.llm else "", note=note)  # fmt: skip

    # --- sentence level --------------------------------------------------------------------------
    def _sentences(self, hits: Sequence[Hit], qv: np.ndarray) -> list[tuple[float, int, str]]:
        """(similarity to the question, hit index, sentence) for every sentence of the hits."""
        spans = self.index.catalog.sentence_spans([h.chunk.chunk_id for h in hits])
        items: list[tuple[int, str, str]] = []  # (hit index, sentence id, text)
        for i, h in enumerate(hits):
            chunk_spans = spans.get(h.chunk.chunk_id) or sentence_units(h.chunk.text)
            for n, (a, b) in enumerate(chunk_spans):
                items.append((i, sentence_id(h.chunk.chunk_id, n), h.chunk.text[a:b].strip()))
        stored = (
            self.index.store.sentence_vectors([sid for _, sid, _ in items])
            if self.index.settings.sentence_vectors
            else {}
        )
        missing = [t for _, sid, t in items if sid not in stored]
        fresh = iter(self.index.embedder.embed_passages(missing)) if missing else iter(())
        out = []
        for i, sid, sentence in items:
            vec = stored[sid] if sid in stored else next(fresh)
            out.append((float(vec @ qv), i, sentence))
        return out

    async def _extractive_async(self, *args: Any) -> Answer:
        """Sentence scoring reads the catalog and the store: keep it off the event loop."""
        return await asyncio.to_thread(self._extractive, *args)

    def _extractive(
        self, question: str, lang: str, hits: Sequence[Hit], qv: np.ndarray, header: str, note: str
    ) -> Answer:
        scored = sorted(self._sentences(hits, qv), key=lambda x: -x[0])
        chosen: list[tuple[float, int, str]] = []
        per_hit: dict[int, int] = {}
        for sim, i, sentence in scored:
            if per_hit.get(i, 0) >= 2 or len(sentence) < 15:
                continue
            chosen.append((sim, i, sentence))
            per_hit[i] = per_hit.get(i, 0) + 1
            if len(chosen) == 3:
                break
        order: list[int] = []
        lines = []
        citations = []
        for _, i, sentence in chosen:
            if i not in order:
                order.append(i)
                c = hits[i].chunk
                citations.append(
                    Citation(len(order), c.article_id, c.chunk_id, c.title, c.url, c.date, sentence)
                )
            lines.append(f"“{sentence}” [{order.index(i) + 1}]")
        body = "\n".join(lines)
        return Answer(
            question,
            f"{text(header, lang)}\n\n{body}",
            lang,
            True,
            citations,
            "extractive",
            note=note,
        )

    def _citations(self, hits: Sequence[Hit], used: list[int], qv: np.ndarray) -> list[Citation]:
        cited = [hits[n - 1] for n in used]
        best: dict[int, tuple[float, str]] = {}
        for sim, i, sentence in self._sentences(cited, qv):
            if i not in best or sim > best[i][0]:
                best[i] = (sim, sentence)
        out = []
        for number, h in enumerate(cited, 1):
            c = h.chunk
            quote = best.get(number - 1, (0.0, c.text[:300]))[1]
            out.append(Citation(number, c.article_id, c.chunk_id, c.title, c.url, c.date, quote))
        return out


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000
