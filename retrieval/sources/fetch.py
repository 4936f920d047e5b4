"""Fetch an http(s) URL for ingest: one deadline, a cap on decoded bytes, and no requests to
private addresses.

The address check lives inside the connection itself (a network backend for httpcore's connection pool):
the host is resolved once, every address checked, and the socket opened to the address that
was checked. A separate check before the request could be fooled by a DNS answer that changes
between the two lookups (rebinding).
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import time
import typing
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import certifi
import httpcore
import httpx

from retrieval.errors import InputError
from retrieval.networks import NEVER, Reach

MAX_REDIRECTS = 5
MAX_ENCODINGS = 3  # stacked Content-Encoding layers accepted ("gzip, gzip" is legal, rare)
USER_AGENT = "Footnote/0.1 (+news ingest)"
PRIVATE_HINT = (
    "refused, the host is a private or local address (list it in FOOTNOTE_ALLOW_PRIVATE_HOSTS, "
    "or set FOOTNOTE_ALLOW_PRIVATE_URLS=true to allow every one)"
)


@dataclass(frozen=True)
class Fetched:
    url: str  # final URL after redirects
    content: bytes
    content_type: str
    headers: dict[str, str] | None = None  # response headers (lower-case names)
    status: int = 200


class _Refused(Exception):
    """Raised inside the connection; carries a reason for the InputError built outside."""


def _check_scheme(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url}: only http(s) URLs can be ingested")


def _checked_address(host: str, port: int, reach: Reach) -> str:
    """Resolve once; refuse if any address may not be reached; return the one to connect to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise _Refused(f"cannot resolve host ({exc.strerror or exc})") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise _Refused("cannot resolve host")
    for addr in addresses:
        ip = ipaddress.ip_address(addr.split("%")[0])
        if any(ip in n for n in NEVER if n.version == ip.version):
            raise _Refused("refused, a link-local (cloud metadata) address is never fetched")
        if not reach.allows(host, ip):
            raise _Refused(PRIVATE_HINT)
    return addresses[0]


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("overall deadline passed")
        return left

    def clamp(self, timeout: float | None) -> float:
        left = self.left()
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """Every read and write gets at most the time left, so a server trickling one byte a second
    cannot hold a fetch past its deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner, self._deadline = inner, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: typing.Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:  # fmt: skip
        tls = self._inner.start_tls(ssl_context, server_hostname, self._deadline.clamp(timeout))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """Connects only to the address it checked, within the deadline."""

    def __init__(self, deadline: _Deadline, reach: Reach) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline, self._reach = deadline, reach

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None,
                    ) -> httpcore.NetworkStream:  # fmt: skip
        target = _checked_address(host, port, self._reach)
        stream = self._inner.connect_tcp(
            target, port, self._deadline.clamp(timeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, *args: typing.Any, **kwargs: typing.Any) -> typing.NoReturn:
        raise _Refused("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle takes tens of milliseconds: once per process, not per fetch."""
    return ssl.create_default_context(cafile=certifi.where())


# Every error httpcore raises for a request that could not be made or read (it has no common base).
_HTTP_ERRORS = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ConnectionNotAvailable,
    httpcore.ProxyError,
    httpx.InvalidURL,
)


def _target(url: str) -> httpcore.URL:
    """The URL as sent: httpx's parser normalises it (IDNA host, percent-encoded path)."""
    u = httpx.URL(url)
    return httpcore.URL(scheme=u.raw_scheme, host=u.raw_host, port=u.port, target=u.raw_path)


def fetch(
    url: str,
    timeout: float,
    max_bytes: int,
    allow_private: bool | Reach = False,
    headers: dict[str, str] | None = None,
) -> Fetched:
    """GET `url` within `timeout` seconds overall, following redirects by hand so every hop is
    checked. `headers` adds request headers (conditional requests: If-None-Match…); a 304 is
    returned as a Fetched with status 304 and no content.

    httpcore's connection pool takes our network backend through its public constructor."""
    deadline = _Deadline(timeout)
    reach = allow_private if isinstance(allow_private, Reach) else Reach(everything=allow_private)
    current = url
    request_headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    request_headers.update(headers or {})
    limits = {"timeout": dict.fromkeys(("connect", "read", "write", "pool"), timeout)}
    with httpcore.ConnectionPool(
        ssl_context=_ssl_context(),
        max_connections=4,
        network_backend=_GuardedBackend(deadline, reach),
    ) as pool:
        for _ in range(MAX_REDIRECTS + 1):
            _check_scheme(current)
            try:
                with pool.stream(
                    "GET",
                    _target(current),
                    headers=list(request_headers.items()),
                    extensions=limits,
                ) as resp:
                    names = {
                        k.decode("latin-1").lower(): v.decode("latin-1") for k, v in resp.headers
                    }
                    if resp.status in _REDIRECTS and "location" in names:
                        current = urljoin(current, names["location"])
                        continue
                    return _read(url, current, resp, names, max_bytes, deadline)
            except _Refused as exc:
                raise InputError(f"{url}: {exc}") from None
            except httpcore.TimeoutException:
                raise InputError(f"{url}: timed out after {timeout:g} s") from None
            except _HTTP_ERRORS as exc:
                raise InputError(f"{url}: cannot fetch ({type(exc).__name__}: {exc})") from None
    raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects")


_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _read(
    url: str,
    final: str,
    resp: httpcore.Response,
    names: dict[str, str],
    max_bytes: int,
    deadline: _Deadline,
) -> Fetched:
    ctype = names.get("content-type", "").split(";")[0].strip().lower()
    if resp.status == 304:
        return Fetched(final, b"", ctype, names, 304)
    if resp.status >= 400:
        reason = resp.extensions.get("reason_phrase", b"").decode("latin-1", "replace")
        raise InputError(f"{url}: HTTP {resp.status} {reason}".rstrip())
    declared = names.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise InputError(f"{url}: too large ({_mb(int(declared))} > {_mb(max_bytes)})")
    raw = bytearray()
    for part in resp.iter_stream():  # undecoded: decoding below is capped at every layer
        raw.extend(part)
        if len(raw) > max_bytes:
            raise InputError(f"{url}: too large (over {_mb(max_bytes)})")
        deadline.left()
    body = _decode(url, bytes(raw), names.get("content-encoding", ""), max_bytes)
    return Fetched(final, body, ctype, names, resp.status)


def _decode(url: str, data: bytes, encoding: str, max_bytes: int) -> bytes:
    """Undo Content-Encoding layers, last applied first, each capped at `max_bytes`: a few
    kilobytes of stacked gzip cannot grow into gigabytes before the cap notices."""
    layers = [e.strip().lower() for e in encoding.split(",") if e.strip()]
    layers = [e for e in layers if e != "identity"]
    if len(layers) > MAX_ENCODINGS:
        raise InputError(f"{url}: {len(layers)} content encodings stacked, refused")
    for layer in reversed(layers):
        if layer in ("gzip", "x-gzip"):
            attempts = [16 + zlib.MAX_WBITS]
        elif layer == "deflate":
            attempts = [zlib.MAX_WBITS, -zlib.MAX_WBITS]  # zlib-wrapped, or raw as some send
        else:
            raise InputError(f"{url}: unsupported content encoding {layer!r}")
        for i, wbits in enumerate(attempts):
            try:
                out = zlib.decompressobj(wbits).decompress(data, max_bytes + 1)
                break
            except zlib.error as exc:
                if i == len(attempts) - 1:
                    raise InputError(f"{url}: cannot decode {layer} body ({exc})") from None
        if len(out) > max_bytes:
            raise InputError(f"{url}: too large once decoded (over {_mb(max_bytes)})")
        data = out
    return data


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"
