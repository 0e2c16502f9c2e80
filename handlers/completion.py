"""Suggestions for a command's argument while it is being typed (Discord's autocomplete).

Why on the handler side: what a chat may be offered is the command layer's knowledge —
its feeds as /list numbers them, the zones /timezone accepts, the operator's topics, the
settings /settings knows — and must be the same on every platform that can suggest.
An argument names its provider (``ArgSpec.completes``); a platform asks `complete` with
what the user has typed so far and shows the (label, value) pairs it gets back.

Only what the asker's chat may see is suggested: the feeds of the chat the command is
typed in, never another chat's; nothing for a chat the operator did not allow (the
adapter checks that first). Suggesting writes nothing: a chat that never used the bot is
not created by typing in it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING
from zoneinfo import available_timezones

from bot.digest.chat_settings import SPECS, ChatSettings, SettingError
from bot.i18n import _
from bot.models import LAYOUTS, ChatTarget
from bot.news.summarise import ALGORITHMS

if TYPE_CHECKING:
    from handlers.services import Services

#: Discord shows at most 25 suggestions.
MAX_SUGGESTIONS = 25

#: Provider names, for ``ArgSpec.completes``.
SUBSCRIPTIONS = "subscriptions"
TIMEZONES = "timezones"
TOPICS = "topics"
SUBSCRIBE_TOPICS = "subscribe_topics"
SETTINGS = "settings"
SETTING_VALUES = "setting_values"

Suggestion = tuple[str, str]  # (what the user reads, what the argument becomes)
Provider = Callable[["Services", ChatTarget, str, Mapping[str, str]], Awaitable[list[Suggestion]]]


def _ranked(candidates: Iterable[Suggestion], typed: str, *keys: int) -> list[Suggestion]:
    """Those whose label or value contains ``typed`` (any case): prefixes first, in order."""
    needle = typed.strip().casefold()
    prefix: list[Suggestion] = []
    inside: list[Suggestion] = []
    for candidate in candidates:
        texts = [candidate[key].casefold() for key in keys or (0, 1)]
        if any(text.startswith(needle) for text in texts):
            prefix.append(candidate)
        elif any(needle in text for text in texts):
            inside.append(candidate)
        if len(prefix) >= MAX_SUGGESTIONS:
            break
    return (prefix + inside)[:MAX_SUGGESTIONS]


async def subscriptions(
    services: Services, target: ChatTarget, typed: str, _others: Mapping[str, str]
) -> list[Suggestion]:
    """The chat's feeds as "3 · BBC News" → "3", by number or by any part of the title."""
    chat = await services.store.find_chat(target)
    if chat is None:
        return []
    subs = await services.store.list_subscriptions(chat.pk)
    numbered = [(str(sub.position), sub.display_title) for sub in subs]
    needle = typed.strip().removeprefix("#").casefold()
    by_number = [(n, t) for n, t in numbered if needle and n.startswith(needle)]
    by_title = [(n, t) for n, t in numbered if needle in t.casefold() and (n, t) not in by_number]
    return [(f"{n} · {t}", n) for n, t in (by_number + by_title)[:MAX_SUGGESTIONS]]


@functools.cache
def _zones() -> tuple[Suggestion, ...]:
    return tuple((zone, zone) for zone in sorted(available_timezones() | {"UTC"}))


async def timezones(
    _services: Services, _target: ChatTarget, typed: str, _others: Mapping[str, str]
) -> list[Suggestion]:
    """IANA zone names: "ber" offers Europe/Berlin; those starting with it come first."""
    needle = typed.strip().replace(" ", "_")
    zones = _zones()
    if not needle:
        return list(zones[:MAX_SUGGESTIONS])
    # A zone's city is its last part: "ber" means Berlin before it means Bermuda's region.
    folded = needle.casefold()
    starts = [z for z in zones if z[0].casefold().startswith(folded)]
    city = [z for z in zones if z not in starts and _city(z[0]).startswith(folded)]
    inside = [z for z in zones if z not in starts and z not in city and folded in z[0].casefold()]
    return (starts + city + inside)[:MAX_SUGGESTIONS]


def _city(zone: str) -> str:
    return zone.rsplit("/", 1)[-1].casefold()


async def topics(
    services: Services, _target: ChatTarget, typed: str, _others: Mapping[str, str]
) -> list[Suggestion]:
    """The operator's catalogue topics, "world — World news" → "world"."""
    catalogue = services.settings.catalogue
    return _ranked(((f"{t.name} — {t.title}", t.name) for t in catalogue.topics), typed)


async def subscribe_topics(
    services: Services, _target: ChatTarget, typed: str, _others: Mapping[str, str]
) -> list[Suggestion]:
    """/subscribe's topic form, "topic:world — World news" → "topic:world": the catalogue
    found where a feed address is typed (an address typed matches none of them)."""
    catalogue = services.settings.catalogue
    forms = ((f"topic:{t.name} — {t.title}", f"topic:{t.name}") for t in catalogue.topics)
    return _ranked(forms, typed)


async def settings(
    _services: Services, _target: ChatTarget, typed: str, _others: Mapping[str, str]
) -> list[Suggestion]:
    """The names /settings knows, with what each changes."""
    named = ((f"{name} — {_(spec.description)}", name) for name, spec in SPECS.items())
    return _ranked(named, typed, 1)  # by name: the descriptions match too much


# Words a setting's value may be; each setting keeps those its own parser accepts.
_VALUE_WORDS = ("on", "off", *LAYOUTS, *sorted(ALGORITHMS), "1", "2", "3", "4", "5")


async def setting_values(
    services: Services, _target: ChatTarget, typed: str, others: Mapping[str, str]
) -> list[Suggestion]:
    """The values the setting named in the ``setting`` argument accepts, and "default"."""
    spec = SPECS.get(others.get("setting", "").strip().lower())
    if spec is None:
        return []
    defaults = ChatSettings.defaults_from(services.settings)
    valid: list[Suggestion] = []
    meant: list[object] = []  # one word per value: "on", not "on" and "1"
    for word in _VALUE_WORDS:
        try:
            value = spec.parse(word, defaults)
        except SettingError:
            continue
        if value not in meant:
            meant.append(value)
            valid.append((word, word))
    valid.append(("default", "default"))
    return _ranked(valid, typed)


PROVIDERS: dict[str, Provider] = {
    SUBSCRIPTIONS: subscriptions,
    TIMEZONES: timezones,
    TOPICS: topics,
    SUBSCRIBE_TOPICS: subscribe_topics,
    SETTINGS: settings,
    SETTING_VALUES: setting_values,
}


async def complete(
    provider: str,
    services: Services,
    target: ChatTarget,
    typed: str,
    others: Mapping[str, str] | None = None,
) -> list[Suggestion]:
    """At most 25 suggestions from ``provider`` for ``typed`` in the chat ``target``.

    ``others`` holds the command's other arguments as typed so far (a setting's value
    depends on which setting). An unknown provider is a bug in a spec: KeyError.
    """
    return (await PROVIDERS[provider](services, target, typed, others or {}))[:MAX_SUGGESTIONS]
