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
from bot.i18n import N_, _, format_moment, ngettext
from bot.models import Feed, Subscription
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
            _("{title} works again: it is re-enabled for every chat.").format(
                title=outcome.already.display_title
            )
        )
    if outcome.already is not None:
        return Reply.error(
            _("Already subscribed: {number}. {title}").format(
                number=outcome.already.position, title=outcome.already.display_title
            )
        )
    if outcome.full:
        following = len(await ctx.subscriptions())
        return Reply.error(quota_reached(services.settings, following))
    if outcome.error is not None or outcome.resolved is None:
        return Reply.error(
            _(
                "Could not subscribe: {error}\n"
                "Send a feed address such as https://example.com/feed.xml"
            ).format(error=outcome.error)
        )
    resolved = outcome.resolved
    url = command.args[0]
    title = resolved.parsed.title or resolved.url
    lines = [_("Feed: {url}").format(url=resolved.url)]
    if resolved.url != url:
        lines.append(_("(found from {url})").format(url=url))
    latest = [article.title for article in resolved.parsed.articles[:PREVIEW_ITEMS]]
    if latest:
        count = len(resolved.parsed.articles)
        lines.append(
            ngettext(
                "It has {count} story now; it is marked as read. Latest:",
                "It has {count} stories now; those are marked as read. Latest:",
                count,
            ).format(count=count)
        )
        lines += [f"• {headline}" for headline in latest]
    lines.append(_("New stories will appear in your digests. /digest shows them now."))
    return Reply.success(_("Subscribed to {title}.").format(title=title), *lines)


async def unsubscribe(ctx: CommandContext) -> Reply:
    current = await ctx.subscriptions()
    if not current:
        return Reply.error(_("This chat has no subscriptions."))
    wanted = ctx.args[0]
    match: Subscription | None
    if parse_number(wanted) is not None:
        match, complaint = await ctx.subscription(wanted)
        if match is None:
            return Reply.error(complaint or _("No such subscription."))
    else:
        match = find_by_url(current, wanted)
        if match is None:
            return Reply.error(
                _("No subscription matches {text}. Send /list, then /unsubscribe <number>.").format(
                    text=wanted
                )
            )
    await ctx.services.store.unsubscribe(match.id)
    return Reply.success(
        _("Unsubscribed from {title}.").format(title=match.display_title),
        _("Feed: {url}").format(url=match.feed.url),
    )


async def list_subscriptions(ctx: CommandContext) -> Reply:
    current = await ctx.subscriptions()
    if not current:
        return Reply.info(_("No subscriptions yet. Add one with /subscribe <url>."))
    services = ctx.services
    latest = await services.store.latest_entries([sub.feed.id for sub in current])
    zone = chat_zone(ctx.chat, services.settings.default_timezone)
    lines = []
    for sub in current:
        lines.append(f"{sub.position}. {sub.display_title} — {sub.feed.url}")
        lines.append(f"   {_health(sub.feed, latest.get(sub.feed.id), zone)}")
    if paused := paused_line(ctx.chat, ctx.services):
        lines.append(paused)
    return Reply.info(_("Subscriptions ({count}):").format(count=len(current)), *lines)


def _health(feed: Feed, latest: datetime | None, zone: ZoneInfo) -> str:
    """One line on how a feed is doing: disabled, failing, or when it last brought news."""

    if feed.disabled:
        return _("disabled: {error} (/subscribe to it again to retry)").format(
            error=feed.last_error or _("it kept failing")
        )
    if latest:
        news = _("last new story {moment}").format(moment=format_moment(latest, zone))
    else:
        news = _("no new story yet")
    if feed.last_error:
        if feed.first_failure_at:
            return _("failing since {moment}: {error}; {news}").format(
                moment=format_moment(feed.first_failure_at, zone),
                error=feed.last_error,
                news=news,
            )
        return _("failing: {error}; {news}").format(error=feed.last_error, news=news)
    return news


def add_subscription_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="subscribe",
            summary=N_("Follow a feed (RSS, Atom or JSON Feed) or a site that advertises one"),
            handler=subscribe,
            args=(ArgSpec("url", N_("the feed's or the site's address"), ArgKind.URL),),
            access=Access.CHAT_ADMIN,
            fetches=True,
            details=N_("Stories already in the feed are marked as read; only new ones are posted."),
        )
    )
    registry.add(
        CommandSpec(
            name="unsubscribe",
            summary=N_("Stop following a feed"),
            handler=unsubscribe,
            args=(ArgSpec("target", N_("the number shown by /list, or the feed's address")),),
            access=Access.CHAT_ADMIN,
        )
    )
    registry.add(
        CommandSpec(name="list", summary=N_("Show this chat's feeds"), handler=list_subscriptions)
    )
