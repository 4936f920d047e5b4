"""question (+ history, + language hint) -> Answer: cited, in the question's language, honest.

Steps: detect the language; rewrite a follow-up into a standalone question; search; decide
whether the articles cover it at all; ask the model with numbered, delimited sources; check its
citations and language. Without a model (none configured, unreachable, or failing after retries)
the answer quotes the most relevant source sentences instead, and says so.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import chain

from .citations import Checked, check_citations, normalise, strip_reasoning
from .duplicates import also_published, with_copies
from .gate import Gate
from .index import Index
from .inventory import Holdings, holdings
from .keyword import analyse, unspaced
from .languages import normalize
from .llm import ChatModel, LLMError, Message
from .messages import text
from .models import ANSWERED, NOT_COVERED, UNCERTAIN, Answer
from .numbers import unmatched
from .prompting import (
    NOT_FOUND,
    Turn,
    answer_messages,
    language_retry_messages,
    max_tokens,
    rewrite_messages,
)
from .quotes import cited, extractive_answer
from .search import SearchResult
from .support import check_support
from .time_search import search_in_time, with_newest_source
from .timing import ms_since
from .translate import Translator, target_languages

log = logging.getLogger(__name__)

OnDelta = Callable[[str], Awaitable[None]]

# A message that opens with a conjunction leans on the previous one ("and why?", "und dann?").
_FOLLOW_UP = re.compile(
    r"^\W*(and|but|also|so|und|aber|auch|also|и|а|но|тоже|y|e|pero|también|et|mais|aussi|"
    r"và|nhưng|còn|і|а|але|також|那|那么|还有|而且)\b",
    re.IGNORECASE,
)


def rule_rewrite(question: str, history: Sequence[Turn], lang: str = "") -> str:
    """Without a model: a follow-up is searched together with the previous question. It opens
    with a conjunction ("und warum?"), or names at most one thing of its own ("Wie viel kostet
    es?", "When was that?"). Counting words instead took every question of five words or less
    for a follow-up: "ऑस्ट्रेलिया की राजधानी क्या है?" after a question about a phone's price
    was answered with the price. (`Answerer` also keeps a question the articles cover alone.)"""
    if not history:
        return question
    own = analyse(question, lang)
    pairs = any(unspaced(t) for t in own)  # character pairs: a word or two make 1-4
    if _FOLLOW_UP.search(question) or len(own) <= (4 if pairs else 1):
        return f"{history[-1][0]} {question}"
    return question


_OPEN_MARKER = re.compile(r"\[[^\]]{0,12}$")


def _showable(so_far: str) -> str:
    """What of a reply still streaming may be shown: no reasoning block (an open one hides the
    rest), nothing while it may still become the not-found marker, no half-written `[1`."""
    text = strip_reasoning(so_far)
    upper = text.upper()
    if NOT_FOUND in upper:
        text = text[: upper.index(NOT_FOUND)]
    for k in range(len(NOT_FOUND) - 1, 0, -1):  # the marker's beginning, still arriving
        if upper.endswith(NOT_FOUND[:k]) and (len(text) == k or not text[-k - 1].isalnum()):
            text = text[:-k]
            break
    text = re.sub(r"<\w*$", "", text)  # perhaps a reasoning tag, still arriving
    return _OPEN_MARKER.sub("", text).rstrip()


class Answerer:
    def __init__(
        self,
        index: Index,
        llm: ChatModel | None,
        gate: Gate | None = None,
        top_k: int | None = None,
        translate: bool | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """`translate` (default FOOTNOTE_TRANSLATE_QUERIES): with a model, also search the
        question in the corpus's main languages. `clock` is "now" for questions about time."""
        self.index = index
        self.clock = clock or (lambda: datetime.now(UTC))
        self.llm = llm
        s = index.settings
        self.gate = gate or Gate(
            s.gate_min_score, s.gate_min_similarity, s.gate_confident_score, s.gate_off_topic_score
        )
        self._held: tuple[int, Holdings] | None = None
        self.top_k = top_k or index.settings.top_k
        if translate is None:
            translate = index.settings.translate_queries
        self.translator = Translator(llm) if llm is not None and translate else None

    async def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        language_hint: str = "",
        on_delta: OnDelta | None = None,
        length: str = "normal",
        language: str = "",
    ) -> Answer:
        """`language` forces the answer language (a group setting); otherwise it is detected.
        Steps: detect, rewrite, retrieve (translated too, with a model), decide, ask, check."""
        t: dict[str, float] = {}
        start = time.perf_counter()
        question = question.strip()
        lang = await self._language(question, language_hint, language)
        t["detect_ms"] = ms_since(start)
        if not question:
            return Answer(
                question, text("empty_question", lang), lang, False, [], "extractive", note="empty"
            )
        mark = time.perf_counter()
        standalone, by_rule = await self._standalone(question, history, lang)
        t["rewrite_ms"] = ms_since(mark)
        # The numbers that must be in a found article: a model's rewrite names what the user
        # means; a rule's puts the previous question in front, whose numbers are not asked again.
        asked = question if standalone.endswith(question) else standalone
        mark = time.perf_counter()
        standalone, result = await asyncio.to_thread(
            self._search, question, standalone, by_rule, lang, asked
        )
        t["search_ms"] = ms_since(mark)
        if self.translator is not None:
            # Before anything is refused: the articles' own languages find what the question's
            # wording may miss (a Chinese question about a German article).
            mark = time.perf_counter()
            result = await self._translated(standalone, lang, result, asked)
            t["translate_ms"] = ms_since(mark)
        ans = await self._decide(question, standalone, lang, result, on_delta, length, t)
        ans.standalone_question = standalone
        ans.citations = with_copies(ans.citations, result.copies)
        if ans.found and result.latest:
            ans.text = with_newest_source(ans, self.clock())
        t["total_ms"] = ms_since(start)
        ans.timings = t
        return ans

    async def _language(self, question: str, hint: str, forced: str) -> str:
        detected = (
            "" if forced else await asyncio.to_thread(self.index.detector.detect, question, hint)
        )
        return normalize(forced or detected or hint or "en")

    async def _decide(
        self, question: str, standalone: str, lang: str, result: SearchResult,
        on_delta: OnDelta | None, length: str, t: dict[str, float],
    ) -> Answer:  # fmt: skip
        """Search alone refuses only a question that is clearly off topic. With a model, the
        model reads the passages and decides the rest; offline, close passages are quoted as
        the answer and the others as the closest passages, said so."""
        verdict = self.gate.verdict(result)
        if verdict == NOT_COVERED:
            note = "retrieval found nothing relevant"
            if result.unmatched_numbers:
                note = f"no found article mentions {', '.join(result.unmatched_numbers)}"
            return await self._not_covered(question, lang, note)
        if self.llm is None:
            return self._quotes(question, lang, result, verdict, "offline_header",
                                "no language model configured")  # fmt: skip
        return await self._from_model(question, standalone, lang, result, verdict, on_delta,
                                      length, t)  # fmt: skip

    async def _from_model(
        self, question: str, standalone: str, lang: str, result: SearchResult, verdict: str,
        on_delta: OnDelta | None, length: str, t: dict[str, float],
    ) -> Answer:  # fmt: skip
        """The model's answer, checked; quotes when it cannot be had or tied to the sources.
        Its NOT_FOUND is never an answer: passages search is sure of are shown as uncertain."""
        assert self.llm is not None
        mark = time.perf_counter()
        today = self.clock().date().isoformat()
        messages = answer_messages(standalone, result.hits, lang, length, today)
        limit = max_tokens(length)
        try:
            reply = await self._ask(messages, limit, on_delta)
        except LLMError as exc:
            log.warning("answering offline: %s", exc)
            t["llm_ms"] = ms_since(mark)
            return self._quotes(question, lang, result, verdict, "offline_header", str(exc))
        t["llm_ms"] = ms_since(mark)
        mark = time.perf_counter()
        reply = strip_reasoning(reply)  # a reply that is only reasoning is empty
        if not reply:
            return self._quotes(question, lang, result, verdict, "offline_header",
                                "the model returned an empty reply")  # fmt: skip
        if reply.upper().startswith(NOT_FOUND) or reply.upper().endswith(NOT_FOUND):
            if self.gate.confident(result):
                # Search is sure the passages are on topic (a small model often refuses on a
                # source in another language): show what they say, as unconfirmed.
                return self._quotes(question, lang, result, UNCERTAIN, "model_unsure_header",
                                    "the model found no answer; the passages are close to "
                                    "the question")  # fmt: skip
            return await self._not_covered(
                question, lang, note="the model found no answer in the sources"
            )
        checked = await self._checked(reply, result, lang, standalone)
        if checked.invalid:
            log.info("removed invented citation numbers %s", checked.invalid)
        if not checked.used:
            return self._quotes(question, lang, result, verdict, "unverified_header",
                                "the model cited no valid source")  # fmt: skip
        reply_lang = await self._language_of(checked)
        if reply_lang and reply_lang != lang and len(checked.text) > 40:
            retried = await self._retry_language(messages, reply, lang, limit, result, standalone)
            if retried is not None:
                checked = retried
        citations = cited(result.hits, checked.used, result.sentences)
        t["check_ms"] = ms_since(mark)
        return Answer(question, checked.text, lang, True, citations, "llm", model=self.llm.name)

    def _quotes(
        self, question: str, lang: str, result: SearchResult, verdict: str, header: str, note: str
    ) -> Answer:
        """The best source sentences, under `header` when search found the answer close, under
        the "could not confirm" one otherwise."""
        if verdict != ANSWERED and header != "model_unsure_header":
            header = "uncertain_header"
        return extractive_answer(question, lang, result.hits, result.sentences, header, note,
                                 in_hit_order=result.latest, coverage=verdict)  # fmt: skip

    async def _translated(
        self, question: str, lang: str, result: SearchResult, asked: str
    ) -> SearchResult:
        assert self.translator is not None
        targets = target_languages(await asyncio.to_thread(self.index.catalog.languages), lang)
        translations = await self.translator.translate(question, targets)
        if not translations:
            return result
        return await asyncio.to_thread(self.retrieve, question, lang, translations, asked)

    def _search(
        self, question: str, standalone: str, by_rule: bool, lang: str, asked: str
    ) -> tuple[str, SearchResult]:
        """A rule's merge with the previous question is a guess: a question the articles cover
        on its own is answered on its own."""
        if by_rule:
            alone = self.retrieve(question, lang)
            if self.gate.covered(alone):
                return question, alone
        return standalone, self.retrieve(standalone, lang, asked=asked)

    def retrieve(
        self,
        query: str,
        lang: str = "",
        translations: dict[str, str] | None = None,
        asked: str = "",
    ) -> SearchResult:
        """The search the answer stands on: passages, their sentences, the gate's figures; in
        the period the question names, when it names one and the corpus has stories from it.
        `asked` (default: the query) is the text whose numbers a found article must mention."""
        result = search_in_time(
            self.index, query, self.top_k, self.gate.covered, self.clock(), query_lang=lang,
            translations=translations,
        )  # fmt: skip
        ids = list(dict.fromkeys(h.chunk.article_id for h in result.hits))
        result.copies = also_published(self.index.catalog, ids)
        result.unmatched_numbers = unmatched(
            asked or query, chain((h.chunk.text for h in result.hits), self._article_texts(ids))
        )  # the hits first: their whole articles are read only for a number not in them
        return result

    def _article_texts(self, article_ids: list[str]) -> Iterator[str]:
        """Each article's headline, date and text, read only as far as a number check needs."""
        for aid in article_ids:
            chunks = self.index.catalog.chunks_of(aid)
            if chunks:
                yield f"{chunks[0].title} {chunks[0].date}"
            yield from (c.text for c in chunks)

    # --- steps ----------------------------------------------------------------------------------
    async def _standalone(
        self, question: str, history: Sequence[Turn], lang: str
    ) -> tuple[str, bool]:
        """The question as it stands alone, and whether a rule (not the model) merged it."""
        if not history:
            return question, False
        if self.llm is not None:
            try:
                out = (
                    await self.llm.complete(rewrite_messages(question, history, lang), 120)
                ).strip()
                if out and len(out) < 500 and NOT_FOUND not in out:
                    return out.splitlines()[0].strip(), False
            except LLMError as exc:
                log.info("follow-up rewrite by rule: %s", exc)
        merged = rule_rewrite(question, history, lang)
        return merged, merged != question

    async def _ask(self, messages: list[Message], max_tokens: int, on_delta: OnDelta | None) -> str:
        assert self.llm is not None
        if on_delta is None:
            return await self.llm.complete(messages, max_tokens)
        parts: list[str] = []
        shown = ""
        async for delta in self.llm.stream(messages, max_tokens):
            parts.append(delta)
            visible = _showable("".join(parts))
            if len(visible) > len(shown) and visible.startswith(shown):
                await on_delta(visible[len(shown) :])
                shown = visible
        return "".join(parts)

    async def _language_of(self, checked: Checked) -> str:
        plain = re.sub(r"\[\d+\]", "", checked.text)
        return await asyncio.to_thread(self.index.detector.detect, plain)

    async def _checked(
        self, reply: str, result: SearchResult, lang: str, question: str = ""
    ) -> Checked:
        """Citation numbers read and validated, each moved or dropped unless its passage
        supports its sentence, then renumbered in order of use."""
        text = normalise(reply)
        known = None
        if result.sentence_vectors is not None and result.sentences:
            known = ([(s.hit, s.text) for s in result.sentences], result.sentence_vectors)
        fixed, support = await asyncio.to_thread(
            check_support, self.index, text, result.hits, lang, known=known, question=question
        )
        if support.moved or support.dropped:
            log.info("citations moved %s, dropped %s, sentences left unsourced: %d",
                     support.moved, support.dropped, support.unsourced)  # fmt: skip
        return check_citations(fixed, len(result.hits))

    async def _retry_language(
        self, messages: list[Message], reply: str, lang: str, max_tokens: int,
        result: SearchResult, question: str,
    ) -> Checked | None:  # fmt: skip
        assert self.llm is not None
        try:
            again = language_retry_messages(messages, reply, lang)
            out = (await self.llm.complete(again, max_tokens)).strip()
        except LLMError:
            return None
        checked = await self._checked(strip_reasoning(out), result, lang, question)
        if checked.used and await self._language_of(checked) == lang:
            return checked
        return None

    async def _not_covered(self, question: str, lang: str, note: str) -> Answer:
        """Said plainly, with what the articles do cover (how many, from when, in which
        languages), so the asker knows whether to rephrase or to look elsewhere."""
        held = await asyncio.to_thread(self._holdings)
        body = text("not_covered", lang)
        if held.articles:
            body = f"{body}\n\n{held.describe(lang)}"
        return Answer(question, body, lang, False, [], "extractive" if self.llm is None else "llm",
                      model=self.llm.name if self.llm else "", note=note,
                      coverage=NOT_COVERED)  # fmt: skip

    def _holdings(self) -> Holdings:
        """Read again only when the catalog changed (its generation moves with every write)."""
        generation = self.index.catalog.generation()
        if self._held is None or self._held[0] != generation:
            self._held = (generation, holdings(self.index))
        return self._held[1]
