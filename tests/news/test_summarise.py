"""Extractive summaries: offline operation, every algorithm, languages, limits, threads.

The article texts below are invented for these tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.news import summarise as summarise_module
from bot.news.summarise import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    DEFAULT_SENTENCES,
    MAX_SENTENCES,
    OfflineTokenizer,
    Summariser,
    UnknownAlgorithmError,
    cap_characters,
    resolve_language,
    split_sentences,
)
from tests.support import REPO

ENGLISH_ARTICLE = """\
The city council of Riverton voted on Tuesday to build a new bridge across the Mill River. \
The bridge will replace a crossing that engineers closed last year after finding cracks in its \
supports. Mayor Ellen Park said the vote ended two years of debate about the river crossing.

Construction is expected to start in the spring and to take about three years. The council \
estimates the bridge will cost $48 million, most of it paid by a state transport grant. \
Local businesses said the closed crossing had cut their trade by a third.

Not everyone supported the plan. Two council members argued that the money should go to \
repairing roads instead. Residents near the river worry about noise during construction.

The council also approved a new bus route to the hospital. The route will start in June. \
A public meeting about the bridge design is planned for next month at the town hall. \
Engineers will present three designs for the new bridge at that meeting.
"""

GERMAN_ARTICLE = """\
Der Stadtrat hat am Dienstag den Bau einer neuen Brücke beschlossen. Die alte Brücke ist seit \
dem Frühjahr gesperrt, weil Gutachter z.B. Risse in den Pfeilern gefunden haben. Laut Dr. Weber \
vom Bauamt soll die neue Brücke im Jahr 2027 fertig sein.

Die Kosten liegen bei etwa 48 Mio. Euro. Der größte Teil kommt vom Land, d.h. die Stadt zahlt \
nur einen kleinen Anteil. Viele Händler in der Altstadt begrüßen die Entscheidung.

Kritik kommt von Anwohnern am Fluss. Sie befürchten Lärm während der Bauarbeiten. Der Stadtrat \
will die Pläne im nächsten Monat öffentlich vorstellen.
"""

FRENCH_ARTICLE = """\
Le conseil municipal a voté mardi la construction d'un nouveau pont sur la rivière. L'ancien \
pont est fermé depuis l'an dernier, car des ingénieurs y ont trouvé des fissures. Selon M. Dupont, \
adjoint au maire, les travaux commenceront au printemps.

Le projet coûtera environ 48 millions d'euros. La région financera la plus grande partie du \
chantier. Les commerçants du centre-ville se disent soulagés par cette décision.

Certains habitants craignent le bruit pendant les travaux. Une réunion publique aura lieu le \
mois prochain à la mairie.
"""

SPANISH_ARTICLE = """\
El ayuntamiento aprobó el martes la construcción de un nuevo puente sobre el río. El puente \
antiguo está cerrado desde el año pasado porque los ingenieros encontraron grietas. Según el \
Sr. García, concejal de obras, los trabajos empezarán en primavera.

El proyecto costará unos 48 millones de euros. La región pagará la mayor parte de la obra. \
Los comerciantes del centro celebran la decisión.

Algunos vecinos temen el ruido durante las obras. Habrá una reunión pública el mes que viene.
"""

RUSSIAN_ARTICLE = """\
Городской совет во вторник одобрил строительство нового моста через реку. Старый мост закрыт \
с прошлого года, потому что инженеры нашли в опорах трещины. По словам Н. А. Петрова, \
заместителя мэра, работы начнутся весной.

Проект обойдётся примерно в 48 млн. рублей. Большую часть расходов оплатит область. \
Владельцы магазинов в центре города приветствуют это решение.

Некоторые жители опасаются шума во время стройки. Публичные слушания пройдут в следующем месяце.
"""

NON_DETERMINISTIC = {"random"}


def _assert_extract(result: list[str], text: str, count: int, language: str = "en") -> None:
    """``result`` is at most ``count`` distinct input sentences, in document order."""
    sentences = split_sentences(text, language)
    assert 0 < len(result) <= count
    positions = [sentences.index(s) for s in result]  # ValueError if not an input sentence
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)


# --------------------------------------------------------------------------------------------
# Offline


_OFFLINE_PRELUDE = """
import socket

def _blocked(*args, **kwargs):
    raise AssertionError("network access attempted")

class _BlockedSocket(socket.socket):  # stays a class: ssl subclasses it on import
    def __init__(self, *args, **kwargs):
        _blocked()

socket.socket = _BlockedSocket
socket.create_connection = _blocked
socket.getaddrinfo = _blocked

import nltk
import nltk.data

def _no_data(*args, **kwargs):
    raise AssertionError(f"nltk data requested: {args!r}")

nltk.data.path[:] = [NLTK_DATA]
nltk.data.find = _no_data
nltk.data.load = _no_data
nltk.download = _no_data
"""


def _run_offline(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``body`` in a fresh interpreter without network access or NLTK data."""
    empty_nltk = tmp_path / "nltk_data"
    empty_nltk.mkdir(exist_ok=True)
    prelude = _OFFLINE_PRELUDE.replace("NLTK_DATA", repr(str(empty_nltk)))
    env = {**os.environ, "NLTK_DATA": str(empty_nltk), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(body)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_summarises_without_network_or_nltk_data(tmp_path: Path) -> None:
    """A fresh interpreter with sockets disabled and no NLTK data can summarise."""
    proc = _run_offline(
        f"""
        from bot.news.summarise import ALGORITHMS, Summariser, split_sentences

        text = {ENGLISH_ARTICLE!r}
        for name in ALGORITHMS:
            for language in ("en", "de", "ru", "xx"):
                out = Summariser(name, sentences=3, language=language).summarise(text)
                assert len(out) == 3, (name, language, out)
        assert len(split_sentences(text, "fr")) == 13
        print("ok")
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_offline_harness_catches_nltk_data_use(tmp_path: Path) -> None:
    """The guard above is real: sumy's stock tokenizer (NLTK punkt data) fails under it."""
    proc = _run_offline(
        """
        from sumy.nlp.tokenizers import Tokenizer

        Tokenizer("english").to_sentences("One sentence. Another one.")
        """,
        tmp_path,
    )
    assert proc.returncode != 0
    assert "nltk data requested" in proc.stderr or "LookupError" in proc.stderr


def test_tokenizer_works_with_sumy_plaintext_parser() -> None:
    from sumy.parsers.plaintext import PlaintextParser

    parser = PlaintextParser.from_string(GERMAN_ARTICLE, OfflineTokenizer("de-DE"))
    document = parser.document
    assert len(document.paragraphs) == 3
    assert str(document.sentences[1]).startswith("Die alte Brücke")
    assert "z.B." in str(document.sentences[1])
    assert document.sentences[0].words[:3] == ("Der", "Stadtrat", "hat")
    assert parser.tokenize_words("Ein Satz.") == ("Ein", "Satz")


# --------------------------------------------------------------------------------------------
# Algorithms


def test_algorithm_table() -> None:
    assert {"lexrank", "lsa", "textrank", "luhn", "kl", "sumbasic", "reduction"} <= set(ALGORITHMS)
    assert DEFAULT_ALGORITHM in ALGORITHMS
    assert DEFAULT_SENTENCES == 3


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
@pytest.mark.parametrize("count", [1, 3, 5])
def test_each_algorithm_returns_input_sentences_in_order(algorithm: str, count: int) -> None:
    result = Summariser(algorithm).summarise(ENGLISH_ARTICLE, sentences=count)
    _assert_extract(result, ENGLISH_ARTICLE, count)
    assert len(result) == count


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS.keys() - NON_DETERMINISTIC))
def test_algorithms_are_deterministic(algorithm: str) -> None:
    summariser = Summariser(algorithm)
    assert summariser.summarise(ENGLISH_ARTICLE) == summariser.summarise(ENGLISH_ARTICLE)


def test_same_summaries_in_every_process() -> None:
    """Summaries must not depend on the interpreter's string-hash seed.

    sumy's stock LSA ordered its term rows by set iteration, which changes with the seed; these
    benchmark articles (CNN/DailyMail, see bench/data/PROVENANCE.md) came out differently.
    """
    script = textwrap.dedent(
        """
        import json
        from bot.news.summarise import ALGORITHMS, Summariser

        with open("bench/data/summaries-dev.jsonl", encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle]
        texts = [records[i]["article"] for i in (99, 102, 114, 167, 181, 191)]
        names = sorted(set(ALGORITHMS) - {"random"})
        print(json.dumps({n: [Summariser(n).summarise(t) for t in texts] for n in names}))
        """
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_per_call_overrides() -> None:
    summariser = Summariser("lexrank", sentences=2)
    assert len(summariser.summarise(ENGLISH_ARTICLE)) == 2
    assert len(summariser.summarise(ENGLISH_ARTICLE, sentences=4)) == 4
    assert len(summariser.summarise(ENGLISH_ARTICLE, algorithm="LSA", sentences=1)) == 1


def test_title_informs_but_is_never_returned() -> None:
    title = "Riverton approves new bus route to the hospital"
    result = Summariser("edmundson").summarise(ENGLISH_ARTICLE, title=title, sentences=2)
    assert title not in result
    assert any("bus route to the hospital" in s for s in result)
    _assert_extract(result, ENGLISH_ARTICLE, 2)


# --------------------------------------------------------------------------------------------
# Edge cases


def test_short_text_returns_every_sentence() -> None:
    text = "Only one sentence here. And a second one."
    for algorithm in ALGORITHMS:
        assert Summariser(algorithm).summarise(text) == [
            "Only one sentence here.",
            "And a second one.",
        ]
    assert Summariser().summarise("Just a headline without a full stop") == [
        "Just a headline without a full stop"
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n", "* * *", "123. 456."])
def test_empty_text_gives_empty_list(text: str) -> None:
    assert Summariser().summarise(text) == []
    assert split_sentences(text) == []


def test_unknown_algorithm_lists_valid_names() -> None:
    with pytest.raises(UnknownAlgorithmError) as info:
        Summariser("pagerank")
    message = str(info.value)
    assert "pagerank" in message
    for name in ALGORITHMS:
        assert name in message
    assert isinstance(info.value, ValueError)
    with pytest.raises(UnknownAlgorithmError):
        Summariser().summarise(ENGLISH_ARTICLE, algorithm="nope")
    with pytest.raises(UnknownAlgorithmError):
        Summariser().summarise("", algorithm="nope")


@pytest.mark.parametrize("bad", [0, -1, True, 2.5])
def test_invalid_sentence_count(bad: object) -> None:
    with pytest.raises(ValueError, match="sentences"):
        Summariser(sentences=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sentences"):
        Summariser().summarise(ENGLISH_ARTICLE, sentences=bad)  # type: ignore[arg-type]


def test_summariser_settings_are_normalised() -> None:
    summariser = Summariser("TextRank", 2, "de")
    assert (summariser.algorithm, summariser.sentences, summariser.language) == (
        "textrank",
        2,
        "german",
    )
    default = Summariser()
    assert (default.algorithm, default.sentences) == (DEFAULT_ALGORITHM, DEFAULT_SENTENCES)


def test_paragraph_breaks_end_sentences() -> None:
    text = "Breaking news from the harbour\n\nThe ferry left on time. It arrived\nlate."
    assert split_sentences(text) == [
        "Breaking news from the harbour",
        "The ferry left on time.",
        "It arrived late.",
    ]


def test_repeated_sentences_are_returned_once() -> None:
    text = ENGLISH_ARTICLE + "\n\nRead more.\n\nRead more.\n\nRead more.\n"
    result = Summariser("lexrank").summarise(text, sentences=10)
    assert len(result) == len(set(result))
    assert result.count("Read more.") <= 1


def test_huge_input_is_capped() -> None:
    paragraph = " ".join(
        f"Sentence number {i} talks about topic {i % 17} and item {i % 5}." for i in range(60)
    )
    text = "\n\n".join([paragraph] * 200)  # 12,000 sentences, about 800 kB
    assert len(split_sentences(text)) <= MAX_SENTENCES
    started = time.perf_counter()
    for algorithm in ("lexrank", "kl", "textrank"):
        assert len(Summariser(algorithm).summarise(text)) == 3
    assert time.perf_counter() - started < 30


def test_clipped_input_drops_the_partial_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(summarise_module, "MAX_INPUT_CHARS", 60)
    text = "The first sentence is complete. The second sentence is cut off somewhere here."
    assert split_sentences(text) == ["The first sentence is complete."]


# --------------------------------------------------------------------------------------------
# Languages


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("en", "english"),
        ("de-DE", "german"),
        ("de_AT", "german"),
        ("FR", "french"),
        ("es-419", "spanish"),
        ("ru", "russian"),
        ("pt-BR", "portuguese"),
        ("el", "greek"),
        ("zh-Hans-CN", "chinese"),
        ("deu", "german"),
        ("German", "german"),
        ("slovenian", "slovene"),
        (None, "english"),
        ("", "english"),
        ("xx", "xx"),
    ],
)
def test_resolve_language(code: str | None, name: str) -> None:
    assert resolve_language(code) == name


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "de",
            "Das gilt z.B. für Händler. Laut Dr. Weber ab dem 1. März. Gut so.",
            ["Das gilt z.B. für Händler.", "Laut Dr. Weber ab dem 1. März.", "Gut so."],
        ),
        (
            "fr",
            "M. Dupont est venu hier. Il est reparti. Tout va bien.",
            ["M. Dupont est venu hier.", "Il est reparti.", "Tout va bien."],
        ),
        (
            "es",
            "El Sr. García llegó ayer. La Dra. López lo recibió. Nadie habló.",
            ["El Sr. García llegó ayer.", "La Dra. López lo recibió.", "Nadie habló."],
        ),
        (
            "ru",
            "В 2020 г. открыли завод. Проект стоил 5 млн. рублей. Работы завершены.",
            ["В 2020 г. открыли завод.", "Проект стоил 5 млн. рублей.", "Работы завершены."],
        ),
        (
            "en",
            "Use a tool, e.g. a hammer. Then ask Gov. Smith. Done.",
            ["Use a tool, e.g. a hammer.", "Then ask Gov. Smith.", "Done."],
        ),
        ("zh", "这是一支笔。那是一本书！", ["这是一支笔。", "那是一本书！"]),
    ],
)
def test_language_specific_sentence_splitting(
    language: str, text: str, expected: list[str]
) -> None:
    assert split_sentences(text, language) == expected


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("de", GERMAN_ARTICLE),
        ("fr", FRENCH_ARTICLE),
        ("es", SPANISH_ARTICLE),
        ("ru", RUSSIAN_ARTICLE),
    ],
)
@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_summarises_other_languages(language: str, text: str, algorithm: str) -> None:
    result = Summariser(algorithm, sentences=2, language=language).summarise(text)
    _assert_extract(result, text, 2, language)
    assert len(result) == 2


def test_german_article_splits_around_abbreviations() -> None:
    sentences = split_sentences(GERMAN_ARTICLE, "de")
    assert len(sentences) == 9
    assert any("z.B. Risse" in s for s in sentences)
    assert any("Laut Dr. Weber" in s for s in sentences)
    assert any("d.h. die Stadt" in s for s in sentences)


def test_words_are_unicode_aware() -> None:
    assert OfflineTokenizer("de").to_words("Größere Brücken, z.B. über 48 Flüsse!") == (
        "Größere",
        "Brücken",
        "zB",
        "über",
        "Flüsse",
    )
    assert OfflineTokenizer("en").to_words("The U.S. co-owner’s café") == (
        "The",
        "US",
        "co-owner's",
        "café",
    )
    assert OfflineTokenizer("fr").to_words("L'homme d'affaires") == ("L", "homme", "d", "affaires")
    assert OfflineTokenizer("ru").to_words("Новый мост, 2024 год.") == ("Новый", "мост", "год")
    assert OfflineTokenizer("zh").to_words("新桥 bridge") == ("新", "桥", "bridge")


@pytest.mark.parametrize("language", ["xx", "tlh", "el", "pl", "tr", "zh", "ar", "he"])
def test_unsupported_or_partial_languages_fall_back(language: str) -> None:
    """No model, stemmer or stop words (or an optional package missing): still summarises."""
    result = Summariser(language=language).summarise(ENGLISH_ARTICLE)
    _assert_extract(result, ENGLISH_ARTICLE, 3, language)
    assert len(result) == 3


# --------------------------------------------------------------------------------------------
# Threads


def test_safe_to_share_between_threads() -> None:
    jobs = [
        (algorithm, language, text)
        for algorithm in sorted(ALGORITHMS.keys() - NON_DETERMINISTIC)
        for language, text in (
            ("en", ENGLISH_ARTICLE),
            ("de", GERMAN_ARTICLE),
            ("ru", RUSSIAN_ARTICLE),
            ("ar", ENGLISH_ARTICLE),  # NLTK's Arabic stemmer keeps state on the instance
        )
    ]
    summariser = Summariser()

    def run(job: tuple[str, str, str]) -> list[str]:
        algorithm, language, text = job
        return summariser.summarise(text, algorithm=algorithm, language=language)

    expected = [run(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            assert list(pool.map(run, jobs)) == expected


# --- CJK sentence ends, whatever the language ---------------------------------------------------

CHINESE_NEWS = [
    "本市议会周二晚间通过了明年的财政预算。",
    "预算中有一千二百万元用于修缮老旧学校和幼儿园。",
    "反对派批评说，北部城区学校的维修要到三年后才能开始！",
    "市长表示：“我们会优先处理最危险的校舍。”",
    "第一批工程将于明年春天在两所小学启动。",
    "家长们能否等到那一天？",
]
JAPANESE_NEWS = [
    "市議会は火曜日の夜、来年度の予算案を可決した。",
    "予算には古い学校や保育園の修理に十二億円が含まれている。",
    "野党は、北部の学校の修理が三年後にしか始まらないと批判した！",
    "市長は「最も危険な校舎から手をつける。」と述べた。",
    "最初の工事は来年の春、二つの小学校で始まる。",
    "保護者たちはそれまで待てるのだろうか？",
]


@pytest.mark.parametrize("sentences", [CHINESE_NEWS, JAPANESE_NEWS], ids=["zh", "ja"])
@pytest.mark.parametrize("language", [None, "en", "de", "zh", "ja"])
def test_cjk_sentence_ends_split_in_any_language(
    sentences: list[str], language: str | None
) -> None:
    # An article whose language was not detected is read with the default (English) rules.
    text = "".join(sentences)
    assert split_sentences(text, language) == sentences
    summary = Summariser(sentences=2).summarise(text, language=language)
    assert len(summary) == 2
    assert all(sentence in sentences for sentence in summary)


def test_cjk_sentence_ends_inside_a_mixed_paragraph() -> None:
    text = "The mayor spoke first. 市长表示：“我们会优先处理。”家长们能否等到那一天？ Then he left."
    assert split_sentences(text) == [
        "The mayor spoke first.",
        "市长表示：“我们会优先处理。”",
        "家长们能否等到那一天？",
        "Then he left.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("「はい。」と答えた。次だ！", ["「はい。」と答えた。", "次だ！"]),
        ("「本当？」って聞いた。", ["「本当？」って聞いた。"]),
        ("他说“好！”，然后走了。", ["他说“好！”，然后走了。"]),
        ("真的吗？！我不信。", ["真的吗？！", "我不信。"]),
        ("半角の句点｡次の文", ["半角の句点｡", "次の文"]),
    ],
    ids=["quote-to", "quote-tte", "quote-comma", "terminator-run", "half-width"],
)
@pytest.mark.parametrize("language", [None, "ja", "zh"])
def test_cjk_quotations_and_runs_of_terminators(
    text: str, expected: list[str], language: str | None
) -> None:
    assert split_sentences(text, language) == expected


def test_a_summary_is_capped_in_characters_as_well_as_sentences() -> None:
    sentences = ["A" * 250 + ".", "B" * 250 + ".", "C" * 250 + "."]
    assert cap_characters(sentences, 600) == sentences[:2]  # whole sentences, never a cut one
    assert cap_characters(sentences, 0) == sentences  # 0: no limit
    run_on = "word " * 300
    [shortened] = cap_characters([run_on.strip() + "."], 100)
    assert len(shortened) <= 100
    assert shortened.endswith("…")
    assert not shortened.endswith(" …")
    assert cap_characters([], 100) == []
