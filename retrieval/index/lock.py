"""One writer at a time per index, across processes: a file lock in the data directory on one
machine, a PostgreSQL advisory lock when hosts share the catalog there.

Two processes writing to one embedded Chroma directory corrupt it silently (measured: no error,
a third of the vectors unfindable afterwards), so every write path takes this lock first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from retrieval.errors import IndexBusyError
from retrieval.index.sql import libpq_url, lock_key, unreachable


class _Held:
    """`with lock:` for both locks: acquire on entry, release on exit."""

    def acquire(self) -> None:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class WriteLock(_Held):
    def __init__(
        self, data_dir: Path, timeout: float, what: str = "", name: str = "write.lock"
    ) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / name
        self.timeout = timeout
        self.what = what or " ".join(os.path.basename(a) for a in sys.argv[:2])
        self._fh: int | None = None

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "another process"
        except OSError:
            return "another process"

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self.holder()
                    os.close(fd)
                    raise IndexBusyError(
                        f"the index in {self.path.parent} is being written by {holder}; "
                        f"waited {self.timeout:g} s (FOOTNOTE_LOCK_TIMEOUT). Try again when it finishes."
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} ({self.what})".encode())
        self._fh = fd

    def release(self) -> None:
        if self._fh is not None:
            os.ftruncate(self._fh, 0)
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            os.close(self._fh)
            self._fh = None


class AdvisoryLock(_Held):
    """The same lock for hosts that share only PostgreSQL and Chroma: a session-level advisory
    lock on a connection of its own (a crashed holder's lock goes with its connection). Who holds
    it is written to the catalog's meta table, for the busy message."""

    def __init__(
        self, url: str, schema: str, timeout: float, what: str = "", name: str = "write"
    ) -> None:
        self.url, self.schema, self.name = libpq_url(url), schema, name
        self.timeout = timeout
        self.what = what or " ".join(os.path.basename(a) for a in sys.argv[:2])
        self._conn: Any = None

    def _holder_key(self) -> str:
        return f"lock:{self.name}"

    def holder(self) -> str:
        if self._conn is None:
            return "another process"
        row = self._conn.execute(
            f'SELECT value FROM "{self.schema}".meta WHERE key=%s', (self._holder_key(),)
        ).fetchone()
        return (row[0] if row else "") or "another process"

    def acquire(self) -> None:
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise unreachable(exc) from exc
        key = lock_key(self.schema, self.name)
        deadline = time.monotonic() + self.timeout
        while not _fetch_one(conn, "SELECT pg_try_advisory_lock(%s)", key):
            if time.monotonic() >= deadline:
                self._conn = conn
                holder = self.holder()
                self._conn = None
                conn.close()
                raise IndexBusyError(
                    f"the shared index ({self.schema}) is being written by {holder}; "
                    f"waited {self.timeout:g} s (FOOTNOTE_LOCK_TIMEOUT). Try again when it finishes."
                )
            time.sleep(0.2)
        self._conn = conn
        me = f"pid {os.getpid()} on {socket.gethostname()} ({self.what})"
        self._set_holder(me)

    def _set_holder(self, value: str) -> None:
        # The note is for the busy message only: a write never fails over it.
        with contextlib.suppress(Exception):
            self._conn.execute(
                f'INSERT INTO "{self.schema}".meta (key, value) VALUES (%s, %s) '
                "ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                (self._holder_key(), value),
            )

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._set_holder("")
                self._conn.execute(
                    "SELECT pg_advisory_unlock(%s)", (lock_key(self.schema, self.name),)
                )
            finally:
                self._conn.close()  # closing alone releases it too
                self._conn = None


def _fetch_one(conn: Any, sql: str, *args: Any) -> Any:
    row = conn.execute(sql, args).fetchone()
    return row[0] if row else None


class ReadWriteLock:
    """Many readers (searches in threads) or one writer (reloading after another process wrote)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._writing = True  # new readers wait from here on
            while self._readers:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()
