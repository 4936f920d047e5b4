"""Fetch an http(s) URL for ingest: timeout, size cap, and no requests to private addresses."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from .errors import InputError

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Fetched:
    url: str  # final URL after redirects
    content: bytes
    content_type: str


def check_public(url: str) -> None:
    """Refuse URLs whose host resolves to a loopback, private, link-local or reserved address,
    so an ingest request cannot be used to reach the operator's internal network."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url}: only http(s) URLs can be ingested")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise InputError(f"{url}: cannot resolve host ({exc.strerror or exc})") from None
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if not addr.is_global:
            raise InputError(
                f"{url}: refused, the host is a private or local address "
                "(set FOOTNOTE_ALLOW_PRIVATE_URLS=true to allow it)"
            )


def fetch(url: str, timeout: float, max_bytes: int, allow_private: bool = False) -> Fetched:
    """GET `url`, following redirects by hand so every hop is checked."""
    current = url
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            if not allow_private:
                check_public(current)
            try:
                with client.stream(
                    "GET", current, headers={"User-Agent": "Footnote/0.1 (+news ingest)"}
                ) as resp:
                    if resp.is_redirect and "location" in resp.headers:
                        current = urljoin(current, resp.headers["location"])
                        continue
                    if resp.status_code >= 400:
                        raise InputError(f"{url}: HTTP {resp.status_code} {resp.reason_phrase}")
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise InputError(
                            f"{url}: too large ({_mb(int(declared))} > {_mb(max_bytes)})"
                        )
                    buf = bytearray()
                    for part in resp.iter_bytes():
                        buf.extend(part)
                        if len(buf) > max_bytes:
                            raise InputError(f"{url}: too large (over {_mb(max_bytes)})")
                    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                    return Fetched(url=str(resp.url), content=bytes(buf), content_type=ctype)
            except httpx.TimeoutException:
                raise InputError(f"{url}: timed out after {timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise InputError(f"{url}: cannot fetch ({type(exc).__name__}: {exc})") from None
    raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"
