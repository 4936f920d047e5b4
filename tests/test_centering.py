"""Language-neutral scores: with an embedder that, like multilingual encoders, pulls every text
toward its language, a question finds the right article in another language instead of a
same-language distractor once vectors are centered; stored vectors round-trip; an index written
before centering is rewritten without re-embedding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.embedding.centering import RAW, Centering
from retrieval.errors import EmbedderMismatchError
from retrieval.index.ingest import ingest, reindex
from retrieval.index.inventory import verify
from retrieval.index.parts import Index
from retrieval.search.hybrid import search
from testing.embedder import LanguageBiasedEmbedder

ENGLISH = (
    "Kiel harbour locks closed\n\n"
    "The port authority closed the Holtenau locks in Kiel on 3 March 2024 after the freighter "
    "MS Stella hit the outer gate. Ferries to Oslo were diverted for two days."
)
GERMAN = [
    (
        "Pensionsreform beschlossen\n\n"
        "Die Regierung in Wien hat am Montag eine Reform der Pensionen beschlossen. Die "
        "Opposition kritisierte den Entwurf als zu teuer für die Jüngeren im Land."
    ),
    (
        "Neue Straßenbahn für Graz\n\n"
        "Die Stadt Graz bekommt bis zum Herbst eine neue Straßenbahnlinie. Die Bauarbeiten in "
        "der Innenstadt sollen im Mai beginnen und den Verkehr nur wenig stören."
    ),
    (
        "Schulen starten digital\n\n"
        "In den Schulen des Landes werden die Zeugnisse nun digital verschickt. Die Lehrer "
        "bekommen dafür eine Schulung, die im Herbst beginnen wird."
    ),
]
QUESTION = "Warum wurden die Holtenau-Schleusen in Kiel am 3. März 2024 geschlossen?"


def corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "en.txt").write_text(ENGLISH, encoding="utf-8")
    for i, text in enumerate(GERMAN):
        (folder / f"de{i}.txt").write_text(text, encoding="utf-8")
    return folder


def biased(detector, centered: bool = True) -> LanguageBiasedEmbedder:  # type: ignore[no-untyped-def]
    return LanguageBiasedEmbedder(
        lambda t: detector.detect(t) or "en", dim=256, bias=2.0, centered=centered
    )


def top_title(index: Index, mode: str) -> str:
    return search(index, QUESTION, k=3, mode=mode).hits[0].chunk.title


@pytest.mark.parametrize("mode", ["dense_chunks", "dense", "hybrid"])
def test_the_right_article_in_another_language_beats_same_language_distractors(
    tmp_path: Path, settings, detector, mode: str
) -> None:  # type: ignore[no-untyped-def]
    src = corpus(tmp_path / "in")
    raw = Index(settings.__class__(**{**settings.__dict__, "data_dir": tmp_path / "raw"}),
                embedder=biased(detector, centered=False), detector=detector)  # fmt: skip
    assert ingest(raw, [str(src)]).ok
    assert raw.centering.space == RAW
    assert top_title(raw, "dense_chunks") != "Kiel harbour locks closed", (
        "the language pull the test is about: without centering a German text wins"
    )
    raw.close()
    index = Index(settings, embedder=biased(detector), detector=detector)
    assert ingest(index, [str(src)]).ok
    assert index.centering.active and index.centering.space != RAW
    assert top_title(index, mode) == "Kiel harbour locks closed"
    index.close()


def test_stored_vectors_give_back_the_embedders_own(tmp_path: Path, settings, detector) -> None:  # type: ignore[no-untyped-def]
    embedder = biased(detector)
    index = Index(settings, embedder=embedder, detector=detector)
    ingest(index, [str(corpus(tmp_path / "in"))])
    rows = index.catalog.iter_chunk_rows()
    stored = index.store.stored([r["chunk_id"] for r in rows])
    ids = list(stored)
    back = index.centering.raw(
        np.stack([stored[i][0] for i in ids]),
        [stored[i][1] for i in ids],
        [stored[i][2] for i in ids],
    )
    texts = {r["chunk_id"]: r["text"] for r in rows}
    expected = embedder.embed_passages([texts[i] for i in ids])
    assert np.allclose(back, expected, atol=1e-5)
    assert all(abs(float(np.linalg.norm(stored[i][0])) - 1) < 1e-5 for i in ids), "unit vectors"
    index.close()


def test_centering_round_trip_and_query() -> None:
    rng = np.random.default_rng(0)
    centers = {"p_en": rng.standard_normal(8), "p_de": rng.standard_normal(8),
               "q_en": rng.standard_normal(8), "q_de": rng.standard_normal(8)}  # fmt: skip
    c = Centering({k: v.astype(np.float32) for k, v in centers.items()})
    raw = rng.standard_normal((3, 8)).astype(np.float32)
    langs = ["en", "de", "sw"]  # Swahili has no center: the mean of all is taken
    centered, norms = c.apply(raw, langs)
    assert np.allclose(np.linalg.norm(centered, axis=1), 1.0, atol=1e-6)
    assert np.allclose(c.raw(centered, norms, langs), raw, atol=1e-5)
    assert np.allclose(
        centered[2] * norms[2] + (centers["p_en"] + centers["p_de"]) / 2, raw[2], atol=1e-5
    )
    q = c.query(raw[0])
    assert abs(float(np.linalg.norm(q)) - 1) < 1e-6
    assert Centering().space == RAW and not Centering().active


def test_an_index_from_before_centering_is_rewritten_not_reembedded(
    tmp_path: Path, settings, detector
) -> None:  # type: ignore[no-untyped-def]
    src = corpus(tmp_path / "in")
    old = Index(settings, embedder=biased(detector, centered=False), detector=detector)
    ingest(old, [str(src)])
    old.close()
    embedder = biased(detector)
    index = Index(settings, embedder=embedder, detector=detector)
    with pytest.raises(EmbedderMismatchError, match="footnote reindex"):
        search(index, QUESTION)
    report = reindex(index)
    assert report.texts_embedded == 0 and embedder.passages_embedded == []
    assert report.chunks_added > 0 and len(report.updated) == 4
    assert verify(index)["ok"]
    assert top_title(index, "dense") == "Kiel harbour locks closed"
    index.close()


def test_a_questions_leftover_pull_to_its_language_is_halved() -> None:
    """What the mean offset leaves of a question's language only draws it to its own language's
    passages: half of it goes, the topic stays."""
    e = np.eye(16, dtype=np.float32)
    centers = {"q_en": e[0], "q_de": e[1], "q_fr": e[2], "p_en": e[3], "p_de": e[3]}
    c = Centering(centers)
    german = e[1] - (e[0] + e[1] + e[2]) / 3  # German's direction among the query centers
    topic = e[5]
    # the question as the encoder makes it: its language's center, its topic, and more German
    raw = centers["q_de"] + topic + 1.5 * german
    right = topic  # the English passage on the topic (stored centered, unit)
    distractor = 0.6 * e[6] + 0.8 * german / np.linalg.norm(german)  # German, off topic
    no_projection = raw - (centers["q_en"] + centers["q_de"] + centers["q_fr"]) / 3
    no_projection -= 0.5 * (centers["q_de"] - (e[0] + e[1] + e[2]) / 3)
    assert no_projection @ distractor > no_projection @ right, "the pull the test is about"
    q = c.query(raw, "de")
    assert q @ right > q @ distractor
    left = q - (q @ topic) * topic
    assert np.isclose(np.linalg.norm(left) / (q @ topic), np.linalg.norm(german), atol=1e-5), (
        "half of the 2 x German that centering left remains"
    )


def test_a_write_in_known_languages_reads_nothing_of_the_archive_for_the_query_center(
    tmp_path: Path, settings, detector, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The corpus's query center is taken again when the corpus doubles or gains a language;
    any other write must not count the archive (at 1,000,000 chunks: 0.7 s of every ingest)."""
    index = Index(settings, embedder=biased(detector), detector=detector)
    ingest(index, [str(corpus(tmp_path / "in"))])  # 4 articles, English and German
    center = index.catalog.get_blob("corpus_query_center")
    assert center

    def archive_read(*_: object) -> None:
        raise AssertionError("the archive was read")

    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "en2.txt").write_text(
        "Kiel locks reopened\n\nThe port authority reopened the Holtenau locks in Kiel on 9 March "
        "2024 after a week of repairs to the outer gate. Ferries to Oslo run on time again.",
        encoding="utf-8",
    )
    with monkeypatch.context() as m:
        m.setattr(index.catalog, "counts", archive_read)
        m.setattr(index.catalog, "languages", archive_read)
        assert ingest(index, [str(tmp_path / "more")]).added
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "fr.txt").write_text(
        "Écluses de Kiel fermées\n\nLe port de Kiel a fermé les écluses de Holtenau le 3 mars "
        "2024 après qu'un cargo a heurté la porte extérieure. Les ferries vers Oslo ont été "
        "déviés pendant deux jours.",
        encoding="utf-8",
    )
    assert ingest(index, [str(tmp_path / "fr")]).added  # a new language: taken again
    assert index.catalog.get_blob("corpus_query_center") != center
    index.close()
