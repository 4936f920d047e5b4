"""Follow-ups: rewritten into a standalone question by the model, or, without one, searched
together with the previous question only when they lean on it."""

from __future__ import annotations

from retrieval.answer.answerer import Answerer, rule_rewrite
from retrieval.index.parts import Index
from retrieval.strings import text
from testing.openai_server import FakeOpenAI

EN_Q = "Which phone was Xiaomi's CEO caught using?"


async def test_follow_up_is_rewritten_by_the_model(
    answerer: Answerer, fake_openai: FakeOpenAI
) -> None:
    fake_openai.queue("chat", content="When did Lei Jun post a photo from his iPhone?")
    fake_openai.queue("chat", content="The articles do not give a date for the post [1].")
    history = [(EN_Q, "Lei Jun was caught using an iPhone [1].")]
    ans = await answerer.answer("and when was that?", history=history)
    assert ans.standalone_question == "When did Lei Jun post a photo from his iPhone?"
    rewrite_prompt = fake_openai.chats()[0]["messages"][0]["content"]
    assert EN_Q in rewrite_prompt and "and when was that?" in rewrite_prompt
    user = fake_openai.chats()[-1]["messages"][1]["content"]
    assert "When did Lei Jun post a photo" in user


def test_follow_up_rule_without_a_model() -> None:
    history = [("Warum zieht sich Lei Jun zurück?", "…")]
    assert rule_rewrite("und warum?", history) == "Warum zieht sich Lei Jun zurück? und warum?"
    assert rule_rewrite(
        "Wie viele Xiaomi 17 wurden in den ersten fünf Tagen verkauft?", history
    ).startswith("Wie viele")
    assert rule_rewrite("and when?", []) == "and when?"
    assert rule_rewrite("Wie viel kostet es?", history, "de").startswith("Warum zieht")
    assert rule_rewrite("为什么？", history, "zh").startswith("Warum zieht")
    for new in ("What's Australia's capital?", "ऑस्ट्रेलिया की राजधानी क्या है?",
                "เมืองหลวงของประเทศออสเตรเลียคือเมืองอะไร"):  # fmt: skip
        assert rule_rewrite(new, history, "") == new


async def test_without_a_model_a_new_question_is_not_merged_with_the_previous_one(
    sample: Index,
) -> None:
    """Found in a fresh clone's terminal chat: every question of five words or less was taken
    for a follow-up and searched behind the previous question. A Hindi question about
    Australia's capital, after the phone's price, was answered with the price quotes; the
    German phone question, after a Thai question, was "not covered"."""
    offline = Answerer(sample, None)
    price = "How much does the Xiaomi Mi 10 Pro cost in Spain?"
    capital = await offline.answer("ऑस्ट्रेलिया की राजधानी क्या है?", history=[(price, "…")])
    assert not capital.found and capital.text.startswith(text("not_covered", "hi"))
    thai = "เมืองหลวงของประเทศออสเตรเลียคือเมืองอะไร"
    phone = await offline.answer(
        "Welches Telefon benutzte Lei Jun?", history=[(thai, text("not_covered", "th"))]
    )
    assert phone.found and phone.standalone_question == "Welches Telefon benutzte Lei Jun?"
    assert any("iPhone" in c.quote for c in phone.citations)
    # A question that names at most one thing of its own is still a follow-up.
    why = await offline.answer("Why did he use it?", history=[(price, "…")])
    assert why.standalone_question == f"{price} Why did he use it?"
