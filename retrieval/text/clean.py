"""Turn a scraped plain-text page into an article: headline, body paragraphs, source URL, date.

The rules are about the shape and position of lines, never about particular sites:
- a site banner (a line naming a domain, or in another language than the body) is not the title;
- lines that repeat (the headline again, image captions numbered 1, 2, ...) are page furniture;
- a `Source:` line (in any of many languages) ends the article when it follows the body;
- widget lines (comment counters and prompts, share/subscribe buttons) and runs of short
  fragments without sentence punctuation (navigation and "related" lists) are dropped;
- a short line that carries a date and little else is a byline: the date is kept as metadata.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from retrieval.text.detect import LanguageDetector
from retrieval.text.sentences import MONTHS

# "Source" in the languages we serve, as used before a link at the foot of an article.
_SOURCE_LABELS = (
    r"source|sources|quelle|quellen|nguồn|nguon|fuente|fonte|fonti|bron|źródło|zdroj|forrás|"
    r"kaynak|kilde|källa|lähde|sursa|izvor|източник|источник|джерело|πηγή|מקור|المصدر|منبع|"
    r"स्रोत|ที่มา|来源|來源|出典|출처|sumber|original|originally published at|read more at|via"
)
_SOURCE_LINE = re.compile(
    rf"^\s*(?:{_SOURCE_LABELS})\s*[:：]\s*(?P<rest>.*)$", re.IGNORECASE | re.UNICODE
)
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_BARE_URL_LINE = re.compile(r"^\s*<?(https?://[^\s<>\"]+)>?\s*$", re.IGNORECASE)
_HOSTNAME = re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,6}\b(?![\w.])", re.IGNORECASE)

# Widgets: comment counters/prompts, share, subscribe, newsletter, login, ads, cookies, "related".
_WIDGET_WORDS = re.compile(
    r"(comment|kommentar|коммент|комментар|коментар|bình luận|binh luan|comentar|commento|"
    r"komentarz|yorum|评论|評論|コメント|댓글|تعليق|σχόλι|टिप्पणी|ความคิดเห็น|reactie|reageer|"
    r"subscribe|abonnier|newsletter|подпис|đăng ký|suscríb|iscriviti|abonne|"
    r"share this|teilen sie|поделит|chia sẻ|compartir|condividi|partager|"
    r"advertisement|anzeige|реклама|quảng cáo|publicidad|pubblicità|publicité|"
    r"cookie|sign in|log in|anmelden|войти|đăng nhập|iniciar sesión|"
    r"related|verwandte|ähnliche|похожие|читайте также|tin liên quan|relacionad|correlat|"
    r"read more|weiterlesen|mehr zum thema|подробнее|xem thêm|leer más|leggi anche|lire aussi)",
    re.IGNORECASE,
)
_COUNTER = re.compile(r"^\W*[\w\s.'-]{1,40}\(\s*\d+\s*\)\W*$", re.UNICODE)  # "Comments (0)"
_TERMINAL = re.compile(r"[.!?…。！？»\"“”’)\]]\s*$")

_DATE_NUMERIC = re.compile(
    r"(?<!\d)(?:(?P<y1>(?:19|20)\d\d)[-/.](?P<m1>\d{1,2})[-/.](?P<d1>\d{1,2})"
    r"|(?P<d2>\d{1,2})[/.](?P<m2>\d{1,2})[/.](?P<y2>(?:19|20)\d\d))(?!\d)"
)
_DATE_WORDY = re.compile(
    r"(?:(?P<d1>\d{1,2})\.?\s+(?P<mon1>[^\W\d_]{3,10})\.?,?\s+(?P<y1>(?:19|20)\d\d)"
    r"|(?P<mon2>[^\W\d_]{3,10})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>(?:19|20)\d\d))",
    re.UNICODE,
)


@dataclass
class Cleaned:
    title: str
    text: str  # body paragraphs joined by blank lines
    url: str = ""
    date: str = ""
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (line, reason)


def normalize(text: str) -> str:
    """NFC, unified newlines, no control characters (tabs become spaces), no BOM."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\ufeff", "").replace("\t", " ").replace("\u00a0", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")


def find_date(text: str) -> str:
    """The first plausible date in `text` as YYYY-MM-DD, or ''."""
    m = _DATE_NUMERIC.search(text)
    if m:
        y, mo, d = (m["y1"], m["m1"], m["d1"]) if m["y1"] else (m["y2"], m["m2"], m["d2"])
        iso = _iso(int(y), int(mo), int(d))
        if iso:
            return iso
    for m in _DATE_WORDY.finditer(text):
        mon = (m["mon1"] or m["mon2"]).lower()
        if mon in MONTHS:
            y, d = (m["y1"], m["d1"]) if m["y1"] else (m["y2"], m["d2"])
            iso = _iso(int(y), MONTHS[mon], int(d))
            if iso:
                return iso
    return ""


def _iso(y: int, m: int, d: int) -> str:
    if 1 <= m <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{m:02d}-{d:02d}"
    if 1 <= d <= 12 and 1 <= m <= 31:  # month/day order was the other way round
        return f"{y:04d}-{d:02d}-{m:02d}"
    return ""


def _words(line: str) -> int:
    return len(line.split())


def _is_fragment(line: str) -> bool:
    """A short line that is not a sentence: a menu entry, tag, heading or widget label."""
    return _words(line) <= 6 and len(line) <= 60 and not _TERMINAL.search(line)


def _is_paragraph(line: str) -> bool:
    return _words(line) >= 12 or len(line) >= 80


def _repeat_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.casefold()).strip(" .")


def unwrap(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines back into paragraphs (a long line with no final punctuation
    followed by a line that continues it in lower case)."""
    out: list[str] = []
    for line in lines:
        if (
            out
            and out[-1]
            and line
            and len(out[-1]) >= 50
            and not _TERMINAL.search(out[-1])
            and line[:1].islower()
        ):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def _strip_markdown(line: str) -> str:
    line = re.sub(r"^#{1,6}\s+", "", line)
    line = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", line)
    line = re.sub(r"\[([^\]]+)\]\((https?://[^)]+)\)", r"\1", line)
    line = re.sub(r"(\*\*|__)(.+?)\1", r"\2", line)
    return line


def clean_article(
    raw: str, detector: LanguageDetector | None = None, markdown: bool = False
) -> Cleaned:
    """Apply the rules in the module docstring to one scraped page."""
    lines = [ln.strip() for ln in normalize(raw).split("\n")]
    if markdown:
        lines = [_strip_markdown(ln) for ln in lines]
    lines = [re.sub(r"\s{2,}", " ", ln) for ln in unwrap(lines)]
    units = [ln for ln in lines if ln]
    dropped: list[tuple[str, str]] = []
    keep = [True] * len(units)

    def drop(i: int, reason: str) -> None:
        if keep[i]:
            keep[i] = False
            dropped.append((units[i], reason))

    body_sample = " ".join(u for u in units if _is_paragraph(u))[:1500]
    body_lang = detector.detect(body_sample) if (detector and body_sample) else ""

    # 1. Title: the first line that is not a site banner and is headline-shaped.
    title = ""
    for i, line in enumerate(units[:6]):
        if _is_paragraph(line) and _words(line) > 25:
            break
        if _is_banner(line, body_lang, detector):
            drop(i, "site banner")
            continue
        if _BARE_URL_LINE.match(line) or _SOURCE_LINE.match(line):
            continue
        title = line
        break

    # 2. Repetition: a short line seen twice is furniture (also the headline repeated later).
    counts = Counter(_repeat_key(u) for u in units if not _is_paragraph(u) or len(u) < 160)
    title_key = _repeat_key(title) if title else None
    seen_paragraphs: set[str] = set()
    for i, line in enumerate(units):
        key = _repeat_key(line)
        if title_key is not None and key == title_key:
            drop(i, "title")
        elif counts[key] >= 2 and not _is_paragraph(line):
            drop(i, "repeated line")
        elif _is_paragraph(line):
            exact = line.casefold()  # numbers matter in paragraphs (scores, figures)
            if exact in seen_paragraphs:
                drop(i, "duplicate paragraph")
            seen_paragraphs.add(exact)

    # 3. Source line: metadata; when it follows the body, everything after it is the page's footer.
    url = ""
    body_seen = False
    for i, line in enumerate(units):
        m = _SOURCE_LINE.match(line)
        bare = _BARE_URL_LINE.match(line)
        if m or bare:
            found = _URL.search(line)
            if found and not url:
                url = found.group(0).rstrip(".,;")
            if m or found:
                drop(i, "source line")
                if body_seen:
                    for j in range(i + 1, len(units)):
                        drop(j, "after source line")
                    break
        elif keep[i] and _is_paragraph(line):
            body_seen = True

    # 4. Bylines and dates: a short line with a date and little else.
    date = ""
    for i, line in enumerate(units):
        if not keep[i]:
            continue
        d = find_date(line)
        if d and _words(line) <= 8 and len(line) <= 80 and not _TERMINAL.search(line):
            date = date or d
            drop(i, "byline/date")
    if not date:
        date = find_date("\n".join(units[:8]))

    # 5. Widgets and counters.
    for i, line in enumerate(units):
        if keep[i] and _words(line) <= 12 and (_COUNTER.match(line) or _WIDGET_WORDS.search(line)):
            drop(i, "widget")

    # 6. Runs of fragments (menus, tag lists, "related" lists) and the fragment tail of the page.
    kept_idx = [i for i in range(len(units)) if keep[i]]
    run: list[int] = []
    for i in [*kept_idx, -1]:
        if i >= 0 and _is_fragment(units[i]):
            run.append(i)
            continue
        if len(run) >= 3:
            for j in run:
                drop(j, "navigation list")
        run = []
    kept_idx = [i for i in range(len(units)) if keep[i]]
    for i in reversed(kept_idx):
        if not _is_fragment(units[i]):
            break
        drop(i, "page footer")

    paragraphs = [u for i, u in enumerate(units) if keep[i]]
    if not title and paragraphs and not _is_paragraph(paragraphs[0]):
        title = paragraphs.pop(0)
    return Cleaned(title=title, text="\n\n".join(paragraphs), url=url, date=date, dropped=dropped)


def _is_banner(line: str, body_lang: str, detector: LanguageDetector | None) -> bool:
    """A site's name line: it names a domain, or it is in another language than the article."""
    if _HOSTNAME.search(line) and not _URL.search(line) and _words(line) <= 12:
        return True
    if detector and body_lang and _words(line) >= 3:
        ranked = detector.rank(line)
        if ranked and ranked[0][0] != body_lang and ranked[0][1] >= 0.9:
            return True
    return False
