"""Input files built in code: synthetic articles and a minimal valid PDF."""

from __future__ import annotations

import random
from pathlib import Path

_SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "da", "gu", "fe", "zo", "bi"]


def distinct_words(seed: int, n: int) -> str:
    """`n` made-up words, different for every seed: template articles that are not copies of
    one another (ingest merges near-duplicate stories)."""
    rng = random.Random(seed)
    return " ".join("".join(rng.choice(_SYLLABLES) for _ in range(3)) for _ in range(n))


def write_articles(folder: Path, count: int, paragraphs: int, line: str, headline: str) -> None:
    """`count` plain-text articles; `line` and `headline` are formatted with i (article), p
    (paragraph); each paragraph ends with words of its own, so no article repeats another."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        body = "\n\n".join(
            f"{line.format(i=i, p=p)} {distinct_words(i * 1000 + p, 8)}." for p in range(paragraphs)
        )
        (folder / f"a{i:02d}.txt").write_text(f"{headline.format(i=i)}\n\n{body}", encoding="utf-8")


def minimal_pdf(text: str, title: str = "", content_filter: str = "") -> bytes:
    """A one-page PDF with `text` in Helvetica, built by hand (valid xref offsets);
    `content_filter` names the page stream's /Filter (e.g. one pypdf cannot decode)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    info = f"<< /Title ({title}) >>".encode("latin-1") if title else b"<< >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length "
        + str(len(stream)).encode()
        + (f" /Filter /{content_filter}".encode() if content_filter else b"")
        + b" >>\nstream\n"
        + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        info,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
