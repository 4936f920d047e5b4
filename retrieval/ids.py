"""Stable identities: the same article always gets the same id, whichever file or run it came from."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = ("utm_", "fbclid", "gclid", "mc_", "ref", "cmpid")


def _h(text: str, n: int = 16) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, no trailing slash."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith(_TRACKING)]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


@cache
def _extract() -> Any:
    import tldextract

    # The bundled Public Suffix List (no download), private suffixes included: two sites on
    # github.io are two sites.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                 include_psl_private_domains=True)  # fmt: skip


def site(url: str) -> str:
    """The site an address belongs to: its registrable domain ('news.bbc.co.uk' -> 'bbc.co.uk',
    'a.github.io' stays), or the host itself for an address or an unlisted suffix's last two
    labels; '' when there is no host."""
    try:
        host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""
    if not host:
        return ""
    parts = _extract()(host)
    registered = parts.top_domain_under_public_suffix
    if registered:
        return str(registered)
    labels = host.split(".")
    numeric = host.replace(".", "").replace(":", "").isalnum() and not any(
        c.isalpha() for c in labels[-1]
    )
    return host if numeric or len(labels) < 2 else ".".join(labels[-2:])


def origin(source: str) -> str:
    """Who delivered a document: a web site ('web:bbc.co.uk'), or a file (an owner's upload, a
    channel's post, a local path). An article is updated only from its own origin."""
    if source.lower().startswith(("http://", "https://")):
        return "web:" + site(source)
    return "file:" + file_of_source(source)


def scoped_id(article_id: str, origin: str) -> str:
    """Another origin's article that claims a stored identity gets an identity of its own."""
    return _h(f"{article_id}@{origin}")


def content_hash(title: str, text: str) -> str:
    return _h(f"{title.strip()}\n{text.strip()}", 32)


def article_id(explicit_key: str, url: str, content: str) -> str:
    """An explicit record id wins, then the canonical URL, then the content itself."""
    if explicit_key:
        return _h(explicit_key)
    if url:
        return _h("url:" + canonical_url(url))
    return _h("text:" + content)


def text_hash(text: str) -> str:
    return _h(text, 32)


def chunk_id(article_id: str, number: int) -> str:
    """`<article_id>-<nnnn>`: deterministic, so a rerun after a crash overwrites, never duplicates."""
    return f"{article_id}-{number:04d}"


def sentence_id(chunk_id: str, number: int) -> str:
    """`<chunk_id>-s<nnn>`: a sentence vector's id."""
    return f"{chunk_id}-s{number:03d}"


def chunk_of_sentence(sentence_id: str) -> str:
    """The chunk id inside a sentence id."""
    return sentence_id.rsplit("-s", 1)[0]


def file_of_source(source: str) -> str:
    """The file a source came from: records are `path#n` or `path#id`, bad lines `path:n`."""
    path = source.split("#", 1)[0]
    head, _, tail = path.rpartition(":")
    return head if head and tail.isdigit() else path
