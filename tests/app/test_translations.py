"""The translations: complete, compilable, placeholders intact, template current (CI runs
this like any test), and the language rules (codes, plural forms, dates)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Message

from bot.i18n import (
    LANGUAGES,
    LOCALES_DIR,
    _,
    format_moment,
    match_language,
    ngettext,
    translations,
    using,
)
from bot.i18n.catalogues import _message_problems, check, po_path


def test_every_message_is_translated_and_the_template_is_current() -> None:
    """Fails when code gained a message nobody translated: run
    ``python -m bot.i18n.catalogues update``, translate, then ``check``."""
    assert check() == []


def test_every_language_compiles_and_translates() -> None:
    for language in LANGUAGES:
        with using(language):
            assert _("Commands:")  # compiled in memory; English is the msgid itself
    assert translations("de").gettext("Commands:") == "Befehle:"


@pytest.mark.parametrize(
    ("count", "russian", "german"),
    [
        (1, "1 новая новость.", "1 neue Meldung."),
        (2, "2 новые новости.", "2 neue Meldungen."),
        (5, "5 новых новостей.", "5 neue Meldungen."),
        (21, "21 новая новость.", "21 neue Meldungen."),
        (22, "22 новые новости.", "22 neue Meldungen."),
        (112, "112 новых новостей.", "112 neue Meldungen."),
    ],
)
def test_plural_forms(count: int, russian: str, german: str) -> None:
    for language, expected in (("ru", russian), ("de", german)):
        with using(language):
            text = ngettext("{count} new story.", "{count} new stories.", count)
            assert text.format(count=count) == expected
    with using("zh_Hans"):
        text = ngettext("{count} new story.", "{count} new stories.", count)
        assert text.format(count=count) == f"{count} 条新新闻。"


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("de", "de"),
        ("de-AT", "de"),
        ("DE_de", "de"),
        ("es-419", "es"),
        ("ru", "ru"),
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-hans", "zh_Hans"),
        ("zh_Hans_CN", "zh_Hans"),
        ("zh-TW", None),
        ("zh-Hant", None),
        ("en-GB", "en"),
        ("tlh", None),
        ("", None),
        (None, None),
        ("\x00" * 3, None),
        ("de" + "x" * 10_000, None),
    ],
)
def test_codes_name_languages_loosely(code: str | None, language: str | None) -> None:
    assert match_language(code) == language


def test_dates_follow_the_language() -> None:
    moment = datetime(2026, 3, 1, 8, 5, tzinfo=UTC)
    expected = {
        "en": "2026-03-01 08:05",
        "de": "1. März 2026 08:05",
        "es": "1 mar 2026 8:05",
        "ru": "1 мар. 2026\u202fг. 08:05",
        "zh_Hans": "2026年3月1日 08:05",
    }
    for language, text in expected.items():
        with using(language):
            assert format_moment(moment) == text


def test_the_check_finds_what_is_wrong(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales)
    german = po_path("de", locales)
    text = german.read_text(encoding="utf-8")
    german.write_text(
        text.replace('msgstr "Befehle:"', 'msgstr ""').replace(
            'msgstr "Sprache: {name} ({code})."', 'msgstr "Sprache: {nom} ({code})."'
        ),
        encoding="utf-8",
    )
    po_path("ru", locales).write_text("garbage\n", encoding="utf-8")
    template = locales / "newsdigest.pot"
    template.write_text(
        template.read_text(encoding="utf-8").replace('msgid "Commands:"', 'msgid "Commandz:"'),
        encoding="utf-8",
    )
    problems = "\n".join(check(locales))
    assert "newsdigest.pot is stale" in problems
    assert "de: 'Commands:': not translated" in problems
    assert "de: 'Language: {name} ({code}).': placeholders ['{code}', '{nom}']" in problems
    assert "ru: does not compile" in problems


def test_placeholders_and_fuzzy_translations_are_refused() -> None:
    assert list(_message_problems(Message("Hi {name}", "Hallo {name}"))) == []
    [wrong] = _message_problems(Message("Hi {name}", "Hallo {nom}"))
    assert "placeholders" in wrong
    [printf] = _message_problems(Message("%(n)s left", "noch %(m)s"))
    assert "placeholders" in printf
    fuzzy = Message("Hi {name}", "Hallo {name}", flags=["fuzzy"])
    assert "fuzzy" in next(iter(_message_problems(fuzzy)))
    # A plural form other than the last may spell the count out.
    plural = Message(("{n} story", "{n} stories"), ("eine Meldung", "{n} Meldungen"))
    assert list(_message_problems(plural)) == []
    missing_count = Message(("{n} story", "{n} stories"), ("{n} Meldung", "Meldungen"))
    assert list(_message_problems(missing_count))
