"""Finding a subscription by the number /list shows, with one wording for every command."""

from __future__ import annotations

from bot.models import Subscription


def subscription_by_number(
    subscriptions: list[Subscription], number: int
) -> tuple[Subscription | None, str | None]:
    """(the subscription, None), or (None, a user-facing complaint)."""
    if not subscriptions:
        return None, "This chat has no subscriptions. Add one with /subscribe <url>."
    match = next((sub for sub in subscriptions if sub.position == number), None)
    if match is None:
        return None, (
            f"There is no subscription number {number}: this chat has {len(subscriptions)}. "
            "Send /list to see the numbers."
        )
    return match, None
