"""/subscribe, /unsubscribe and /list: which feeds a chat follows.

Every bad input gets a specific reply and changes nothing: a subscription is written only
after the feed was fetched and parsed, so a typo never leaves a dead feed behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.feeds.ingest import NotAFeedError, ResolvedFeed
from bot.models import Chat, Subscription
from bot.news.fetch import BlockedURLError, FetchError, InvalidURLError, check_url_syntax
from bot.news.links import normalise_link
from handlers.commands.pause import paused_line
from handlers.lookup import parse_number, subscription_by_number
from handlers.model import Command, Reply
from handlers.quota import quota_reached, slots_left
from handlers.registry import ArgKind, ArgSpec, CommandRegistry, CommandSpec
from handlers.services import Services

PREVIEW_ITEMS = 3


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """What happened when a chat asked to follow a URL; ``error`` set means nothing changed."""

    subscription: Subscription | None = None
    resolved: ResolvedFeed | None = None
    already: Subscription | None = None
    error: str | None = None
    reenabled: bool = False  # the chat already followed it, but it had been disabled
    full: bool = False  # refused before fetching: NEWSDIGEST_MAX_SUBSCRIPTIONS_PER_CHAT


async def check_feed(services: Services, current: list[Subscription], raw_url: str) -> AddOutcome:
    """Validate, fetch and parse a URL without writing anything (safe to run concurrently)."""
    try:
        url = check_url_syntax(raw_url)
    except (InvalidURLError, BlockedURLError) as exc:
        return AddOutcome(error=str(exc))
    if (match := _find_by_url(current, url)) and not match.feed.disabled:
        return AddOutcome(already=match)
    try:
        resolved = await services.ingestor.resolve(url)
    except FetchError as exc:
        return AddOutcome(error=f"could not fetch {url}: {exc}")
    except NotAFeedError as exc:
        return AddOutcome(error=str(exc))
    if (match := _find_by_url(current, resolved.url)) and not match.feed.disabled:
        return AddOutcome(already=match)
    return AddOutcome(resolved=resolved)


async def commit_feed(
    services: Services, chat: Chat, checked: AddOutcome, *, custom_title: str | None = None
) -> AddOutcome:
    """Store a checked feed's current items as read, then subscribe the chat to it."""
    resolved = checked.resolved
    if resolved is None:
        return checked
    feed = await services.store.get_or_create_feed(resolved.url)
    await services.ingestor.store_parsed(
        feed,
        resolved.parsed,
        etag=resolved.fetched.etag,
        last_modified=resolved.fetched.last_modified,
        fetch_pages=False,  # the backlog is marked as read: no article pages for it
    )
    subscription, created = await services.store.subscribe(
        chat.pk, feed.id, custom_title=custom_title
    )
    if not created:
        return AddOutcome(already=subscription, reenabled=feed.disabled)
    return AddOutcome(subscription=subscription, resolved=resolved)


async def add_feed(services: Services, chat: Chat, raw_url: str) -> AddOutcome:
    """Follow one URL; shared checks mean /subscribe and /import refuse the same input."""
    current = await services.store.list_subscriptions(chat.pk)
    if not slots_left(services.settings, len(current)) and _find_by_url(current, raw_url) is None:
        return AddOutcome(error=quota_reached(services.settings, len(current)), full=True)
    return await commit_feed(services, chat, await check_feed(services, current, raw_url))


async def subscribe(services: Services, command: Command) -> Reply:
    chat = await services.store.get_or_create_chat(command.target)
    outcome = await add_feed(services, chat, command.args[0])
    if outcome.reenabled and outcome.already is not None:
        return Reply.success(
            f"{outcome.already.display_title} works again: it is re-enabled for every chat."
        )
    if outcome.already is not None:
        return Reply.error(
            f"Already subscribed: {outcome.already.position}. {outcome.already.display_title}"
        )
    if outcome.full and outcome.error is not None:
        return Reply.error(outcome.error)
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


async def unsubscribe(services: Services, command: Command) -> Reply:
    chat = await services.store.get_or_create_chat(command.target)
    current = await services.store.list_subscriptions(chat.pk)
    if not current:
        return Reply.error("This chat has no subscriptions.")
    wanted = command.args[0]
    match: Subscription | None
    number = parse_number(wanted)
    if number is not None:
        match, complaint = subscription_by_number(current, number)
        if match is None:
            return Reply.error(complaint or "No such subscription.")
    else:
        match = _find_by_url(current, wanted)
        if match is None:
            return Reply.error(
                f"No subscription matches {wanted}. Send /list, then /unsubscribe <number>."
            )
    await services.store.unsubscribe(match.id)
    return Reply.success(f"Unsubscribed from {match.display_title}.", f"Feed: {match.feed.url}")


async def list_subscriptions(services: Services, command: Command) -> Reply:
    chat = await services.store.get_or_create_chat(command.target)
    current = await services.store.list_subscriptions(chat.pk)
    if not current:
        return Reply.info("No subscriptions yet. Add one with /subscribe <url>.")
    lines = []
    for sub in current:
        problem = f" (failing: {sub.feed.last_error})" if sub.feed.last_error else ""
        lines.append(f"{sub.position}. {sub.display_title} — {sub.feed.url}{problem}")
    if paused := paused_line(chat, services):
        lines.append(paused)
    return Reply.info(f"Subscriptions ({len(current)}):", *lines)


def _find_by_url(subscriptions: list[Subscription], url: str) -> Subscription | None:
    key = normalise_link(url)
    for sub in subscriptions:
        if sub.feed.url == url or (key and normalise_link(sub.feed.url) == key):
            return sub
    return None


def add_subscription_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="subscribe",
            summary="Follow a feed (RSS, Atom or JSON Feed) or a site that advertises one",
            handler=subscribe,
            args=(ArgSpec("url", "the feed's or the site's address", ArgKind.URL),),
            admin_only=True,
            fetches=True,
            details="Stories already in the feed are marked as read; only new ones are posted.",
        )
    )
    registry.add(
        CommandSpec(
            name="unsubscribe",
            summary="Stop following a feed",
            handler=unsubscribe,
            args=(ArgSpec("target", "the number shown by /list, or the feed's address"),),
            admin_only=True,
        )
    )
    registry.add(
        CommandSpec(name="list", summary="Show this chat's feeds", handler=list_subscriptions)
    )
