"""With a model configured, a covered question is also searched in the corpus's main languages:
one translation request to the (fake) OpenAI-compatible server, the versions' rankings fused,
and any failure falls back to the question as asked."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from retrieval.answer.answerer import Answerer
from retrieval.index.parts import Index
from retrieval.search.translate import parse, target_languages
from testing.openai_server import FakeOpenAI, chat_model_for

FR_Q = "Quel téléphone le patron de Xiaomi utilisait-il ?"
EN = "Which phone was Xiaomi's CEO caught using?"
DE = "Welches Handy benutzte der Chef von Xiaomi?"
PHONE = "caught wearing a iPhone"


@pytest.fixture
async def answerer(sample_index: Index, fake_openai: FakeOpenAI) -> AsyncIterator[Answerer]:
    llm = chat_model_for(sample_index, fake_openai, timeout=2.0)
    yield Answerer(sample_index, llm, translate=True)
    await llm.close()


def test_targets_are_the_main_other_languages() -> None:
    corpus = {"de": 40, "en": 30, "ru": 10, "tr": 9, "fr": 2, "?": 20}
    assert target_languages(corpus, "de") == ["en", "ru", "tr"]  # at most three; fr under 5%
    assert target_languages({"en": 5}, "en") == []


def test_the_reply_is_read_whatever_wraps_it() -> None:
    reply = (
        'Sure:\n```json\n{"EN": "Which phone?", "de": "Welches Handy?", "xx": "?", "ru": 3}\n```'
    )
    assert parse(reply, ["en", "de", "ru"]) == {"en": "Which phone?", "de": "Welches Handy?"}
    assert parse("I cannot translate that.", ["en"]) == {}
    assert parse('{"en": ', ["en"]) == {}


async def test_one_request_translates_and_the_rankings_are_fused(
    answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    untranslated = answerer.retrieve(FR_Q, "fr")
    fake_openai.queue("chat", content=json.dumps({"en": EN, "de": DE}))
    fake_openai.queue("chat", content="Un iPhone [1].")
    ans = await answerer.answer(FR_Q)
    assert ans.found and ans.language == "fr" and "translate_ms" in ans.timings

    first, second = fake_openai.chats()
    prompt = first["messages"][0]["content"]
    assert FR_Q in prompt and "English (en)" in prompt and "German (de)" in prompt
    assert "max_tokens" in first or "max_completion_tokens" in first

    # The English wording finds the English passage with a higher score than the French one did.
    fused = answerer.retrieve(FR_Q, "fr", {"en": EN, "de": DE})
    before = next(h.score for h in untranslated.hits if PHONE in h.chunk.text)
    after = next(h.score for h in fused.hits if PHONE in h.chunk.text)
    assert after > before
    assert fused.hits[0].score >= untranslated.hits[0].score
    assert PHONE in fused.hits[0].chunk.text
    assert fused.hits[0].keyword_rank is not None, "the English wording's words were searched too"
    sources = second["messages"][-1]["content"]
    source_1 = sources[sources.index('<source n="1"') :]
    assert PHONE in source_1[: source_1.index("</source>")], "the fused best passage is source 1"

    # Cached: the same question again costs only the answer.
    fake_openai.queue("chat", content="Un iPhone [1].")
    await answerer.answer(FR_Q)
    assert len(fake_openai.chats()) == 3


@pytest.mark.parametrize(
    "failure",
    [{"status": 400, "body": {"error": {"message": "bad"}}}, {"content": "Je ne peux pas."}],
)
async def test_a_failed_translation_searches_the_question_as_asked(
    answerer: Answerer, fake_openai: FakeOpenAI, failure: dict[str, object]
) -> None:
    fake_openai.queue("chat", **failure)
    fake_openai.queue("chat", content="Un iPhone [1].")
    ans = await answerer.answer(FR_Q)
    assert ans.found and ans.mode == "llm" and ans.text == "Un iPhone [1]."
    assert len(fake_openai.chats()) == 2


async def test_an_uncovered_question_costs_its_translation_and_no_answer_call(
    answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    """Translated before anything is refused (only the translation could find an article in
    another language); once clearly off topic, the model is not asked to answer."""
    ans = await answerer.answer("Wie hoch ist der Eiffelturm?")
    assert not ans.found and ans.coverage == "not_covered"
    asked = [c["messages"][-1]["content"] for c in fake_openai.chats()]
    assert len(asked) == 1 and asked[0].startswith("Translate the question")


async def test_the_german_phone_question_is_answered_from_the_english_article(
    answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    """Without a model the German article's lead paragraph ranks first by a hair (bench/NOTES.md);
    the question in English puts the passage that answers it first, and it is source 1."""
    q = "Welches Telefon benutzte Lei Jun?"
    fake_openai.queue("chat", content=json.dumps({"en": "Which phone did Lei Jun use?"}))
    fake_openai.queue("chat", content="Ein iPhone [1].")
    ans = await answerer.answer(q)
    assert ans.found and ans.language == "de"
    assert ans.citations[0].title == "Xiaomi CEO uses an iPhone"
    assert PHONE in ans.citations[0].quote


@pytest.mark.parametrize("rewrite", [DE, "Welches Handy benutzte Lei Jun, der Chef von Xiaomi?"])
async def test_in_a_conversation_the_question_is_translated_while_the_model_rewrites_it(
    answerer: Answerer, fake_openai: FakeOpenAI, rewrite: str
) -> None:
    """A question that stands alone comes back from the rewrite unchanged: its translation,
    asked at the same moment, is the one searched, and the answer waits for one model call
    before it, not two. A rewrite that changes the question is translated again."""

    def respond(body: dict[str, object]) -> str:
        prompt = str(body["messages"][-1]["content"])  # type: ignore[index]
        if prompt.startswith("Rewrite"):
            return rewrite
        if prompt.startswith("Translate"):
            return json.dumps({"en": "Which phone did Lei Jun use?"})
        return "Ein iPhone [1]."

    fake_openai.default["chat"] = {"respond": respond, "hang_unstreamed": 0.8}
    history = [("Was hat Xiaomi vorgestellt?", "Das Xiaomi 17 [1].")]
    ans = await answerer.answer(DE, history=history)
    assert ans.found and ans.standalone_question == rewrite

    sent = [(r["at"], str(r["body"]["messages"][-1]["content"])) for r in fake_openai.requests]
    rewrites = [at for at, p in sent if p.startswith("Rewrite")]
    translations = [(at, p) for at, p in sent if p.startswith("Translate")]
    assert len(rewrites) == 1 and abs(translations[0][0] - rewrites[0]) < 0.5  # side by side
    assert DE in translations[0][1]
    if rewrite == DE:
        assert len(translations) == 1
    else:  # the first translation was of words the answer does not search
        assert len(translations) == 2 and rewrite in translations[1][1]
