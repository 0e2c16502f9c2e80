"""NewsRank, the default news summarizer: selection rules, edge cases, and its place as default.

The article texts below are invented for these tests.
"""

from __future__ import annotations

import pytest
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer
from sumy.parsers.plaintext import PlaintextParser
from sumy.summarizers._summarizer import AbstractSummarizer

from bot.news.newsrank import CONNECTIVES, NewsRankSummarizer
from bot.news.summarise import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    OfflineTokenizer,
    Summariser,
    split_sentences,
)
from config.settings import Settings

BRIDGE = (
    "The city council of Riverton voted on Tuesday to build a new bridge across the Mill River. "
    "The bridge will replace a crossing that engineers closed last year after finding cracks. "
    "Mayor Ellen Park said the vote ended two years of debate about the river crossing. "
    "Construction is expected to start in the spring and to take about three years to finish. "
    "The council estimates the bridge will cost $48 million, mostly paid by a state grant. "
    "Local businesses said the closed crossing had cut their trade by a third last year. "
    "A public meeting about the bridge design is planned for next month at the town hall."
)

# The second sentence restates the first almost word for word, as photo captions in news pages
# often restate the lead.
REPEATED_LEAD = (
    "Firefighters rescued twelve hikers trapped by a flash flood in Red Canyon on Sunday. "
    "Firefighters rescued twelve hikers trapped by a flash flood in Red Canyon on Sunday night. "
    "The hikers had ignored warnings posted at the trail entrance that morning by rangers. "
    "Rangers said heavy rain upstream sent a wall of water through the narrow canyon. "
    "Two of the hikers were treated in hospital for mild hypothermia and later released."
)


def _document(text: str):
    return PlaintextParser.from_string(text, OfflineTokenizer("en")).document


def _english(**settings: float) -> NewsRankSummarizer:
    summarizer = NewsRankSummarizer(
        Stemmer("english"), connectives=CONNECTIVES["english"], **settings
    )
    summarizer.stop_words = ("the", "a", "of", "in", "on", "by", "to", "and", "at", "was")
    return summarizer


def _positions(result, text: str) -> list[int]:
    sentences = split_sentences(text)
    return [sentences.index(str(s)) for s in result]


# --------------------------------------------------------------------------------------------
# Registration and default


def test_is_a_sumy_summarizer_and_the_default() -> None:
    assert issubclass(NewsRankSummarizer, AbstractSummarizer)
    assert ALGORITHMS["newsrank"] is NewsRankSummarizer
    assert DEFAULT_ALGORITHM == "newsrank"
    assert Summariser().algorithm == "newsrank"
    assert Summariser("NewsRank").algorithm == "newsrank"


def test_stock_algorithms_stay_selectable() -> None:
    stock = {"lexrank", "lsa", "textrank", "luhn", "kl", "sumbasic", "reduction", "edmundson"}
    assert stock <= set(ALGORITHMS)
    for name in stock:
        assert len(Summariser(name).summarise(BRIDGE, sentences=2)) == 2


def test_settings_leave_the_choice_to_the_default() -> None:
    settings = Settings(_env_file=None)
    assert settings.summary_algorithm is None
    assert Settings(_env_file=None, summary_algorithm="newsrank").summary_algorithm == "newsrank"


# --------------------------------------------------------------------------------------------
# Selection


@pytest.mark.parametrize("count", [1, 2, 3, 4, 6])
def test_respects_count_and_document_order(count: int) -> None:
    result = _english()(_document(BRIDGE), count)
    positions = _positions(result, BRIDGE)
    assert len(positions) == count
    assert positions == sorted(positions)
    assert len(set(positions)) == count


def test_percentage_counts_work_as_in_sumy() -> None:
    assert len(_english()(_document(BRIDGE), "50%")) == 3


def test_prefers_the_lead_of_a_plain_news_story() -> None:
    assert _positions(_english()(_document(BRIDGE), 3), BRIDGE) == [0, 1, 2]


def test_near_identical_lead_sentences_are_not_both_chosen() -> None:
    document = _document(REPEATED_LEAD)
    without_mmr = _positions(_english(redundancy=0.0)(document, 2), REPEATED_LEAD)
    assert without_mmr == [0, 1]  # by salience alone the copy would be picked
    with_mmr = _positions(_english()(document, 2), REPEATED_LEAD)
    assert with_mmr[0] == 0
    assert 1 not in with_mmr
    first, copy = split_sentences(REPEATED_LEAD)[:2]
    summary = Summariser().summarise(REPEATED_LEAD, sentences=2)
    assert first in summary
    assert copy not in summary


@pytest.mark.parametrize(
    "opening",
    [
        "Is Riverton finally ready to build the new bridge it has debated for years?",
        "Big news for Riverton.",
        '"We finally have a decision on the bridge after two long years of arguing."',
    ],
)
def test_openings_that_cannot_stand_alone_are_skipped(opening: str) -> None:
    text = opening + " " + BRIDGE
    document = _document(text)
    summarizer = _english()
    assert not summarizer.can_stand_alone(document.sentences[0])
    assert all(summarizer.can_stand_alone(s) for s in document.sentences[1:])
    picked = _positions(summarizer(document, 3), text)
    assert len(picked) == 3
    assert picked[:2] == [1, 2]  # the story's real lead takes the opening's place
    # ... unless too few other sentences remain.
    assert _positions(summarizer(document, len(document.sentences)), text)[0] == 0


def test_overlong_sentences_are_demoted() -> None:
    long_second = (
        "The bridge, which the regional transport agency first proposed in a report published "
        "almost a decade ago and which several earlier councils rejected because of its cost, "
        "will replace a crossing that engineers closed last year after they found cracks."
    )
    sentences = split_sentences(BRIDGE)
    text = " ".join([sentences[0], long_second, *sentences[2:]])
    document = _document(text)
    demoted = _english().rate_sentences(document)
    plain = _english(max_words=1000).rate_sentences(document)
    second = document.sentences[1]
    assert demoted[second] == pytest.approx(plain[second] * NewsRankSummarizer.demotion)
    assert demoted[document.sentences[0]] == plain[document.sentences[0]]


def test_connectives_demote_only_in_their_language() -> None:
    sentences = split_sentences(BRIDGE)
    text = " ".join([sentences[0], "But " + sentences[1][0].lower() + sentences[1][1:]])
    text += " " + " ".join(sentences[2:])
    document = _document(text)
    english = _english()
    no_list = NewsRankSummarizer(Stemmer("english"))
    no_list.stop_words = english.stop_words
    with_list, without_list = english.rate_sentences(document), no_list.rate_sentences(document)
    second = document.sentences[1]
    assert with_list[second] == pytest.approx(without_list[second] * english.demotion)
    assert with_list[document.sentences[2]] == without_list[document.sentences[2]]


def test_the_default_ignores_the_title_and_never_returns_it() -> None:
    """The title weight is 0 by default: on the benchmark articles with titles no weight gained
    beyond noise, and a large one lost (README, Benchmarks)."""
    title = "Engineers found cracks and closed the old crossing"
    assert NewsRankSummarizer.title_weight == 0
    with_title = Summariser().summarise(BRIDGE, title=title, sentences=1)
    assert with_title == Summariser().summarise(BRIDGE, sentences=1) == [split_sentences(BRIDGE)[0]]
    assert title not in Summariser().summarise(BRIDGE, title=title, sentences=7)
    assert Summariser().summarise(title, title=title) == [title]  # body text, not the heading


def test_a_title_weight_raises_the_salience_of_title_words() -> None:
    title = "Engineers found cracks and closed the old crossing"
    tokenizer = OfflineTokenizer("en")
    sentences = [Sentence(s, tokenizer) for s in split_sentences(BRIDGE)]
    document = ObjectDocumentModel(
        [Paragraph([Sentence(title, tokenizer, is_heading=True), *sentences])]
    )
    assert _positions(_english()(document, 1), BRIDGE) == [0]
    # With the title term on, the sentence about the cracks outranks the lead.
    assert _positions(_english(title_weight=1.0)(document, 1), BRIDGE) == [1]
    assert all(not s.is_heading for s in _english(title_weight=1.0)(document, 7))


def test_deterministic_and_stateless() -> None:
    summarizer = _english()
    first = summarizer(_document(REPEATED_LEAD), 2)
    summarizer(_document(BRIDGE), 3)
    assert summarizer(_document(REPEATED_LEAD), 2) == first


# --------------------------------------------------------------------------------------------
# Edge cases


def test_empty_and_single_sentence_documents() -> None:
    assert _english()(_document(""), 3) == ()
    single = "Only one sentence is here."
    assert [str(s) for s in _english()(_document(single), 3)] == [single]
    assert Summariser().summarise(single) == [single]
    assert Summariser().summarise("  \n ") == []


def test_sentences_without_content_words() -> None:
    text = "It was. So it is. " + BRIDGE
    result = _english()(_document(text), 3)
    assert len(result) == 3


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "de",
            "Der Stadtrat hat am Dienstag den Bau einer neuen Brücke über den Fluss beschlossen. "
            "Die alte Brücke ist seit dem Frühjahr gesperrt, weil Gutachter Risse fanden. "
            "Die Kosten liegen bei etwa 48 Millionen Euro, die größtenteils das Land zahlt. "
            "Viele Händler in der Altstadt begrüßen die Entscheidung des Stadtrats sehr. "
            "Anwohner am Fluss befürchten dagegen Lärm während der langen Bauarbeiten.",
        ),
        (
            "ru",
            "Городской совет во вторник одобрил строительство нового моста через реку. "
            "Старый мост закрыт с прошлого года, потому что инженеры нашли трещины. "
            "Проект обойдётся примерно в 48 миллионов рублей из бюджета области. "
            "Владельцы магазинов в центре города приветствуют это решение совета. "
            "Некоторые жители опасаются шума во время долгой стройки у реки.",
        ),
        ("xx", BRIDGE),
    ],
)
def test_other_languages(language: str, text: str) -> None:
    result = Summariser(language=language).summarise(text)
    sentences = split_sentences(text, language)
    positions = [sentences.index(s) for s in result]
    assert len(positions) == 3
    assert positions == sorted(positions)


def test_rejects_a_non_positive_position_decay() -> None:
    with pytest.raises(ValueError, match="position_decay"):
        NewsRankSummarizer(position_decay=0)
