"""Real servers on 127.0.0.1 for tests and benchmarks: a throwaway PostgreSQL cluster and a
`chroma run` server. A server that cannot start here raises ServiceUnavailable; the tests decide
whether that skips (a developer machine) or fails (CI, FOOTNOTE_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


class ServiceUnavailable(RuntimeError):
    """The server's programs are not installed on this machine."""


def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Postgres:
    """initdb + pg_ctl start in a temporary directory; trust auth on 127.0.0.1 only."""

    def __init__(self, root: Path) -> None:
        self.bin = _pg_bin()
        if self.bin is None:
            raise ServiceUnavailable("PostgreSQL (apt-get install postgresql)")
        self.root = root
        self.data = root / "pgdata"
        self.port = free_port()
        self.as_root = os.geteuid() == 0  # PostgreSQL refuses to run as root

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed: {done.stderr.strip() or done.stdout.strip()}"
            )

    def start(self) -> Postgres:
        assert self.bin is not None
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "pg.log"), "-w",
            "-o", f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
                  "-c fsync=off -c max_connections=200",
            "start",
        )  # fmt: skip
        return self

    def stop(self) -> None:
        assert self.bin is not None
        with contextlib.suppress(RuntimeError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url(), autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                return self.url(name)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


class RunningPostgres(Postgres):
    """A server someone else started (.ci/run): only databases are created."""

    def __init__(self, admin_url: str) -> None:
        self.admin = admin_url

    def url(self, database: str = "postgres") -> str:
        return self.admin.rsplit("/", 1)[0] + "/" + database

    def stop(self) -> None:
        pass


class ChromaServer:
    """`chroma run` (the chromadb package's own server); `kill` and `restart` (same port, same
    data) for fault tests."""

    def __init__(self, path: Path | None = None, port: int | None = None) -> None:
        import tempfile

        self.tmp = None if path else tempfile.TemporaryDirectory(prefix="footnote-chroma-")
        self.path = path or Path(self.tmp.name)  # type: ignore[union-attr]
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> int:
        self._start()
        return self.port

    def _start(self) -> None:
        import sys

        exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
        self.proc = subprocess.Popen(
            [exe, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.proc.kill()
        raise RuntimeError("chroma run did not start within 30 s")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def restart(self) -> None:
        self._start()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.tmp is not None:
            self.tmp.cleanup()
