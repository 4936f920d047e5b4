"""The numbers a question names, matched against what the found articles mention."""

from __future__ import annotations

from retrieval.text.numbers import numbers, question_numbers, unmatched, without_numbers


def test_numbers_are_digit_runs_in_any_script_with_thousands_ungrouped() -> None:
    found = numbers("2,000 people in 2015/16; ٢٠٢٣; 1.5 million on 3.3.2024; 7 days")
    assert {"2000", "2015", "16", "2023", "2024"} <= found
    assert "7" not in found and "15" not in found, "one digit is no name; 1.5 is not 15"
    assert question_numbers("Wie viele der 2.000 Besucher kamen 2023?") == {"2000", "2023"}
    assert question_numbers("in 2015 200 people") == {"2015", "200"}, "a space does not group"


def test_a_number_counts_as_mentioned_anywhere_in_the_texts() -> None:
    texts = ["Tour de France 2015: Froome wins", "Le Tour, 2 000 km", "2,000 fans"]
    assert unmatched("Wer gewann 2023 die Tour de France?", texts) == ["2023"]
    assert unmatched("Who won the 2015 Tour over 2000 km?", texts) == []
    assert unmatched("Who won the Tour?", []) == []


def test_roman_numerals_are_the_numbers_they_write() -> None:
    article = ["John Elway played in Super Bowl XXXIII for the Broncos."]
    assert unmatched("约翰·埃尔维在第 33 届超级碗中为谁效力？", article) == []
    assert unmatched("Who played in Super Bowl 34?", article) == ["34"]
    assert "2000" in numbers("the MM edition") and "1500" not in numbers("MDM"), "ill-formed"
    assert (
        without_numbers("Mi 11 Pro, 2,000 euros, ٢٠٢٣", ["11", "2023"]) == "Mi  Pro, 2,000 euros, "
    )
