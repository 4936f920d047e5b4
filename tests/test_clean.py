"""Cleaning scraped plain text: the sample articles and the general rules behind them."""

from __future__ import annotations

import pytest

from retrieval.text.clean import clean_article, find_date, unwrap
from retrieval.text.detect import LanguageDetector
from tests.conftest import CORPUS

EN = CORPUS / "000_d46702537c126cfa.txt"
DE = CORPUS / "002_b1aa035ac1d71727.txt"

# Page furniture in the samples, listed by hand from reading them (the rules never see this list).
BOILERPLATE = {
    EN: ["Popular topic"],
    DE: [
        "Vietnam.vn - Nền tảng quảng bá Việt Nam",
        "ZNewsZNews27/12/2025",
        "Loi Quan im lang anh 1",
        "Loi Quan im lang anh 2",
        "Quelle: https://znews.vn/loi-quan-khac-la-post1614606.html",
        "Kommentar (0)",
        "Hinterlasse einen Kommentar, um deine Gefühle zu teilen!",
        "Gleiche Kategorie",
        "Bewundern Sie die zarte Schönheit der Karottenblüten – eine „seltene Entdeckung“ im Herzen von Da Lat.",
        "Ein frohes neues Jahr 2026 auf dem Dach von Nha Trang!",
        "Die Ausstellung „Tausend Jahre Philosophie“ im historischen Ausstellungsraum des Literaturtempels.",
        "Bewundern Sie die einzigartigen Kumquatbaumgärten mit ihren charakteristischen Wurzelsystemen in einem Dorf am Flussufer in Hanoi.",
        "Gleicher Autor",
        "Erbe",
        "Figur",
        "Unternehmen",
        "Internationale Touristen strömen nach Da Nang, um das neue Jahr 2026 zu feiern.",
        "Aktuelles",
        "Politisches System",
        "Lokal",
        "Produkt",
    ],
}
TITLES = {EN: "Xiaomi CEO uses an iPhone", DE: "Der Donnerlord ist anders."}


def _lines(path):  # type: ignore[no-untyped-def]
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


@pytest.mark.parametrize("path", [EN, DE], ids=["en", "de"])
def test_sample_keeps_every_paragraph_and_no_boilerplate(path, detector: LanguageDetector) -> None:  # type: ignore[no-untyped-def]
    cleaned = clean_article(path.read_text(encoding="utf-8"), detector)
    body = cleaned.text.split("\n\n")
    furniture = set(BOILERPLATE[path]) | {TITLES[path]}
    real = [ln for ln in _lines(path) if ln not in furniture]
    assert real, "the sample has paragraphs"
    assert body == real, "every real paragraph, in order, and nothing else"
    for line in furniture:
        assert line not in body
    assert cleaned.title == TITLES[path]


def test_sample_metadata(detector: LanguageDetector) -> None:
    de = clean_article(DE.read_text(encoding="utf-8"), detector)
    assert de.url == "https://znews.vn/loi-quan-khac-la-post1614606.html"
    assert de.date == "2025-12-27"
    en = clean_article(EN.read_text(encoding="utf-8"), detector)
    assert en.url == "" and en.date == ""


def test_banner_with_domain_is_not_the_title(detector: LanguageDetector) -> None:
    raw = (
        "dailynews.example.com | Your daily source\n\n"
        "Storm closes the harbour\n\n"
        "A heavy storm closed the harbour on Monday, and the ferries stayed in port for the whole day.\n\n"
        "The port authority said the ships would sail again once the wind had dropped below gale force."
    )
    c = clean_article(raw, detector)
    assert c.title == "Storm closes the harbour"
    assert "dailynews" not in c.text


def test_source_line_in_other_languages_and_footer_after_it(detector: LanguageDetector) -> None:
    raw = (
        "Mưa lớn ở Hà Nội\n\n"
        "Mưa lớn kéo dài suốt đêm qua khiến nhiều tuyến phố ở Hà Nội bị ngập sâu và giao thông ùn tắc.\n\n"
        "Nguồn: https://example.vn/mua-lon-ha-noi.html\n\n"
        "Tin mới nhất\n\nThể thao\n\nGiải trí\n\nMột bài viết khác về thời tiết sẽ được đăng vào ngày mai."
    )
    c = clean_article(raw, detector)
    assert c.url == "https://example.vn/mua-lon-ha-noi.html"
    assert c.text.startswith("Mưa lớn kéo dài")
    assert "Thể thao" not in c.text and "ngày mai" not in c.text


def test_bare_url_line_is_the_source(detector: LanguageDetector) -> None:
    raw = (
        "Budget passes\n\nhttps://news.example.org/budget-2025\n\n"
        "Parliament passed the budget late on Thursday after a debate that lasted eleven hours in total."
    )
    c = clean_article(raw, detector)
    assert c.url == "https://news.example.org/budget-2025"
    assert "https://" not in c.text


def test_navigation_run_and_widgets_dropped(detector: LanguageDetector) -> None:
    raw = (
        "Title of the story\n\nHome\nWorld\nSport\nCulture\n\n"
        "The first paragraph has enough words in it to count as the body of the article for sure.\n\n"
        "Share this article\n\nComments (12)\n\n"
        "The second paragraph is also a real paragraph, with a full sentence and a final stop."
    )
    c = clean_article(raw, detector)
    assert c.text.split("\n\n") == [
        "The first paragraph has enough words in it to count as the body of the article for sure.",
        "The second paragraph is also a real paragraph, with a full sentence and a final stop.",
    ]


def test_subheadings_inside_the_body_are_kept(detector: LanguageDetector) -> None:
    raw = (
        "Main headline\n\n"
        "Opening paragraph that sets the scene for the reader and runs long enough to be body text.\n\n"
        "What happens next\n\n"
        "A second paragraph follows the subheading and continues the story with more detail here."
    )
    assert "What happens next" in clean_article(raw, detector).text


def test_hard_wrapped_lines_are_joined() -> None:
    lines = [
        "This paragraph was wrapped by an editor at a fixed width of",
        "sixty characters, like email.",
    ]
    assert unwrap(lines) == [
        "This paragraph was wrapped by an editor at a fixed width of sixty characters, like email."
    ]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("ZNewsZNews27/12/2025", "2025-12-27"),
        ("Published 2024-03-05 10:00", "2024-03-05"),
        ("5. März 2024", "2024-03-05"),
        ("March 5, 2024", "2024-03-05"),
        ("12/31/2023", "2023-12-31"),
        ("no date here", ""),
    ],
)
def test_find_date(text: str, iso: str) -> None:
    assert find_date(text) == iso


def test_paragraphs_differing_only_in_numbers_are_both_kept(detector: LanguageDetector) -> None:
    raw = (
        "Results\n\n"
        "In the first match of the evening the home side won 3 to 1 after a strong second half.\n\n"
        "In the second match of the evening the home side won 2 to 0 after a strong second half.\n\n"
        "In the first match of the evening the home side won 3 to 1 after a strong second half."
    )
    body = clean_article(raw, detector).text.split("\n\n")
    assert len(body) == 2, "distinct paragraphs kept, the exact repeat dropped"
