"""NEWSDIGEST_MAX_SUBSCRIPTIONS_PER_CHAT: how many feeds one chat may follow.

Why a cap: every subscription is a feed the bot polls for as long as the chat follows it,
so an operator needs a bound on what one chat can make the bot do. /subscribe, /import and
/subscribe topic:… all count against it and word the refusal the same way.
"""

from __future__ import annotations

from bot.feeds.subscribing import slots_left as _slots_left
from bot.i18n import _, ngettext
from config.settings import Settings


def slots_left(settings: Settings, following: int) -> int:
    """How many more feeds a chat that follows ``following`` feeds may add."""
    return _slots_left(settings.max_subscriptions_per_chat, following)


def quota_reached(settings: Settings, following: int) -> str:
    """The refusal users see when a chat is full; says how many slots remain (none)."""
    return _(
        "This chat follows {following} feeds and the limit is {limit}: "
        "0 subscription slots left. Send /unsubscribe <number> to make room."
    ).format(following=following, limit=settings.max_subscriptions_per_chat)


def quota_line(settings: Settings, following: int) -> str:
    """A bulk report's closing line when the cap stopped some feeds."""
    left = slots_left(settings, following)
    return ngettext(
        "This chat now follows {following} feeds; the limit is {limit} ({left} slot left). "
        "Feeds marked “no slot left” were not added: /unsubscribe some to make room.",
        "This chat now follows {following} feeds; the limit is {limit} ({left} slots left). "
        "Feeds marked “no slot left” were not added: /unsubscribe some to make room.",
        left,
    ).format(following=following, limit=settings.max_subscriptions_per_chat, left=left)
