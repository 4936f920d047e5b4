"""The question in the corpus's main languages, for search (with a model configured): an article
is found best by words and phrasing of its own language. One model call per question, cached; a
failure or an unreadable reply means searching the question as it was asked."""

from __future__ import annotations

import json
import logging
import re

from cachetools import LRUCache

from prompts import render
from retrieval.languages import name as language_name
from retrieval.languages import normalize
from retrieval.llm.citations import strip_reasoning
from retrieval.llm.client import ChatModel, LLMError
from retrieval.sources.metadata import json_data, language_code

log = logging.getLogger(__name__)

MAX_LANGUAGES = 3
MIN_SHARE = 0.05  # a language with fewer of the articles is not worth a translation
CACHE = 512
_OBJECT = re.compile(r"\{.*\}", re.S)


def target_languages(articles_per_language: dict[str, int], question_lang: str) -> list[str]:
    """The corpus's main languages other than the question's (at most three)."""
    total = sum(articles_per_language.values()) or 1
    ranked = sorted(articles_per_language.items(), key=lambda kv: -kv[1])
    return [
        lang
        for lang, n in ranked
        if lang and lang != "?" and lang != question_lang and n / total >= MIN_SHARE
    ][:MAX_LANGUAGES]


def parse(reply: str, targets: list[str]) -> dict[str, str]:
    """{lang: translation} from a model's reply (a JSON object, perhaps in a code fence)."""
    m = _OBJECT.search(strip_reasoning(reply or ""))
    if not m:
        return {}
    try:
        data = json_data(m.group(0))
    except json.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    out = {}
    for key, value in data.items():
        lang = normalize(str(key))
        if lang in targets and isinstance(value, str) and 0 < len(value.strip()) <= 500:
            out[lang] = value.strip()
    return out


def translation_prompt(question: str, targets: list[str]) -> str:
    """The question fenced, and only real language codes named (a stored `lang` is data too)."""
    codes = [c for c in dict.fromkeys(language_code(t) for t in targets) if c]
    return render(
        "translate",
        languages=", ".join(f"{language_name(c)} ({c})" for c in codes),
        codes=", ".join(codes),
        question=question,
    )


class Translator:
    def __init__(self, llm: ChatModel) -> None:
        self.llm = llm
        self._cache: LRUCache[tuple[str, tuple[str, ...]], dict[str, str]] = LRUCache(CACHE)

    async def translate(self, question: str, targets: list[str]) -> dict[str, str]:
        if not targets:
            return {}
        key = (question, tuple(targets))
        if (kept := self._cache.get(key)) is not None:
            return kept
        prompt = translation_prompt(question, targets)
        try:
            reply = await self.llm.complete([{"role": "user", "content": prompt}], 400)
        except LLMError as exc:
            log.info("searching untranslated: %s", exc)
            return {}
        out = parse(reply, targets)
        if not out:
            log.info("searching untranslated: no translation in the model's reply")
        self._cache[key] = out
        return out
