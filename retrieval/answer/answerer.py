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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cachetools import LRUCache

from retrieval.answer.quotes import cited, extractive_answer
from retrieval.answer.support import check_support
from retrieval.index.duplicates import with_copies
from retrieval.index.inventory import Holdings, holdings
from retrieval.index.parts import Index
from retrieval.languages import normalize
from retrieval.llm.citations import (
    Checked,
    check_citations,
    normalise,
    strip_echo,
    strip_reasoning,
)
from retrieval.llm.client import ChatModel, LLMError, Message
from retrieval.llm.prompts import (
    NOT_FOUND,
    Turn,
    answer_messages,
    language_retry_messages,
    max_tokens,
    rewrite_messages,
)
from retrieval.search.by_time import with_newest_source
from retrieval.search.gate import Gate
from retrieval.search.hybrid import SearchResult
from retrieval.search.passages import find_passages
from retrieval.search.translate import Translator, target_languages
from retrieval.strings import text
from retrieval.text.analysis import analyse, unspaced
from retrieval.text.numbers import without_numbers
from retrieval.timing import ms_since
from retrieval.types import ANSWERED, NOT_COVERED, UNCERTAIN, Answer

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


def _same_words(a: str, b: str) -> bool:
    """The same question, give or take case, spacing and punctuation (a model's rewrite of a
    question that stands alone)."""
    return re.sub(r"\W+", " ", a).casefold().strip() == re.sub(r"\W+", " ", b).casefold().strip()


_OPEN_MARKER = re.compile(r"\[[^\]]{0,12}$")


def _showable(so_far: str) -> str:
    """What of a reply still streaming may be shown: no reasoning block (an open one hides the
    rest), nothing while it may still become the not-found marker, no half-written `[1`."""
    text = strip_echo(strip_reasoning(so_far))
    upper = text.upper()
    if NOT_FOUND in upper:
        text = text[: upper.index(NOT_FOUND)]
    for k in range(len(NOT_FOUND) - 1, 0, -1):  # the marker's beginning, still arriving
        if upper.endswith(NOT_FOUND[:k]) and (len(text) == k or not text[-k - 1].isalnum()):
            text = text[:-k]
            break
    text = re.sub(r"</?(?:[A-Za-z][^>\n]*)?$", "", text)  # perhaps a tag, still arriving
    return _OPEN_MARKER.sub("", text).rstrip()


@dataclass
class Asked:
    """A question on its way through the steps: as asked, as it stands alone, its language, the
    passages found for it, and the milliseconds each step took."""

    question: str
    standalone: str
    lang: str
    result: SearchResult
    timings: dict[str, float]
    shelves: tuple[str, ...] = ()  # searched (empty: every shelf)


@dataclass(frozen=True)
class Reply:
    """What the model said (reasoning removed), the messages and token limit it was asked with,
    and why there is no reply when there is none."""

    text: str
    messages: list[Message]
    limit: int
    failure: str = ""


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
        # (generation, holdings) per set of shelves, for the few sets the chats are bound to
        self._held: LRUCache[tuple[str, ...], tuple[int, Holdings]] = LRUCache(64)
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
        shelves: Sequence[str] = (),
    ) -> Answer:
        """`language` forces the answer language (a group setting); otherwise it is detected.
        `shelves` (empty: every shelf) are the only articles searched: a chat's.
        Steps, each a method below: detect, rewrite, retrieve (translated too, with a model),
        decide, ask, check."""
        start = time.perf_counter()
        question = question.strip()
        timings: dict[str, float] = {}
        lang = await self._detect(question, language_hint, language, timings)
        if question:
            asked = await self._retrieve(question, history, lang, timings, tuple(shelves))
            ans = self._finish(await self._decide(asked, on_delta, length), asked)
        else:
            ans = Answer(question, text("empty_question", lang), lang, False, [], "extractive",
                         note="empty")  # fmt: skip
        timings["total_ms"] = ms_since(start)
        ans.timings = timings
        return ans

    # --- detect, rewrite, retrieve --------------------------------------------------------------
    async def _detect(self, question: str, hint: str, forced: str, t: dict[str, float]) -> str:
        mark = time.perf_counter()
        detected = (
            "" if forced or not question
            else await asyncio.to_thread(self.index.detector.detect, question, hint)
        )  # fmt: skip
        t["detect_ms"] = ms_since(mark)
        return normalize(forced or detected or hint or "en")

    async def _retrieve(
        self,
        question: str,
        history: Sequence[Turn],
        lang: str,
        t: dict[str, float],
        shelves: tuple[str, ...] = (),
    ) -> Asked:
        """The question as it stands alone, and the passages found for it: in its own words,
        then (with a model) in the corpus's languages too, before anything is refused."""
        # A Chinese question about a German article: the articles' own languages find what the
        # question's wording may miss. The model translates while the question is searched as
        # asked. (Not waiting for it when that search is already confident was tried: the
        # sample corpus's "Welches Telefon benutzte Lei Jun?" is confident on the German lead
        # paragraph, and only the English translation finds the sentence that answers.)
        # In a conversation the question is translated while the model rewrites it: most
        # questions stand alone and come back unchanged, and then the answer waits for one
        # model call before it, not two.
        translating = self._translate_later(question, lang) if history else None
        mark = time.perf_counter()
        standalone, by_rule = await self._standalone(question, history, lang)
        t["rewrite_ms"] = ms_since(mark)
        # The numbers that must be in a found article: a model's rewrite names what the user
        # means; a rule's puts the previous question in front, whose numbers are not asked again.
        numbers_of = question if standalone.endswith(question) else standalone
        if translating is None or not _same_words(standalone, question):
            if translating is not None:
                translating.cancel()
            translating = self._translate_later(standalone, lang)
        mark = time.perf_counter()
        searched, result = await asyncio.to_thread(
            self._search, question, standalone, by_rule, lang, numbers_of, shelves
        )
        t["search_ms"] = ms_since(mark)
        if translating is not None:
            mark = time.perf_counter()
            if not _same_words(searched, standalone):  # the question alone, not the merge
                translating.cancel()
                translating = self._translate_later(searched, lang)
            assert translating is not None
            translations = await translating
            if translations:
                result = await asyncio.to_thread(
                    self.retrieve, searched, lang, translations, numbers_of, shelves
                )
            t["translate_ms"] = ms_since(mark)
        return Asked(question, searched, lang, result, t, shelves)

    async def _standalone(
        self, question: str, history: Sequence[Turn], lang: str
    ) -> tuple[str, bool]:
        """The question as it stands alone, and whether a rule (not the model) merged it."""
        rewritten = ""
        if history and self.llm is not None:
            try:
                out = (
                    await self.llm.complete(rewrite_messages(question, history, lang), 120)
                ).strip()
                if out and len(out) < 500 and NOT_FOUND not in out:
                    rewritten = out.splitlines()[0].strip()
            except LLMError as exc:
                log.info("follow-up rewrite by rule: %s", exc)
        merged = rule_rewrite(question, history, lang) if history and not rewritten else question
        return (rewritten, False) if rewritten else (merged, merged != question)

    def _search(
        self,
        question: str,
        standalone: str,
        by_rule: bool,
        lang: str,
        numbers_of: str,
        shelves: tuple[str, ...] = (),
    ) -> tuple[str, SearchResult]:
        """A rule's merge with the previous question is a guess: a question the articles cover
        on its own is answered on its own."""
        alone = self.retrieve(question, lang, shelves=shelves) if by_rule else None
        if alone is not None and self.gate.covered(alone):
            found = (question, alone)
        else:
            found = (standalone, self.retrieve(standalone, lang, asked=numbers_of, shelves=shelves))
        return found

    def retrieve(
        self,
        query: str,
        lang: str = "",
        translations: dict[str, str] | None = None,
        asked: str = "",
        shelves: tuple[str, ...] = (),
    ) -> SearchResult:
        """The search the answer stands on (search/passages.py), within `shelves` (empty: all)."""
        return find_passages(
            self.index, query, self.top_k, self.gate.covered, self.clock(), query_lang=lang,
            translations=translations, asked=asked, shelves=shelves,
        )  # fmt: skip

    def _translate_later(self, question: str, lang: str) -> asyncio.Task[dict[str, str]] | None:
        """The question in the corpus's main languages, asked of the model in the background."""
        if self.translator is None:
            return None
        translator = self.translator

        async def work() -> dict[str, str]:
            langs = await asyncio.to_thread(self.index.languages)
            return await translator.translate(question, target_languages(langs, lang))

        return asyncio.ensure_future(work())

    # --- decide ---------------------------------------------------------------------------------
    async def _decide(self, asked: Asked, on_delta: OnDelta | None, length: str) -> Answer:
        """Search alone refuses only a question that is clearly off topic. With a model, the
        model reads the passages and decides the rest; offline, close passages are quoted as
        the answer and the others as the closest passages, said so."""
        verdict = self.gate.verdict(asked.result, model=self.llm is not None)
        if verdict == NOT_COVERED:
            numbers = asked.result.unmatched_numbers
            note = f"no found article mentions {', '.join(numbers)}" if numbers else (
                "retrieval found nothing relevant")  # fmt: skip
            ans = await self._not_covered(asked, note)
        elif self.llm is None:
            ans = self._quotes(asked, verdict, "offline_header", "no language model configured")
        else:
            ans = await self._from_model(asked, verdict, on_delta, length)
        return ans

    def _finish(self, ans: Answer, asked: Asked) -> Answer:
        ans.standalone_question = asked.standalone
        ans.citations = with_copies(ans.citations, asked.result.copies)
        if ans.found and asked.result.latest:
            ans.text = with_newest_source(ans, self.clock())
        return ans

    # --- ask, check -----------------------------------------------------------------------------
    async def _from_model(
        self, asked: Asked, verdict: str, on_delta: OnDelta | None, length: str
    ) -> Answer:
        """The model's answer, checked; quotes when it cannot be had or tied to the sources.
        Its NOT_FOUND is never an answer: passages search is sure of are shown as uncertain."""
        reply = await self._ask(asked, length, on_delta)
        if reply.failure:
            ans = self._quotes(asked, verdict, "offline_header", reply.failure)
        elif reply.text.upper().startswith(NOT_FOUND) or reply.text.upper().endswith(NOT_FOUND):
            ans = await self._found_nothing(asked)
        else:
            ans = await self._written(asked, verdict, reply)
        return ans

    async def _ask(self, asked: Asked, length: str, on_delta: OnDelta | None) -> Reply:
        """The model's reply without its reasoning, or why there is none."""
        assert self.llm is not None
        mark = time.perf_counter()
        today = self.clock().date().isoformat()
        messages = answer_messages(asked.standalone, asked.result.hits, asked.lang, length, today)
        limit = max_tokens(length)
        try:
            out = strip_reasoning(await self._complete(messages, limit, on_delta))
            failure = "" if out else "the model returned an empty reply"
        except LLMError as exc:
            log.warning("answering offline: %s", exc)
            out, failure = "", str(exc)
        asked.timings["llm_ms"] = ms_since(mark)
        return Reply(out, messages, limit, failure)

    async def _complete(
        self, messages: list[Message], max_tokens: int, on_delta: OnDelta | None
    ) -> str:
        """The whole reply; streamed to `on_delta` as far as it may be shown (`_showable`)."""
        assert self.llm is not None
        if on_delta is None:
            reply = await self.llm.complete(messages, max_tokens)
        else:
            parts: list[str] = []
            shown = ""
            async for delta in self.llm.stream(messages, max_tokens):
                parts.append(delta)
                visible = _showable("".join(parts))
                if len(visible) > len(shown) and visible.startswith(shown):
                    await on_delta(visible[len(shown) :])
                    shown = visible
            reply = "".join(parts)
        return reply

    async def _found_nothing(self, asked: Asked) -> Answer:
        """Search sure the passages are on topic (a small model often refuses on a source in
        another language): what they say is shown, as unconfirmed. Otherwise not covered."""
        if self.gate.confident(asked.result):
            ans = self._quotes(asked, UNCERTAIN, "model_unsure_header",
                               "the model found no answer; the passages are close to the "
                               "question")  # fmt: skip
        else:
            ans = await self._not_covered(asked, note="the model found no answer in the sources")
        return ans

    async def _written(self, asked: Asked, verdict: str, reply: Reply) -> Answer:
        """The model's text with its citations checked (and in the asker's language)."""
        assert self.llm is not None
        mark = time.perf_counter()
        checked = await self._checked(reply.text, asked.result, asked.lang, asked.standalone)
        if checked.invalid:
            log.info("removed invented citation numbers %s", checked.invalid)
        understood = True
        if checked.used:
            checked, understood = await self._in_language(asked, reply, checked)
        if checked.used and understood:
            citations = cited(asked.result.hits, checked.used, asked.result.sentences)
            ans = Answer(asked.question, checked.text, asked.lang, True, citations, "llm",
                         model=self.llm.name)  # fmt: skip
        elif checked.used:  # the model found it, but twice wrote in another language
            ans = self._quotes(asked, ANSWERED, "other_language_header",
                               "the model answered in another language twice")  # fmt: skip
        else:
            ans = self._quotes(asked, verdict, "unverified_header",
                               "the model cited no valid source")  # fmt: skip
        asked.timings["check_ms"] = ms_since(mark)
        return ans

    def _quotes(self, asked: Asked, verdict: str, header: str, note: str) -> Answer:
        """The best source sentences, under `header` when search found the answer close, under
        the "could not confirm" one otherwise."""
        if verdict != ANSWERED and header != "model_unsure_header":
            header = "uncertain_header"
        r = asked.result
        return extractive_answer(asked.question, asked.lang, r.hits, r.sentences, header, note,
                                 in_hit_order=r.latest, coverage=verdict)  # fmt: skip

    async def _checked(
        self, reply: str, result: SearchResult, lang: str, question: str = ""
    ) -> Checked:
        """Citation numbers read and validated, each moved or dropped unless its passage
        supports its sentence, then renumbered in order of use. A number the question names
        that no found article mentions is not given by the question: a sentence stating it
        ("the Mi 11 Pro costs 999 euros") needs it in its cited passage like any other fact."""
        question = without_numbers(question, result.unmatched_numbers)
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

    async def _in_language(
        self, asked: Asked, reply: Reply, checked: Checked
    ) -> tuple[Checked, bool]:
        """A reply in another language than the question's is asked for once more; whether
        the reply kept is in the asker's language."""
        if not await self._foreign(checked, asked.lang):
            return checked, True
        retried = await self._retry_language(asked, reply)
        if retried is not None:
            return retried, True
        return checked, False

    async def _foreign(self, checked: Checked, lang: str) -> bool:
        """Clearly in another language (`LanguageDetector.foreign`), its citation marks aside."""
        plain = re.sub(r"\[\d+\]", "", checked.text)
        return await asyncio.to_thread(self.index.detector.foreign, plain, lang)

    async def _retry_language(self, asked: Asked, reply: Reply) -> Checked | None:
        """The retried reply when it cites and is in the asker's language; else None."""
        assert self.llm is not None
        again = language_retry_messages(reply.messages, reply.text, asked.lang)
        try:
            out = (await self.llm.complete(again, reply.limit)).strip()
        except LLMError:
            out = ""
        if out:
            retried = await self._checked(
                strip_reasoning(out), asked.result, asked.lang, asked.standalone
            )
            if retried.used and not await self._foreign(retried, asked.lang):
                return retried
        return None

    # --- not covered ----------------------------------------------------------------------------
    async def _not_covered(self, asked: Asked, note: str) -> Answer:
        """Said plainly, with what the articles do cover (how many, from when, in which
        languages: of the shelves searched), so the asker knows whether to rephrase or to look
        elsewhere."""
        question, lang = asked.question, asked.lang
        held = await asyncio.to_thread(self._holdings, asked.shelves)
        body = text("not_covered", lang)
        if held.articles:
            body = f"{body}\n\n{held.describe(lang)}"
        return Answer(question, body, lang, False, [], "extractive" if self.llm is None else "llm",
                      model=self.llm.name if self.llm else "", note=note,
                      coverage=NOT_COVERED)  # fmt: skip

    def _holdings(self, shelves: tuple[str, ...]) -> Holdings:
        """Read again only when the catalog changed (its generation moves with every write)."""
        generation = self.index.catalog.generation()
        key = tuple(sorted(shelves))
        held = self._held.get(key)
        if held is None or held[0] != generation:
            held = self._held[key] = (generation, holdings(self.index, key))
        return held[1]
