"""Finding a subscription by the number /list shows, with one wording for every command."""

from __future__ import annotations

import re

from bot.i18n import N_, _, ngettext
from bot.models import Subscription

# A number as users type it: "3" or "#3". ASCII digits only, and few enough of them that
# int() is cheap and never refuses (it does refuse beyond 4300 digits).
_NUMBER = re.compile(r"#?([0-9]{1,18})")


def parse_number(text: str) -> int | None:
    """The number in ``text`` ("3", "#3"), or None when it is not one.

    Why not ``str.isdigit()``: it is True for "²" and "①", which ``int()`` refuses, so a
    command that checked with it crashed instead of answering. Every command reads numbers
    through here.
    """
    match = _NUMBER.fullmatch(text)
    return int(match.group(1)) if match else None


# A subscription by its stable id, as buttons carry it: "id:12". Numbers shift when a feed
# is removed; a button made before must still name the feed it was made for.
REF_PREFIX = "id:"
_REF = re.compile(r"id:([0-9]{1,19})")  # a BIGINT has 19 digits
GONE = N_("That feed is no longer followed in this chat. Send /list to see the current feeds.")


def subscription_ref(subscription: Subscription) -> str:
    """How an action names a subscription: by its id, which never shifts (see _REF)."""
    return f"{REF_PREFIX}{subscription.id}"


def parse_ref(text: str) -> int | None:
    """The subscription id in ``text`` ("id:12"), or None when it is not one."""
    match = _REF.fullmatch(text)
    return int(match.group(1)) if match else None


def names_subscription(text: str) -> bool:
    """Whether ``text`` is a list number or a button's id: what commands taking a feed accept."""
    return parse_number(text) is not None or parse_ref(text) is not None


def subscription_by_ref(
    subscriptions: list[Subscription], subscription_id: int
) -> tuple[Subscription | None, str | None]:
    """(the subscription with this id, None), or (None, the polite "it is gone")."""
    match = next((sub for sub in subscriptions if sub.id == subscription_id), None)
    return (match, None) if match is not None else (None, _(GONE))


def subscription_by_number(
    subscriptions: list[Subscription], number: int
) -> tuple[Subscription | None, str | None]:
    """(the subscription, None), or (None, a user-facing complaint)."""
    if not subscriptions:
        return None, _("This chat has no subscriptions. Add one with /subscribe <url>.")
    match = next((sub for sub in subscriptions if sub.position == number), None)
    if match is None:
        return None, ngettext(
            "There is no subscription number {number}: this chat has {count}. "
            "Send /list to see the numbers.",
            "There is no subscription number {number}: this chat has {count}. "
            "Send /list to see the numbers.",
            len(subscriptions),
        ).format(number=number, count=len(subscriptions))
    return match, None
