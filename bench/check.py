"""Checking posts (issue 28): 20 claims of our own built from news-de articles, checked against an
index of the first 200 of them (bundled embedder).

The claims (bench/data/check_claims.jsonl) are of three kinds: 8 sentences as an article states
them (true), 6 of those sentences with a number or a name changed (altered), and 6 statements no
article makes (not covered). Two fake models answer over the real `openai` client:
- one that follows the prompt: it reads the passages it was given and says SUPPORTED when a
  passage states the claim with its numbers, CONTRADICTED when a passage states it with another
  number or name, NOT_FOUND otherwise;
- a careless one that says SUPPORTED whenever a passage is about the claim: what the check of
  a verdict against its cited passage (support.missing_facts) catches.
Offline, no verdict is made: the measure is whether the claim's own article is the first cited.

    python -m bench.run --only check
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT, news_records, settings

CLAIMS = ROOT / "bench" / "data" / "check_claims.jsonl"
EXPECTED = {"true": "supported", "altered": "contradicted", "uncovered": "not_in_articles"}
ARTICLES = 200


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\w{3,}", text)}


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:[.,]\d+)?", text))


def _claims() -> list[dict[str, Any]]:
    return [json.loads(x) for x in CLAIMS.read_text(encoding="utf-8").splitlines() if x.strip()]


def _indexed(tmp: Path) -> Any:
    """The first ARTICLES news-de articles, indexed in `tmp` with the bundled embedder."""
    from retrieval.index.ingest import ingest
    from retrieval.index.parts import Index

    path = tmp / "news.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False)
                              for r in news_records(ARTICLES)), encoding="utf-8")  # fmt: skip
    index = Index(settings(tmp / "data"))
    assert ingest(index, [str(path)]).ok
    return index


def judge(careful: bool) -> Any:
    """A fake model for the verdict prompt (the claims prompt is answered with the claim)."""

    def reply(body: dict[str, Any]) -> str:
        prompt = body["messages"][-1]["content"]
        if "<post>" in prompt:
            post = re.search(r"<post>\s*(.*?)\s*</post>", prompt, re.S)
            return f"1. {post.group(1) if post else ''}"
        claim = re.search(r"<claims>\s*1\.\s*(.*?)\s*</claims>", prompt, re.S)
        text = claim.group(1) if claim else ""
        passages = re.findall(r'<source n="(\d+)"[^>]*>\n(.*?)\n</source>', prompt, re.S)
        words = _words(text)
        best = max(passages, key=lambda p: len(words & _words(p[1])), default=None)
        if best is None or len(words & _words(best[1])) < 0.6 * len(words):
            return "1. NOT_FOUND"
        same = _numbers(text) <= _numbers(best[1]) and _words(text) <= _words(best[1]) | {"the"}
        if careful and not same:
            return f"1. CONTRADICTED [{best[0]}]"
        return f"1. SUPPORTED [{best[0]}]"

    return reply


def bench_check() -> dict[str, Any]:
    from retrieval.answer.check import check_post
    from retrieval.ids import article_id
    from testing.openai_server import FakeOpenAI, chat_model_for

    claims = _claims()
    out: dict[str, Any] = {"claims": len(claims), "articles": ARTICLES}
    with tempfile.TemporaryDirectory() as tmp:
        index = _indexed(Path(tmp))
        for name, careful in (("following_model", True), ("careless_model", False)):
            fake = FakeOpenAI().start()
            fake.default["chat"] = {"respond": judge(careful)}
            llm = chat_model_for(index, fake, timeout=10.0)
            rows = []
            for c in claims:
                result = asyncio.run(check_post(index, llm, c["claim"], language="de"))
                got = result.claims[0].verdict if result.claims else "none"
                rows.append({"kind": c["kind"], "expected": EXPECTED[c["kind"]], "got": got})
            asyncio.run(llm.close())
            fake.stop()
            out[name] = _tally(rows)
        first = []
        for c in claims:
            if c["kind"] == "uncovered":
                continue
            result = asyncio.run(check_post(index, None, c["claim"], language="de"))
            cites = result.claims[0].citations if result.claims else []
            first.append(
                bool(cites) and cites[0].article_id == article_id(f"id:{c['article']}", "", "")
            )
        out["offline_right_article_first"] = f"{sum(first)}/{len(first)}"
        index.close()
    print(json.dumps(out, indent=2), flush=True)
    return out


REAL = (0, 1, 8, 11, 14)  # two true claims, two altered (a number, a name), one not covered


def bench_check_real(base_url: str) -> dict[str, Any]:
    """Five of the claims with a real OpenAI-compatible server (`../shared/tools/real-llm.sh`):
    the verdicts that stand and what the model replied. By hand only: never in CI."""
    from dataclasses import replace

    from pydantic import SecretStr

    from retrieval.answer.check import check_post
    from retrieval.llm.client import make_llm

    claims = _claims()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        index = _indexed(Path(tmp))
        llm = make_llm(replace(index.settings, openai_base_url=base_url, llm_model="local",
                               openai_api_key=SecretStr("local"), llm_timeout=300.0,
                               llm_retries=0))  # fmt: skip
        assert llm is not None
        replies: list[str] = []
        complete = llm.complete

        async def recorded(messages: Any, max_tokens: int) -> str:
            """The model's raw reply, kept to tell its own verdict from the checks' (bench only)."""
            reply = await complete(messages, max_tokens)
            replies.append(reply)
            return reply

        llm.complete = recorded  # type: ignore[method-assign]

        async def all_five() -> None:  # one event loop: the client's connections live in it
            for i in REAL:
                c = claims[i]
                replies.clear()
                result = await check_post(index, llm, c["claim"], language="de")
                rows.append({"kind": c["kind"], "claim": c["claim"],
                             "expected": EXPECTED[c["kind"]],
                             "claims_listed": [x.claim for x in result.claims],
                             "verdicts": [x.verdict for x in result.claims],
                             "model_verdicts": replies[-1] if len(replies) > 1 else ""})  # fmt: skip
                print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
            await llm.close()

        asyncio.run(all_five())
        index.close()
    return {"claims": rows}


def _tally(rows: list[dict[str, str]]) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], {}).setdefault(r["got"], 0)
        by_kind[r["kind"]][r["got"]] += 1
    right = sum(1 for r in rows if r["got"] == r["expected"])
    return {"right": f"{right}/{len(rows)}", "by_kind": by_kind}


def render_check(ch: dict[str, Any]) -> list[str]:
    def row(name: str, label: str) -> str:
        t = ch[name]
        cells = [
            ", ".join(f"{v} {n}" for v, n in sorted(t["by_kind"].get(k, {}).items()))
            for k in ("true", "altered", "uncovered")
        ]
        return f"| {label} | {t['right']} | " + " | ".join(cells) + " |"

    return [
        "## Checking posts (issue 28)",
        "",
        f"Measured {ch.get('measured_at', '')} on {ch.get('machine', '')}: {ch['claims']} claims "
        f"of our own (bench/data/check_claims.jsonl) against the first {ch['articles']} news-de "
        "articles: 8 as an article states them, 6 with a number or a name changed, 6 that no "
        "article makes; verdicts over the real `openai` client from two fake models "
        '(bench/check.py). A "supported" stands only on a passage that holds the claim\'s '
        "numbers and names, half its words and no swapped capitalised word (or, when the model "
        'cited another, on the claim\'s own passage with 80% of its words); a "contradicted" '
        "falls on a passage that says the claim word for word.",
        "",
        "| model | right | true claims | altered claims | claims not covered |",
        "|---|---:|---|---|---|",
        row("following_model", "follows the prompt"),
        row("careless_model", "says SUPPORTED whenever on topic"),
        "",
        f"Offline (no verdict; closest passages): the claim's own article first for "
        f"{ch['offline_right_article_first']} of the true and altered claims. Rerun: "
        "`python -m bench.run --only check`.",
        "",
        *_real(ch.get("real_model")),
    ]


def _real(real: dict[str, Any] | None) -> list[str]:
    if not real:
        return [
            "A real model (`../shared/tools/real-llm.sh`) has not been run on these claims.",
            "",
        ]
    lines = [
        f"A real model on five of the claims ({real.get('model', '')}, measured "
        f'{real.get("measured_at", "")}; `python -c "from bench.check import main_real; '
        'main_real()"` with the server of `../shared/tools/real-llm.sh` running):',
        "",
        "| claim | expected | claims the model listed | the model's verdicts | verdicts that stand |",
        "|---|---|---|---|---|",
    ]
    for r in real["claims"]:
        listed = " / ".join(r["claims_listed"]) or "–"
        verdicts = ", ".join(v or "none" for v in r["verdicts"]) or "–"
        own = " / ".join(r.get("model_verdicts", "").split("\n")).replace("|", "/") or "not kept"
        lines.append(f"| {r['claim']} | {r['expected']} | {listed} | {own} | {verdicts} |")
    return [*lines, ""]


def main_real(base_url: str = "http://127.0.0.1:18431/v1") -> None:
    """Run the five claims against a real server and keep them with the check figures (the
    fake models' figures keep their own date)."""
    import time

    from bench.common import OUT, load

    figures = load("check") or {}
    real = bench_check_real(base_url)
    real["model"] = "Qwen2.5-Coder-1.5B-Instruct Q4_K_M, llama.cpp"
    real["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    figures["real_model"] = real
    (OUT / "check.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
