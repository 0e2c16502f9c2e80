"""The reader's language: gettext catalogues (Babel), the current language, local dates.

Why a context variable: a reply is worded deep inside handlers, the composer and the
renderers, and threading a language argument through all of them would touch every
signature. Whoever knows the chat sets its language around the work done for it
(``using``): the command registry around a handler, the composer around a digest, a
renderer around the reply it renders (a reply carries its language, ``Reply.locale``, so
a digest waiting in the outbox renders in the language it was composed in). Everything
in between just calls ``_()`` / ``ngettext()``.

Module-level constants (command summaries, fixed sentences) are marked with ``N_()``,
which only marks them for extraction; they are translated where they are shown, with
``_(CONSTANT)``, because at import time no chat (and so no language) is known.

The catalogues are the ``.po`` files under ``locales/``; they are compiled in memory the
first time a language is used (``bot.i18n.catalogues`` explains why no ``.mo`` files are
committed). English is the source language: its messages are the msgids themselves.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from functools import cache, wraps
from io import BytesIO
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from babel import Locale
from babel.dates import format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.chat_state import ChatState
from bot.models import Chat, Reply

DOMAIN = "newsdigest"
LOCALES_DIR = Path(__file__).parent / "locales"
SOURCE_LANGUAGE = "en"

#: Every language a chat may choose, by the code /language takes, with its own name.
LANGUAGES: Mapping[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "ru": "Русский",
    "zh_Hans": "简体中文",
}

#: Other spellings of the same languages: platforms' codes ("zh-CN", "zh-hans") and
#: what users type ("zh", "cn"). Regional variants ("de-AT", "es-419") match by prefix.
_ALIASES = {
    "zh": "zh_Hans",
    "zh_cn": "zh_Hans",
    "zh_sg": "zh_Hans",
    "zh_hans": "zh_Hans",
    "zh_hans_cn": "zh_Hans",
    "cn": "zh_Hans",
}
_NOT_SIMPLIFIED = ("zh_tw", "zh_hk", "zh_mo", "zh_hant")

#: Telegram's language_code for each language (two-letter ISO 639-1 only).
TELEGRAM_CODES: Mapping[str, str] = {"de": "de", "es": "es", "ru": "ru", "zh_Hans": "zh"}
#: Discord's locales for each language (discord.Locale values).
DISCORD_LOCALES: Mapping[str, tuple[str, ...]] = {
    "de": ("de",),
    "es": ("es-ES", "es-419"),
    "ru": ("ru",),
    "zh_Hans": ("zh-CN",),
}

_current: ContextVar[str] = ContextVar("newsdigest_language", default=SOURCE_LANGUAGE)


def match_language(code: str | None) -> str | None:
    """The available language a platform's or a user's code means, or None.

    Case, ``-`` or ``_`` and a region do not matter ("de-AT" is German); traditional
    Chinese is not taken for simplified.
    """
    if not code:
        return None
    key = code.strip().replace("-", "_").lower()
    if not key:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    if key.startswith(_NOT_SIMPLIFIED):
        return None
    for language in LANGUAGES:
        if key == language.lower():
            return language
    base = key.split("_", 1)[0]
    return base if base in LANGUAGES and base != "zh" else None


def chat_language(chat: Chat | None, hint: str | None = None) -> str:
    """A chat's language: its choice (/language), else the user's or server's language
    the platform reported (``hint``: the user talking now, else the last one who did),
    else English."""
    state = ChatState.of(chat) if chat is not None else ChatState()
    return (
        match_language(state.language)
        or match_language(hint)
        or match_language(state.language_hint)
        or SOURCE_LANGUAGE
    )


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The language's catalogue, compiled in memory once per process."""
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return gettext.NullTranslations()
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def current_language() -> str:
    return _current.get()


@contextmanager
def using(language: str | None) -> Iterator[str]:
    """Word everything inside in ``language`` (None or unknown: keep the current one)."""
    chosen = match_language(language) or _current.get()
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """``message`` in the current language (the English text when untranslated)."""
    if not message:  # gettext("") is the catalogue's header
        return message
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form for ``count`` in the current language (Russian has three, Chinese one).

    The caller formats the count in: ``ngettext("{n} story", "{n} stories", n).format(n=n)``.
    """
    return translations(_current.get()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a constant for extraction; translate it where it is shown, with ``_()``."""
    return message


def translate(message: str, language: str) -> str:
    """``message`` in a given language, whatever the current one (platform menus)."""
    return translations(language).gettext(message) if message else message


def language_name(language: str) -> str:
    """A language's own name ("Deutsch"), for /language."""
    return LANGUAGES.get(language, language)


def language_code(language: str) -> str:
    """The code users type for a language ("zh" for simplified Chinese)."""
    return "zh" if language == "zh_Hans" else language


# Dates and times. English keeps the bot's compact ISO-style forms (2026-03-01 08:05),
# which readers of every English locale read the same way; other languages get their
# CLDR forms from Babel ("1. März 2026 08:05", "1 мар. 2026 г. 08:05").


def _babel_locale() -> Locale:
    return Locale.parse(_current.get())


def _local(moment: datetime, zone: tzinfo | None) -> datetime:
    return moment.astimezone(zone) if zone is not None else moment


def format_day(day: date | datetime) -> str:
    """A calendar day: 2026-03-01 / 1. März 2026."""
    if _current.get() == SOURCE_LANGUAGE:
        return f"{day:%Y-%m-%d}"
    return format_skeleton("yMMMd", day, locale=_babel_locale())


def format_moment(moment: datetime, zone: tzinfo | None = None) -> str:
    """A day and a time (in ``zone`` when given): 2026-03-01 08:05 / 1. März 2026 08:05."""
    return _day_and_time(moment, zone, english="%Y-%m-%d %H:%M", day_skeleton="yMMMd")


def format_weekday_moment(moment: datetime, zone: tzinfo | None = None) -> str:
    """With the weekday, for the next digest: Sunday 2026-03-01 08:05 / So., 1. März 2026 08:05."""
    return _day_and_time(moment, zone, english="%A %Y-%m-%d %H:%M", day_skeleton="yMMMEd")


def _day_and_time(moment: datetime, zone: tzinfo | None, *, english: str, day_skeleton: str) -> str:
    """English keeps its earlier fixed format; other languages get Babel's day and time."""
    moment = _local(moment, zone)
    if _current.get() == SOURCE_LANGUAGE:
        return moment.strftime(english)
    locale = _babel_locale()
    day = format_skeleton(day_skeleton, moment, locale=locale)
    return f"{day} {format_skeleton('Hm', moment, locale=locale)}"


def format_number(value: int) -> str:
    """A count with the language's digit grouping (1,000 / 1.000 / 1 000)."""
    if _current.get() == SOURCE_LANGUAGE:
        return f"{value:,}"
    from babel.numbers import format_decimal

    return format_decimal(value, locale=_babel_locale())


_P = ParamSpec("_P")
_R = TypeVar("_R")


def in_reply_language(
    render: Callable[Concatenate[Reply, _P], _R],
) -> Callable[Concatenate[Reply, _P], _R]:
    """For renderers: render a reply in the language it was worded in (``Reply.locale``)."""

    @wraps(render)
    def rendered(reply: Reply, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with using(reply.locale):
            return render(reply, *args, **kwargs)

    return rendered
