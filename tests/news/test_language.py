"""Per-article languages: declared tags, detection, and what the summariser does with them."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import pytest

from bot.news.language import (
    MIN_DETECT_LETTERS,
    article_language,
    clean_tag,
    detect_language,
    is_supported,
    script_language,
    summary_language,
)
from bot.news.parse import parse_feed
from bot.news.summarise import Summariser, resolve_language, split_sentences


@dataclass(frozen=True)
class Story:
    """A short council story built so that the stop words and stemmer in use are visible.

    ``key`` shares the title's topic words, but only in another inflection ("Schule" for the
    title's "Schulen"), so it matches the title only when words are stemmed in the story's
    language. ``decoy`` shares only the title's function words ("für", "die", "der"), so it
    matches only when they are NOT that language's stop words. Edmundson (title words, whose
    stop words are ignored, plus position) therefore picks ``key`` with the story's language
    and ``decoy`` with English rules, wherever the two sit in the middle of the story.
    """

    code: str
    name: str
    title: str
    opening: str
    key: str
    middle: str
    decoy: str
    closing: str

    def text(self, *, key_first: bool = True) -> str:
        first, second = (self.key, self.decoy) if key_first else (self.decoy, self.key)
        return " ".join((self.opening, first, self.middle, second, self.closing))


STORIES = {
    "de": Story(
        "de",
        "german",
        "Mehr Geld für die Schulen der Stadt",
        "Am Dienstagabend tagte in Freiburg stundenlang das Parlament.",
        "Jede Schule bekommt Geld aus dem Haushalt.",
        "Die Fraktionen stritten vor allem über neue Radwege.",
        "Für die Anwohner der Altstadt gab es mehr Ärger als erwartet.",
        "Eine Entscheidung über das Hallenbad wurde vertagt.",
    ),
    "fr": Story(
        "fr",
        "french",
        "Plus d'argent pour les écoles de la ville",
        "Mardi soir, le conseil municipal de Lyon a siégé pendant des heures.",
        "Chaque école recevra de l'argent du budget municipal.",
        "Les élus se sont surtout disputés sur les nouvelles pistes cyclables.",
        "Pour les riverains du centre, il y a eu plus de bruit que prévu.",
        "Une décision sur la piscine a été reportée.",
    ),
    "es": Story(
        "es",
        "spanish",
        "Dinero para los colegios de la ciudad",
        "El martes por la noche, el pleno de Valencia debatió durante horas.",
        "Cada colegio recibirá dinero del presupuesto municipal.",
        "Los grupos discutieron sobre todo los nuevos carriles bici.",
        "Para los vecinos del casco antiguo hubo ruido de la mañana a la noche.",
        "La decisión sobre la piscina se aplazó.",
    ),
    "ru": Story(
        "ru",
        "russian",
        "Что получат школы: деньги для всех",
        "Во вторник вечером депутаты Казани заседали несколько часов.",
        "Каждая школа получит деньги из городского бюджета.",
        "Фракции спорили прежде всего о новых велодорожках.",
        "Для всех жителей центра было шумно, что никого не удивило.",
        "Решение по бассейну отложили.",
    ),
}

VIETNAMESE = (
    "Hội đồng thành phố Đà Nẵng đã thông qua ngân sách cho năm tới vào tối thứ Ba. Ngân sách "
    "dành mười hai triệu đô la để sửa chữa trường học và nhà trẻ. Phe đối lập chỉ trích tiến "
    "độ sửa chữa các trường học ở phía bắc thành phố. Công việc đầu tiên sẽ bắt đầu vào mùa "
    "xuân tại hai trường tiểu học."
)
BULGARIAN = (
    "Общинският съвет на София одобри във вторник бюджета за следващата година. Бюджетът "
    "предвижда дванадесет милиона лева за ремонт на училища и детски градини. Опозицията "
    "разкритикува сроковете за ремонт на училищата в северната част на града."
)
KOREAN = (
    "서울시 의회는 화요일 밤 내년도 예산안을 통과시켰다. 예산안에는 낡은 학교와 어린이집 "
    "수리를 위한 120억 원이 포함됐다. 야당은 북부 지역 학교의 수리가 3년 뒤에야 시작된다고 "
    "비판했다. 첫 공사는 내년 봄 초등학교 두 곳에서 시작된다."
)
THAI = (
    "สภากรุงเทพมหานครอนุมัติงบประมาณสำหรับปีหน้าเมื่อคืนวันอังคาร "
    "งบประมาณนี้รวมเงินสิบสองล้านบาทสำหรับซ่อมแซมโรงเรียนและสถานรับเลี้ยงเด็ก "
    "ฝ่ายค้านวิจารณ์ว่าการซ่อมโรงเรียนทางตอนเหนือจะเริ่มในอีกสามปีข้างหน้า"
)

FEED_URL = "https://feeds.example.test/feed"


# --- tags --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "cleaned", "name"),
    [
        ("de-DE", "de-DE", "german"),
        ("fr_FR", "fr-FR", "french"),
        (" pt-BR ", "pt-BR", "portuguese"),
        ("ru", "ru", "russian"),
        ("es-419", "es-419", "spanish"),
        ("German", "German", "german"),
        ("ka", "ka", "georgian"),  # a language, though not one the summariser can stem
        ("vi", "vi", "vietnamese"),
    ],
)
def test_declared_tags_are_normalised_to_summariser_languages(
    tag: str, cleaned: str, name: str
) -> None:
    assert clean_tag(tag) == cleaned
    assert summary_language(tag) == name


@pytest.mark.parametrize("tag", [None, 42, "", "   ", "zz", "und", "mul", "x-klingon", "n/a"])
def test_tags_that_name_no_language_are_ignored(tag: object) -> None:
    assert clean_tag(tag) is None
    assert summary_language(tag if isinstance(tag, str) else None) is None


@pytest.mark.parametrize(
    ("name", "supported"),
    [
        ("german", True),
        ("french", True),
        ("spanish", True),
        ("russian", True),
        ("english", True),
        ("georgian", False),
        ("vietnamese", False),
        ("xx", False),
        ("", False),
    ],
)
def test_supported_means_a_stemmer_or_stop_words(name: str, supported: bool) -> None:
    assert is_supported(name) is supported


# --- detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(STORIES))
def test_detects_the_language_of_a_news_paragraph(code: str) -> None:
    story = STORIES[code]
    assert detect_language(f"{story.title}\n{story.text()}") == code


def test_short_text_is_not_guessed() -> None:
    short = STORIES["de"].key  # one short sentence, fewer letters than the minimum
    assert sum(ch.isalpha() for ch in short) < MIN_DETECT_LETTERS
    assert detect_language(short) is None
    assert detect_language("") is None


@pytest.mark.parametrize("text", [VIETNAMESE, BULGARIAN])
def test_languages_the_summariser_cannot_use_are_not_reported(text: str) -> None:
    # Bulgarian in particular must not come back as Russian, its nearest supported neighbour.
    assert detect_language(text) is None


# --- the order of evidence ---------------------------------------------------------------------


def test_item_tag_wins_over_feed_tag_and_detection() -> None:
    assert article_language("fr-FR", "de", STORIES["es"].text()) == "fr-FR"


def test_feed_tag_wins_over_detection() -> None:
    assert article_language(None, "de-AT", STORIES["es"].text()) == "de-AT"


def test_detection_is_the_last_resort() -> None:
    assert article_language(None, None, STORIES["ru"].text()) == "ru"
    assert article_language(None, None, "Kurz.") is None


def test_meaningless_tags_fall_through_to_the_next_source() -> None:
    assert article_language("zz", "es", STORIES["de"].text()) == "es"
    assert article_language("und", "n/a", STORIES["de"].text()) == "de"


def test_declared_unsupported_language_is_kept_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot.news.language"):
        assert article_language("vi", "en", VIETNAMESE) == "vi"
    assert any(
        "vietnamese" in record.getMessage() and record.levelno == logging.DEBUG
        for record in caplog.records
    )


# --- the summariser uses the article's language ------------------------------------------------


@pytest.mark.parametrize("key_first", [True, False])
@pytest.mark.parametrize("code", sorted(STORIES))
def test_summary_uses_the_stop_words_and_stemmer_of_the_language(
    code: str, key_first: bool
) -> None:
    story = STORIES[code]
    text = story.text(key_first=key_first)
    assert resolve_language(code) == story.name
    summariser = Summariser("edmundson", sentences=1)
    assert summariser.summarise(text, title=story.title, language=code) == [story.key]
    assert summariser.summarise(text, title=story.title, language=story.name) == [story.key]
    # The same story read with English stop words and stemmer: the function words win.
    assert summariser.summarise(text, title=story.title, language="en") == [story.decoy]


@pytest.mark.parametrize(
    ("language", "text"),
    [("vi", VIETNAMESE), ("ko", KOREAN), ("th", THAI), ("xx", KOREAN), ("zz-ZZ", VIETNAMESE)],
)
def test_unsupported_languages_still_summarise(language: str, text: str) -> None:
    sentences = split_sentences(text, language)
    assert sentences
    summary = Summariser(sentences=2).summarise(text, language=language)
    assert summary
    assert len(summary) == min(2, len(sentences))
    assert all(sentence in sentences for sentence in summary)
    assert summary == sorted(summary, key=sentences.index)  # document order


# --- parsed feeds ------------------------------------------------------------------------------


def _rss(channel_language: str | None, items: list[str]) -> bytes:
    language = f"<language>{channel_language}</language>" if channel_language else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Council news</title><link>https://news.example.test/</link>{language}"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def _item(story: Story, *, attrs: str = "", extra: str = "", body: str | None = None) -> str:
    text = story.text() if body is None else body
    return (
        f"<item{attrs}><title>{story.title}</title>"
        f"<link>https://news.example.test/{story.code}</link>{extra}"
        f"<description><![CDATA[<p>{text}</p>]]></description></item>"
    )


def test_rss_item_languages_override_the_channel_language() -> None:
    feed = parse_feed(
        _rss(
            "en",
            [
                _item(STORIES["de"], attrs=' xml:lang="de"'),
                _item(STORIES["fr"], extra="<dc:language>fr-FR</dc:language>"),
                _item(STORIES["es"]),  # undeclared: the channel's language, not a guess
            ],
        ),
        FEED_URL,
    )
    assert feed.language == "en"
    assert [article.language for article in feed.articles] == ["de", "fr-FR", "en"]


def test_atom_entry_xml_lang_overrides_the_feed_xml_lang() -> None:
    ru = STORIES["ru"]
    document = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>Council news</title>'
        "<id>tag:news.example.test,2024:feed</id><updated>2024-03-05T10:00:00Z</updated>"
        f'<entry xml:lang="ru"><title>{ru.title}</title><id>tag:news.example.test,2024:1</id>'
        '<link href="https://news.example.test/ru"/><updated>2024-03-05T10:00:00Z</updated>'
        f'<content type="html">&lt;p&gt;{ru.text()}&lt;/p&gt;</content></entry>'
        f"<entry><title>{STORIES['fr'].title}</title><id>tag:news.example.test,2024:2</id>"
        '<link href="https://news.example.test/fr"/><updated>2024-03-05T10:00:00Z</updated>'
        f'<content type="html" xml:lang="fr">{STORIES["fr"].text()}</content></entry>'
        "</feed>"
    ).encode()
    feed = parse_feed(document, FEED_URL)
    assert [article.language for article in feed.articles] == ["ru", "fr"]


def test_json_feed_item_language_overrides_the_feed_language() -> None:
    es = STORIES["es"]
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Council news",
        "language": "en-GB",
        "items": [
            {"id": "1", "title": es.title, "content_text": es.text(), "language": "es-ES"},
            {"id": "2", "title": "Vote", "content_text": "The vote is on Friday."},
        ],
    }
    feed = parse_feed(json.dumps(document).encode(), FEED_URL)
    assert [article.language for article in feed.articles] == ["es-ES", "en-GB"]


def test_undeclared_items_get_their_detected_language() -> None:
    feed = parse_feed(
        _rss(None, [_item(STORIES[code]) for code in ("de", "fr", "es", "ru")]), FEED_URL
    )
    assert feed.language is None
    assert [article.language for article in feed.articles] == ["de", "fr", "es", "ru"]


def test_undeclared_short_items_stay_unknown() -> None:
    feed = parse_feed(_rss(None, [_item(STORIES["de"], body="Kurz notiert.")]), FEED_URL)
    assert feed.articles[0].language is None


def test_a_meaningless_item_tag_does_not_hide_the_channel_language() -> None:
    feed = parse_feed(_rss("de-DE", [_item(STORIES["de"], attrs=' xml:lang="zz"')]), FEED_URL)
    assert feed.articles[0].language == "de-DE"


@pytest.mark.parametrize("code", sorted(STORIES))
def test_parsed_item_is_summarised_in_its_own_language(code: str) -> None:
    """Feed says English, the item says otherwise: the summary follows the item."""
    story = STORIES[code]
    feed = parse_feed(_rss("en", [_item(story, attrs=f' xml:lang="{code}"')]), FEED_URL)
    article = feed.articles[0]
    summary = Summariser("edmundson", sentences=1).summarise(
        article.text, title=article.title, language=article.language
    )
    assert summary == [story.key]


def test_unsupported_declared_language_parses_and_summarises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    item = (
        "<item><title>Ngân sách mới</title><link>https://news.example.test/vi</link>"
        f"<description>{VIETNAMESE}</description></item>"
    )
    with caplog.at_level(logging.DEBUG, logger="bot.news.language"):
        feed = parse_feed(_rss("vi", [item]), FEED_URL)
    article = feed.articles[0]
    assert article.language == "vi"
    assert any("vietnamese" in record.getMessage() for record in caplog.records)
    sentences = split_sentences(article.text, article.language)
    assert len(sentences) == 4
    summary = Summariser(sentences=2).summarise(article.text, language=article.language)
    assert len(summary) == 2
    assert all(sentence in sentences for sentence in summary)


# --- Chinese, Japanese and Korean by script ----------------------------------------------------

# Traditional Chinese: py3langid scores it "zh" at only 0.88, under MIN_CONFIDENCE.
CHINESE_TRADITIONAL = (
    "本市議會週二晚間通過了明年的財政預算。預算中有一千二百萬元用於修繕老舊學校和幼兒園。"
    "反對派批評說，北部城區學校的維修要到三年後才能開始！市長表示：「我們會優先處理最危險的"
    "校舍。」第一批工程將於明年春天在兩所小學啟動。家長們能否等到那一天？"
)
CHINESE_SHORT = "苹果公司周二发布了新款iPhone。分析师认为，AI功能将成为今年销量的关键！"
JAPANESE = (
    "市議会は火曜日の夜、来年度の予算案を可決した。予算には古い学校や保育園の修理に十二億円が"
    "含まれている。市長は「最も危険な校舎から手をつける」と述べた。"
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (CHINESE_TRADITIONAL, "zh"),
        (CHINESE_SHORT, "zh"),  # fewer letters than MIN_DETECT_LETTERS, but plainly Chinese
        (JAPANESE, "ja"),
        (JAPANESE[:30], "ja"),
        (KOREAN, "ko"),
    ],
    ids=["zh-traditional", "zh-short", "ja", "ja-short", "ko"],
)
def test_chinese_japanese_and_korean_are_told_by_their_scripts(text: str, code: str) -> None:
    assert script_language(text) == code
    assert detect_language(text) == code
    assert article_language(None, None, text) == code


def test_declared_tags_still_win_over_the_script() -> None:
    assert article_language("ja", None, CHINESE_TRADITIONAL) == "ja"


@pytest.mark.parametrize(
    "text",
    [
        # An English story quoting Chinese names: CJK letters are a minority.
        "The delegation from 北京市 met the mayor of 大阪市 on Tuesday to sign a trade deal.",
        # Han with a little kana (a kanji-heavy Japanese headline, or Chinese quoting a brand).
        "東京都知事選挙結果発表新知事就任式典開催予定日程調整中のため延期決定。",
        # Hangul mixed with many hanja: neither plainly Korean nor Chinese.
        "大韓民國 國會 議員 選擧 結果 發表 서울 地域 投票率 上昇",
        "北京",  # too few letters to say anything
    ],
    ids=["english-with-names", "han-little-kana", "hangul-hanja", "too-short"],
)
def test_mixed_or_short_scripts_are_left_to_the_classifier(text: str) -> None:
    assert script_language(text) is None
