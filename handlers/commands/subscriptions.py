"""/subscribe, /unsubscribe and /list: which feeds a chat follows.

Every bad input gets a specific reply and changes nothing: a subscription is written only
after the feed was fetched and parsed, so a typo never leaves a dead feed behind (the rules
are bot.feeds.subscribing's; this module words their outcomes).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.delivery.schedule import chat_zone
from bot.feeds.subscribing import find_by_url
from bot.models import Feed, Subscription
from handlers import completion
from handlers.commands.pause import paused_line
from handlers.context import CommandContext
from handlers.lookup import parse_number
from handlers.model import Reply
from handlers.quota import quota_reached
from handlers.registry import Access, ArgKind, ArgSpec, CommandRegistry, CommandSpec

PREVIEW_ITEMS = 3


async def subscribe(ctx: CommandContext) -> Reply:
    services, command = ctx.services, ctx.command
    outcome = await services.subscriber.add(ctx.chat, command.args[0])
    if outcome.reenabled and outcome.already is not None:
        return Reply.success(
            f"{outcome.already.display_title} works again: it is re-enabled for every chat."
        )
    if outcome.already is not None:
        return Reply.error(
            f"Already subscribed: {outcome.already.position}. {outcome.already.display_title}"
        )
    if outcome.full:
        following = len(await ctx.subscriptions())
        return Reply.error(quota_reached(services.settings, following))
    if outcome.error is not None or outcome.resolved is None:
        return Reply.error(
            f"Could not subscribe: {outcome.error}\n"
            "Send a feed address such as https://example.com/feed.xml"
        )
    resolved = outcome.resolved
    url = command.args[0]
    title = resolved.parsed.title or resolved.url
    lines = [f"Feed: {resolved.url}"]
    if resolved.url != url:
        lines.append(f"(found from {url})")
    latest = [article.title for article in resolved.parsed.articles[:PREVIEW_ITEMS]]
    if latest:
        lines.append(
            f"It has {len(resolved.parsed.articles)} stories now; those are marked as read. Latest:"
        )
        lines += [f"• {headline}" for headline in latest]
    lines.append("New stories will appear in your digests. /digest shows them now.")
    return Reply.success(f"Subscribed to {title}.", *lines)


async def unsubscribe(ctx: CommandContext) -> Reply:
    current = await ctx.subscriptions()
    if not current:
        return Reply.error("This chat has no subscriptions.")
    wanted = ctx.args[0]
    match: Subscription | None
    if parse_number(wanted) is not None:
        match, complaint = await ctx.subscription(wanted)
        if match is None:
            return Reply.error(complaint or "No such subscription.")
    else:
        match = find_by_url(current, wanted)
        if match is None:
            return Reply.error(
                f"No subscription matches {wanted}. Send /list, then /unsubscribe <number>."
            )
    await ctx.services.store.unsubscribe(match.id)
    return Reply.success(f"Unsubscribed from {match.display_title}.", f"Feed: {match.feed.url}")


async def list_subscriptions(ctx: CommandContext) -> Reply:
    current = await ctx.subscriptions()
    if not current:
        return Reply.info("No subscriptions yet. Add one with /subscribe <url>.")
    services = ctx.services
    latest = await services.store.latest_entries([sub.feed.id for sub in current])
    zone = chat_zone(ctx.chat, services.settings.default_timezone)
    lines = []
    for sub in current:
        lines.append(f"{sub.position}. {sub.display_title} — {sub.feed.url}")
        lines.append(f"   {_health(sub.feed, latest.get(sub.feed.id), zone)}")
    if paused := paused_line(ctx.chat, ctx.services):
        lines.append(paused)
    return Reply.info(f"Subscriptions ({len(current)}):", *lines)


def _health(feed: Feed, latest: datetime | None, zone: ZoneInfo) -> str:
    """One line on how a feed is doing: disabled, failing, or when it last brought news."""

    def when(moment: datetime) -> str:
        return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"

    if feed.disabled:
        return f"disabled: {feed.last_error or 'it kept failing'} (/subscribe to it again to retry)"
    news = f"last new story {when(latest)}" if latest else "no new story yet"
    if feed.last_error:
        since = f" since {when(feed.first_failure_at)}" if feed.first_failure_at else ""
        return f"failing{since}: {feed.last_error}; {news}"
    return news


def add_subscription_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="subscribe",
            summary="Follow a feed (RSS, Atom or JSON Feed) or a site that advertises one",
            handler=subscribe,
            args=(ArgSpec("url", "the feed's or the site's address", ArgKind.URL),),
            access=Access.CHAT_ADMIN,
            fetches=True,
            details="Stories already in the feed are marked as read; only new ones are posted.",
        )
    )
    registry.add(
        CommandSpec(
            name="unsubscribe",
            summary="Stop following a feed",
            handler=unsubscribe,
            args=(
                ArgSpec(
                    "target",
                    "the number shown by /list, or the feed's address",
                    completes=completion.SUBSCRIPTIONS,
                ),
            ),
            access=Access.CHAT_ADMIN,
        )
    )
    registry.add(
        CommandSpec(name="list", summary="Show this chat's feeds", handler=list_subscriptions)
    )
