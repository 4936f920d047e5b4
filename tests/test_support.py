"""Citation support: a valid number pointing at a passage that does not say what the sentence
says is moved to the passage that does, or dropped."""

from __future__ import annotations

from retrieval.answer.support import check_support, sentences_with_marks
from retrieval.index.parts import Index
from retrieval.search.hybrid import search
from retrieval.types import Chunk, Hit


def test_sentences_keep_their_marks() -> None:
    text = "Er nutzte ein iPhone [1]. Das sagte Lu Weibing. [2] Danach? Nichts [1][3]"
    assert sentences_with_marks(text) == [
        "Er nutzte ein iPhone [1]. ", "Das sagte Lu Weibing. [2]", " Danach? ", "Nichts [1][3]",
    ]  # fmt: skip


def test_a_citation_of_the_wrong_passage_moves_to_the_one_that_supports_it(
    sample_index: Index,
) -> None:
    question = "Welches Telefon benutzte Lei Jun?"
    hits = search(sample_index, question, 6, query_lang="de").hits
    phone = [i + 1 for i, h in enumerate(hits) if "iPhone" in h.chunk.text]
    other = [i + 1 for i, h in enumerate(hits) if "iPhone" not in h.chunk.text and
             "phone" not in h.chunk.text.lower() and h.chunk.lang == "de"]  # fmt: skip
    assert phone and other
    wrong = f"Lei Jun benutzte ein iPhone, um es zu testen [{other[0]}]."
    fixed, report = check_support(sample_index, wrong, hits, "de")
    assert report.moved and report.moved[0][1] == other[0]
    assert f"[{report.moved[0][2]}]" in fixed and report.moved[0][2] in phone

    right = f"Lei Jun benutzte ein iPhone, um es zu testen [{phone[0]}]."
    kept, report = check_support(sample_index, right, hits, "de")
    assert kept == right and not report.moved and not report.dropped

    unsupported = "Der Mond besteht aus grünem Käse [1]."
    dropped, report = check_support(sample_index, unsupported, hits, "de")
    assert "[1]" not in dropped and report.dropped and report.unsourced == 1


def test_a_wrong_number_or_a_missing_fact_is_not_shown_as_sourced(sample_index: Index) -> None:
    """Found with a real model: "500,000 sold in five days [1]" over a passage that says over a
    million, and "posted from his iPhone [1]" cited to the German article, which names Lei Jun
    and Weibo but not the phone. Both passed when a share of the names sufficed."""
    question = "Wie viele Xiaomi 17 wurden in fünf Tagen verkauft?"
    hits = search(sample_index, question, 6, query_lang="de").hits
    sales = next(i + 1 for i, h in enumerate(hits) if "Million Einheiten" in h.chunk.text)
    wrong = f"In fünf Tagen wurden 500.000 Geräte verkauft [{sales}]."
    fixed, report = check_support(sample_index, wrong, hits, "de", question=question)
    assert f"[{sales}]" not in fixed and report.unsourced == 1
    right = f"In fünf Tagen wurden über eine Million Geräte verkauft [{sales}]."
    kept, report = check_support(sample_index, right, hits, "de", question=question)
    assert kept == right and not report.moved and not report.dropped

    question = "¿Desde qué teléfono publicó Lei Jun en Weibo?"
    hits = search(sample_index, question, 6, query_lang="es").hits
    phone = [i + 1 for i, h in enumerate(hits) if "iPhone" in h.chunk.text]
    german = [i + 1 for i, h in enumerate(hits) if h.chunk.lang == "de" and "Weibo" in h.chunk.text]
    assert phone and german
    claim = f"Lei Jun publicó en Weibo desde su iPhone [{german[0]}]."
    fixed, report = check_support(sample_index, claim, hits, "es", question=question)
    assert report.moved and report.moved[0][2] in phone, fixed


def test_facts_are_the_numbers_and_names_the_question_does_not_name() -> None:
    from retrieval.answer.support import FOREIGN, INVARIANT, NOUN, facts

    assert facts("Lei Jun publicó en Weibo desde su iPhone [1].",
                 "¿Desde qué teléfono publicó Lei Jun en Weibo?", "es") == (
        [], [("iphone", INVARIANT)])  # fmt: skip
    assert facts("雷军用iPhone发布了微博[1]。", "雷军用什么手机？", "zh") == (
        [],
        [("iphone", INVARIANT)],
    )
    # German capitalises nouns: "Fitnessstudios" is a NOUN, a name only if another language
    # writes it alike (missing_facts)
    assert facts("Er war seit über zwei Monaten nicht in Fitnessstudios [1].",
                 "Wie lange war Lei Jun nicht im Fitnessstudio?", "de") == (
        [], [("monaten", NOUN), ("fitnessstudios", NOUN)])  # fmt: skip
    # a word in another script is copied, unless it is a gloss in brackets; "1970s" is a number
    assert facts("2006年，互联网2（Internet Two）宣布与Level 3公司合作，把网络容量提高了十倍。", "", "zh") == (
        ["2006"], [("level", FOREIGN)])  # fmt: skip
    assert facts("Theories of the 1970s held it [1].", "", "en") == (["1970"], [])
    assert facts("Es wurden 500.000 Geräte verkauft [1].", "Wie viele waren es 2025?", "de") == (
        ["500000"], [("gerate", NOUN)])  # fmt: skip
    # a capital after a full stop is no name; a number the question names is no new fact
    assert facts("Das war 2025. Danach kam 2026 [1].", "Was war 2025?", "en") == (["2026"], [])


def _hit(n: int, text: str, lang: str) -> Hit:
    chunk = Chunk(f"c{n}", f"a{n}", 0, text, 0, len(text), lang, title=f"Article {n}")
    return Hit(chunk, 1.0)


def test_a_name_must_be_in_the_cited_passage_when_another_one_writes_it() -> None:
    """Measured on the support benchmark's missing facts (an answer replaced by a name from
    another found passage): a German sentence's "Manning" (German capitalises every noun, so
    no capital marked a name), a Latin name inside a Thai sentence, and a name held only by
    passages in the sentence's own language all passed as supported."""
    from retrieval.answer.support import missing_facts

    english = [_hit(1, "Peyton Manning led the Broncos to the title.", "en"),
               _hit(2, "John Elway held the record before.", "en")]  # fmt: skip
    lacking = missing_facts("Den Rekord hielt John Elway [2].", "", english, "de")
    assert list(lacking) == [2, 0]  # "John Elway": names another language writes alike
    assert list(missing_facts("Den Rekord hielt Manning [2].", "", english, "de")) == [0, 1]
    # a German noun no other language writes alike is not asked of any passage
    assert list(missing_facts("Der Rekord im Fitnessstudio [2].", "", english, "de")) == [0, 0]

    thai = [_hit(1, "เครือข่าย Internet2 ประกาศความร่วมมือกับ Level 3", "th"),
            _hit(2, "เครือข่ายใหม่ที่มีความจุสูงกว่า", "th")]  # fmt: skip
    assert list(missing_facts("เครือข่ายใหม่ร่วมกับ Level 3 [2]", "", thai, "th")) == [0, 1]
    gloss = "เครือข่ายใหม่ที่มีความจุสูงกว่า (High Capacity) [2]"
    assert list(missing_facts(gloss, "", [*thai, _hit(3, "High Capacity", "en")], "th")) == [
        0, 0, 0]  # fmt: skip

    spanish = [_hit(1, "El récord lo tenía John Elway.", "es"),
               _hit(2, "Los Broncos ganaron el título.", "es")]  # fmt: skip
    assert list(missing_facts("El récord lo tenía Elway [2].", "", spanish, "es")) == [0, 1]


def test_a_decade_written_short_is_the_same_decade() -> None:
    from retrieval.answer.support import missing_facts

    greek = [_hit(1, "Θεωρίες που αναπτύχθηκαν τη δεκαετία του '70.", "el")]
    assert list(missing_facts("Theories of the 1970s [1].", "", greek, "en")) == [0]
    assert list(missing_facts("Theories of the 1980s [1].", "", greek, "en")) == [1]


def test_the_main_script_of_a_tie_is_the_same_in_every_process() -> None:
    """A Thai sentence runs its words together: one Thai word and one Latin name tied, and the
    set they were counted in decided by its hash order, which changes with every process
    (found when a test passed alone and failed in the suite)."""
    import subprocess
    import sys

    code = "from retrieval.text.scripts import main_script_of as m; print(m(['iPhone', '是什么']))"

    def run(seed: int) -> str:
        env = {"PYTHONHASHSEED": str(seed)}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, env=env)  # fmt: skip
        return done.stdout.strip()

    assert {run(seed) for seed in range(6)} == {"HAN"}


def test_a_large_number_is_the_same_in_any_unit() -> None:
    """Right citations the support benchmark removed: "10 亿年前" (ten hundred-millions of
    years) over a Russian passage that says "1 миллиард", and "390 de miliarde" over a Chinese
    one that says "3900亿"."""
    from retrieval.answer.support import missing_facts

    russian = [_hit(1, "Около 1 миллиарда лет назад цианобактерия попала в клетку.", "ru")]
    assert list(missing_facts("大约 10 亿年前，一只蓝藻进入了细胞 [1]。", "", russian, "zh")) == [0]
    assert list(missing_facts("大约 20 亿年前，一只蓝藻进入了细胞 [1]。", "", russian, "zh")) == [1]
    chinese = [_hit(1, "亚马逊雨林约有3900亿棵树，分属16000个树种。", "zh")]
    claim = "Amazonul are 390 de miliarde de copaci din 16.000 de specii [1]."
    assert list(missing_facts(claim, "", chinese, "ro")) == [0]
    assert list(missing_facts(claim.replace("390", "397"), "", chinese, "ro")) == [1]


def test_numbers_as_other_languages_group_them_and_a_lone_unit_word() -> None:
    """Right citations the support benchmark removed: "~74 000" and "11 600" (grouped by a
    space, as Russian writes them) over an Arabic passage that writes "74000" and "11،600"
    (Arabic's own comma), and "10 亿年前" over a Russian passage that says "около миллиарда"
    (about a billion, no digit)."""
    from retrieval.answer.support import missing_facts

    arabic = [_hit(1, "استمر الجليدي الأخير من ~ 74000 حتى نهاية العصر الجليدي (~ 11،600 BP).",
                   "ar")]  # fmt: skip
    claim = "Эпоха длилась от ~74 000 лет до конца Плейстоцена (~11 600 лет) [1]."
    assert list(missing_facts(claim, "", arabic, "ru")) == [0]
    assert list(missing_facts(claim.replace("11 600", "18 600"), "", arabic, "ru")) == [1]
    # "in 2015 200 people" stays two numbers: a year is not a thousands group
    english = [_hit(1, "In 2015, 200 people were there.", "en")]
    assert list(missing_facts("In 2015 200 people came [1].", "", english, "en")) == [0]

    russian = [_hit(1, "Примерно около миллиарда лет назад цианобактерия вошла в клетку.", "ru")]
    assert list(missing_facts("大约 10 亿年前，一只蓝藻进入了细胞 [1]。", "", russian, "zh")) == [0]
    assert list(missing_facts("大约 20 亿年前，一只蓝藻进入了细胞 [1]。", "", russian, "zh")) == [1]
    # a unit word inside another word is none: "cabin" says no thousand
    cabin = [_hit(1, "The cabin was small.", "en")]
    assert list(missing_facts("The cabin held 1000 people [1].", "", cabin, "en")) == [1]


def test_a_copied_name_must_be_written_alike_and_a_month_is_no_name() -> None:
    """Missing facts the benchmark let pass: "Johann" in a Greek sentence over a passage that
    names John (a copied name is written as it is; only an ending may differ). A right
    citation it removed: Turkish "1 Mart 1979" over a Vietnamese passage that writes the
    month as a number ("tháng 3"). And Greek writes b, d, g with two letters."""
    from retrieval.answer.support import missing_facts

    english = [_hit(1, "Academy Award winner John Matlin provided the translation.", "en"),
               _hit(2, "Johann Sebastian Bach was a composer.", "en")]  # fmt: skip
    claim = "Η βραβευμένη με Όσκαρ Johann έκανε τη μετάφραση [1]."
    assert list(missing_facts(claim, "", english, "el")) == [1, 0]
    plural = "Η Apple πούλησε iPhones [1]."
    phones = [_hit(1, "Apple sold many iPhone units.", "en")]
    assert list(missing_facts(plural, "", phones, "el")) == [0]

    vietnamese = [_hit(1, "Cuộc trưng cầu dân ý được tổ chức vào ngày 1 tháng 3 năm 1979.", "vi"),
                  _hit(2, "Referendum held on 1 March 1979.", "en")]  # fmt: skip
    turkish = "1 Mart 1979'da yapılacak referandumda [1]."
    assert list(missing_facts(turkish, "", vietnamese, "tr")) == [0, 0]

    spanish = [_hit(1, "El club Barcelona ganó la liga.", "es"),
               _hit(2, "Ο σύλλογος ήταν η Μπαρτσελόνα.", "el")]  # fmt: skip
    assert list(missing_facts("Τη λίγκα κέρδισε η Μπαρτσελόνα [1].", "", spanish, "el")) == [0, 0]


def test_a_name_is_asked_of_the_cited_passage_only_when_another_writes_it_alike() -> None:
    """A right citation the benchmark removed: "Ministry of Gender" over a German passage that
    translates it ("Ministerium für Geschlechter"), because another German passage held a
    word merely similar to "Gender" ("gemindert")."""
    from retrieval.answer.support import missing_facts

    german = [_hit(1, "Die meisten Prostituierten in Kenia sind 9-18 Jahre alt. 2009 waren 400 "
                      "Beamte beim Ministerium für Geschlechter angestellt.", "de"),
              _hit(2, "Die Armut wurde dadurch kaum gemindert.", "de")]  # fmt: skip
    claim = "Most prostitutes in Kenya are aged 9–18, says the Ministry of Gender [1]."
    assert list(missing_facts(claim, "", german, "en")) == [0, 1]
