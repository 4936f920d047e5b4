"""From a loaded Document to what the index stores: a cleaned Article with its stable id, and its
chunks. Pure work on text (plus language detection and token counting): no writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retrieval.errors import InputError
from retrieval.ids import article_id, chunk_id, content_hash, site, text_hash
from retrieval.shelves import PUBLIC
from retrieval.sources.metadata import checked
from retrieval.text.chunk import chunk_spans
from retrieval.text.clean import clean_article, normalize
from retrieval.types import Article, Chunk, Document

if TYPE_CHECKING:
    from retrieval.index.parts import Index

CLEANER_VERSION = "3"  # bump when cleaning or chunking changes, so unchanged files are redone


def fingerprint(doc: Document) -> str:
    """Identity of a raw document plus the code that cleans it, and its shelf: any change means
    re-clean (a move to another shelf is a write). The shelf `public` adds nothing, so that the
    fingerprints of releases without shelves stay valid."""
    moved = [] if doc.shelf == PUBLIC else [f"shelf={doc.shelf}"]
    return text_hash(
        "\x1f".join([CLEANER_VERSION, doc.text, doc.title, doc.url, doc.date, doc.lang, doc.key,
                     str(doc.preclean), str(doc.markdown), *moved])
    )  # fmt: skip


def prepare(doc: Document, detector: Any, warnings: list[str] | None = None) -> Article:
    """Clean one Document into an Article with its stable id and content hash. What it says of
    itself (title, address, date, language) passes the door first (sources/metadata.py); a value
    dropped there is noted in `warnings`."""
    if doc.preclean:
        text = "\n\n".join(p.strip() for p in normalize(doc.text).split("\n\n") if p.strip())
        title = normalize(doc.title).strip()
        url, date = doc.url, doc.date
    else:
        cleaned = clean_article(doc.text, detector, markdown=doc.markdown)
        text, title = cleaned.text, (cleaned.title or normalize(doc.title).strip())
        url = doc.url or cleaned.url
        date = doc.date or cleaned.date
    if not text.strip():
        raise InputError("no article text left after removing page boilerplate")
    dropped: list[str] = []
    url = own_address(url, doc, dropped)
    (title, url, date, lang), invalid = checked(title, url, date, doc.lang)
    dropped += invalid
    if warnings is not None:
        warnings.extend(dropped)
    named = bool(lang)
    lang = lang or detector.detect(text[:1500])
    chash = content_hash(title, text)
    return Article(
        article_id=article_id(doc.key, url, chash),
        title=title,
        text=text,
        url=url,
        source=doc.source,
        date=date,
        lang=lang,
        content_hash=chash,
        named_lang=named,
        shelf=doc.shelf,
    )


def own_address(url: str, doc: Document, warnings: list[str]) -> str:
    """A fetched page or record names its own address only on the site it was read from; a
    claim on another site's address (a canonical link, a record's `url`) would let it take over
    that site's story: the address read from is kept instead. Files (an owner's upload, a
    channel's post) say what they are."""
    if not doc.fetched_from or not url or site(url) == site(doc.fetched_from):
        return url
    # The page itself keeps the address it was read from; a record of a fetched file, or a
    # feed's own text for an entry on another site, keeps none (its id then comes from its
    # text: one shared address would make all of them one article).
    page = "#" not in doc.source and site(doc.source) == site(doc.fetched_from)
    kept = doc.fetched_from if page else ""
    warnings.append(f"claims the address {url[:120]!r} of another site: ignored")
    return kept


def make_chunks(article: Article, index: Index) -> list[Chunk]:
    s = index.settings
    spans = chunk_spans(
        article.text, index.embedder.count_tokens, s.chunk_tokens, s.chunk_overlap_tokens
    )
    out = []
    for n, (start, end) in enumerate(spans):
        text = article.text[start:end]
        detect = not article.named_lang and len(text) >= 40
        lang = index.detector.detect(text[:400]) if detect else ""
        out.append(
            Chunk(
                chunk_id=chunk_id(article.article_id, n),
                article_id=article.article_id,
                number=n,
                text=text,
                start=start,
                end=end,
                lang=lang or article.lang,
                title=article.title,
                url=article.url,
                source=article.source,
                date=article.date,
                shelf=article.shelf,
            )
        )
    return out
