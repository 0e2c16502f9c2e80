"""Per-chat digest settings: a typed view of the chat's ``settings`` JSON, with validation.

Why a module of its own: the same rules serve three places. ``/settings`` parses what a
user typed, the digest composer reads the values when it builds a digest, and the store
keeps them as JSON next to keys other features own (``schedule``, ``paused``…), which must
survive every change made here.

Storage: only the values a chat chose that differ from the operator's defaults are kept,
under one key of its stored state (bot.chat_state). Everything else follows the operator's
configuration, even when the operator changes it later; a stored value the operator's
limits no longer allow (a cap above a lowered ``NEWSDIGEST_DIGEST_MAX_ITEMS``, an unknown
algorithm) falls back to the nearest valid value instead of breaking the chat's digests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from bot.chat_state import ChatState
from bot.i18n import N_, _
from bot.models import LAYOUTS
from bot.news.summarise import ALGORITHMS, DEFAULT_ALGORITHM
from config.settings import Settings

MIN_SENTENCES, MAX_SENTENCES = 1, 5
RESET_WORDS = frozenset({"default", "reset"})
_TRUE = frozenset({"on", "yes", "true", "1", "enable", "enabled"})
_FALSE = frozenset({"off", "no", "false", "0", "disable", "disabled"})


class SettingError(ValueError):
    """A setting name or value a user typed that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """What shapes one chat's digests. Field names are the names users type."""

    sentences: int
    items: int
    layout: str
    previews: bool
    silent: bool
    algorithm: str
    # Stories' pictures (a Discord embed's thumbnail, the lead story's on Telegram). On
    # unless a chat turns them off; not an operator setting.
    images: bool = True

    @classmethod
    def defaults_from(cls, settings: Settings) -> ChatSettings:
        """The operator's configuration as the settings of a chat that changed nothing."""
        return cls(
            sentences=settings.summary_sentences,
            items=settings.digest_max_items,
            layout=settings.digest_layout,
            previews=settings.link_previews,
            silent=settings.silent_digests,
            algorithm=settings.summary_algorithm or DEFAULT_ALGORITHM,
        )

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None, defaults: ChatSettings) -> ChatSettings:
        """The chat's effective settings: its stored choices over the operator's defaults."""
        stored = ChatState.from_json(raw).digest_settings
        if not stored:
            return defaults
        values: dict[str, Any] = {}
        for name, value in stored.items():
            spec = SPECS.get(name)
            if spec is None:
                continue
            try:
                values[name] = spec.coerce(value, defaults)
            except SettingError:
                continue  # a value today's limits refuse: the default applies
        return replace(defaults, **values)

    def overrides(self, defaults: ChatSettings) -> dict[str, Any]:
        """The values that differ from the operator's defaults: all a chat needs to store."""
        return {
            field.name: getattr(self, field.name)
            for field in fields(self)
            if getattr(self, field.name) != getattr(defaults, field.name)
        }

    def changed(self, name: str, text: str, defaults: ChatSettings) -> ChatSettings:
        """These settings with ``name`` set from what a user typed ("default" resets it).

        Raises SettingError naming the valid settings or values.
        """
        spec = lookup(name)
        word = text.strip().lower()
        value = getattr(defaults, spec.name) if word in RESET_WORDS else spec.parse(word, defaults)
        return replace(self, **{spec.name: value})

    def display(self, name: str) -> str:
        return SPECS[name].show(getattr(self, name))


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One setting: how users write it, how it is checked, how it is shown.

    ``description`` is marked with ``N_`` (translated where /settings shows it); the
    complaints of ``parse`` and the words of ``valid`` are in the current language.
    """

    name: str
    description: str
    parse: Callable[[str, ChatSettings], Any]  # what a user typed → the value
    coerce: Callable[[Any, ChatSettings], Any]  # a stored JSON value → the value
    valid: Callable[[ChatSettings], str]  # the valid values, for help and complaints
    show: Callable[[Any], str] = str


def _parse_int(name: str, low: int, high: int) -> Callable[[str, ChatSettings], int]:
    def parse(text: str, defaults: ChatSettings) -> int:
        top = high if high else defaults.items
        try:
            number = int(text)
        except ValueError:
            raise SettingError(
                _("{name} must be a whole number from {low} to {high}.").format(
                    name=name, low=low, high=top
                )
            ) from None
        if not low <= number <= top:
            raise SettingError(
                _("{name} must be from {low} to {high}; {number} is out of range.").format(
                    name=name, low=low, high=top, number=number
                )
            )
        return number

    return parse


def _coerce_int(low: int, high: int) -> Callable[[Any, ChatSettings], int]:
    def coerce(value: Any, defaults: ChatSettings) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingError(f"not a number: {value!r}")
        return min(max(value, low), high or defaults.items)

    return coerce


def _parse_choice(
    name: str, choices: Callable[[], tuple[str, ...]]
) -> Callable[[str, ChatSettings], str]:
    def parse(text: str, _defaults: ChatSettings) -> str:
        if text not in choices():
            raise SettingError(
                _("{name} must be one of: {choices}.").format(
                    name=name, choices=", ".join(choices())
                )
            )
        return text

    return parse


def _coerce_choice(choices: Callable[[], tuple[str, ...]]) -> Callable[[Any, ChatSettings], str]:
    def coerce(value: Any, _defaults: ChatSettings) -> str:
        if value not in choices():
            raise SettingError(f"not a valid choice: {value!r}")
        return str(value)

    return coerce


def _parse_switch(name: str) -> Callable[[str, ChatSettings], bool]:
    def parse(text: str, _defaults: ChatSettings) -> bool:
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise SettingError(_("{name} must be on or off.").format(name=name))

    return parse


def _coerce_switch(value: Any, _defaults: ChatSettings) -> bool:
    if not isinstance(value, bool):
        raise SettingError(f"not on/off: {value!r}")
    return value


def _algorithms() -> tuple[str, ...]:
    return tuple(sorted(ALGORITHMS))


def _on_off(value: bool) -> str:
    return "on" if value else "off"  # what users type, so not translated


def _range(low: int, high: int) -> str:
    return _("{low} to {high}").format(low=low, high=high)


def _either(choices: tuple[str, ...]) -> str:
    return _("{first} or {second}").format(first=", ".join(choices[:-1]), second=choices[-1])


SPECS: dict[str, SettingSpec] = {
    spec.name: spec
    for spec in (
        SettingSpec(
            "sentences",
            N_("sentences in each story's summary"),
            _parse_int("sentences", MIN_SENTENCES, MAX_SENTENCES),
            _coerce_int(MIN_SENTENCES, MAX_SENTENCES),
            lambda _d: _range(MIN_SENTENCES, MAX_SENTENCES),
        ),
        SettingSpec(
            "items",
            N_("most stories in one digest (the rest lead the next one)"),
            _parse_int("items", 1, 0),  # 0: up to the operator's maximum
            _coerce_int(1, 0),
            lambda d: _range(1, d.items),
        ),
        SettingSpec(
            "layout",
            N_("full: titles with summaries; compact: linked titles only"),
            _parse_choice("layout", lambda: LAYOUTS),
            _coerce_choice(lambda: LAYOUTS),
            lambda _d: _either(LAYOUTS),
        ),
        SettingSpec(
            "previews",
            N_("link previews under digest messages"),
            _parse_switch("previews"),
            _coerce_switch,
            lambda _d: _either(("on", "off")),
            _on_off,
        ),
        SettingSpec(
            "silent",
            N_("post digests without a notification sound"),
            _parse_switch("silent"),
            _coerce_switch,
            lambda _d: _either(("on", "off")),
            _on_off,
        ),
        SettingSpec(
            "algorithm",
            N_("how summary sentences are chosen"),
            _parse_choice("algorithm", _algorithms),
            _coerce_choice(_algorithms),
            lambda _d: ", ".join(_algorithms()),
        ),
        SettingSpec(
            "images",
            N_("stories' pictures in digests (full layout)"),
            _parse_switch("images"),
            _coerce_switch,
            lambda _d: _either(("on", "off")),
            _on_off,
        ),
    )
}


def lookup(name: str) -> SettingSpec:
    """The setting called ``name``; SettingError lists the valid names otherwise."""
    spec = SPECS.get(name.strip().lower())
    if spec is None:
        raise SettingError(
            _("There is no setting called {name!r}. Settings: {names}.").format(
                name=name, names=", ".join(SPECS)
            )
        )
    return spec
