"""/subscribe, /unsubscribe and /list: which feeds a chat follows.

Every bad input gets a specific reply and changes nothing: a subscription is written only
after the feed was fetched and parsed, so a typo never leaves a dead feed behind (the rules
are bot.feeds.subscribing's; this module words their outcomes).

/list pages its feeds and offers each one's /feed card; a press names a feed by its
subscription id (handlers.lookup), never by the number /list showed, which shifts when a
feed is removed.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.delivery.schedule import chat_zone
from bot.feeds.subscribing import find_by_url
from bot.i18n import N_, _, format_moment, ngettext
from bot.models import Feed, Subscription
from handlers import completion
from handlers.commands.pause import paused_line
from handlers.context import CommandContext
from handlers.lookup import GONE, names_subscription, parse_number, subscription_ref
from handlers.model import Action, ActionRow, ActionStyle, Reply, ReplyKind
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


CONFIRM = "confirm"
ALL = "all"
PAGE_SIZE = 10  # feeds per /list page: a choice list of ten still fits a phone's screen
MAX_LABEL = 40  # a feed's name on a button; the number before it tells feeds apart


async def unsubscribe(ctx: CommandContext) -> Reply:
    """One feed, several ("1 3 5"), or all of them (after a confirmation).

    A press of a feed's Unsubscribe button asks first (Confirm / Cancel); typing the
    command is deliberate enough. Numbers are read against one listing, so "1 3 5" removes
    the feeds /list numbered 1, 3 and 5, not whatever shifted into place after the first.
    """
    current = await ctx.subscriptions()
    if not current:
        return Reply.error(_("This chat has no subscriptions."))
    words = list(ctx.args)
    confirmed = len(words) > 1 and words[-1].lower() == CONFIRM
    if confirmed:
        words = words[:-1]
    pressed = ctx.command.pressed
    if [word.lower() for word in words] == [ALL]:
        if not confirmed:
            return _confirm_all(current, pressed=pressed)
        gone = await ctx.services.store.unsubscribe_many(ctx.chat.pk, [s.id for s in current])
        return Reply(
            text=ngettext(
                "Unsubscribed from all {count} feed.",
                "Unsubscribed from all {count} feeds.",
                len(gone),
            ).format(count=len(gone)),
            kind=ReplyKind.SUCCESS,
            lines=(_("Add feeds again with /subscribe <url>."),),
            replaces_pressed=pressed,
        )
    if len(words) == 1 and not names_subscription(words[0]):
        match = find_by_url(current, words[0])
        if match is None:
            return Reply.error(
                _("No subscription matches {text}. Send /list, then /unsubscribe <number>.").format(
                    text=words[0]
                )
            )
        return await _remove(ctx, [match], [])
    if not all(names_subscription(word) for word in words):
        bad = next(word for word in words if not names_subscription(word))
        return Reply.error(
            _("{text} is not a subscription number. Send /list to see the numbers.").format(
                text=bad
            ),
            _(
                "Usage: /unsubscribe <number> [more numbers…], /unsubscribe <url> "
                "or /unsubscribe all"
            ),
        )
    matches: list[Subscription] = []
    unknown: list[str] = []
    for word in words:
        match, complaint = await ctx.subscription(word)
        if match is None:
            if len(words) == 1:
                return Reply.error(complaint or _("No such subscription."))
            unknown.append(word)
        elif match not in matches:
            matches.append(match)
    if not matches:
        return Reply.error(
            ngettext(
                "There is no subscription {numbers}: this chat has {count}. "
                "Send /list to see the numbers.",
                "There is no subscription {numbers}: this chat has {count}. "
                "Send /list to see the numbers.",
                len(current),
            ).format(numbers=_numbers(unknown), count=len(current))
        )
    if pressed and not confirmed and len(matches) == 1:
        return _confirm_one(matches[0])
    return await _remove(ctx, matches, unknown)


async def _remove(ctx: CommandContext, matches: list[Subscription], unknown: list[str]) -> Reply:
    gone = await ctx.services.store.unsubscribe_many(ctx.chat.pk, [sub.id for sub in matches])
    removed = [sub for sub in matches if sub.id in gone]
    pressed = ctx.command.pressed
    back = (ActionRow((Action(_("Back to the list"), "list"),)),) if pressed else ()
    if not removed:  # removed meanwhile (another admin, another button)
        return Reply(text=_(GONE), kind=ReplyKind.ERROR, actions=back, replaces_pressed=pressed)
    if len(removed) == 1 and not unknown:
        sub = removed[0]
        return Reply(
            text=_("Unsubscribed from {title}.").format(title=sub.display_title),
            kind=ReplyKind.SUCCESS,
            lines=(_("Feed: {url}").format(url=sub.feed.url),),
            actions=back,
            replaces_pressed=pressed,
        )
    lines = [f"• {sub.display_title}" for sub in removed]
    if unknown:
        lines.append(
            _("Not found, so nothing removed for: {numbers}.").format(numbers=_numbers(unknown))
        )
    return Reply(
        text=ngettext(
            "Unsubscribed from {count} feed:", "Unsubscribed from {count} feeds:", len(removed)
        ).format(count=len(removed)),
        kind=ReplyKind.SUCCESS,
        lines=tuple(lines),
        actions=back,
        replaces_pressed=pressed,
    )


def _numbers(words: list[str]) -> str:
    return ", ".join(words)


def confirm_one_actions(sub: Subscription) -> tuple[ActionRow, ...]:
    """Confirm / Cancel under "Unsubscribe from X?": both name the feed by its id."""
    ref = subscription_ref(sub)
    return (
        ActionRow(
            (
                Action(_("Unsubscribe"), "unsubscribe", (ref, CONFIRM), ActionStyle.DANGER),
                Action(_("Cancel"), "feed", (ref,)),
            )
        ),
    )


def confirm_all_actions() -> tuple[ActionRow, ...]:
    return (
        ActionRow(
            (
                Action(
                    _("Unsubscribe from all"), "unsubscribe", (ALL, CONFIRM), ActionStyle.DANGER
                ),
                Action(_("Cancel"), "list"),
            )
        ),
    )


def _confirm_one(sub: Subscription) -> Reply:
    return Reply(
        text=_("Unsubscribe from {title}?").format(title=sub.display_title),
        lines=(_("Feed: {url}").format(url=sub.feed.url),),
        actions=confirm_one_actions(sub),
        replaces_pressed=True,
    )


def _confirm_all(current: list[Subscription], *, pressed: bool) -> Reply:
    return Reply(
        text=ngettext(
            "Unsubscribe from all {count} feed of this chat?",
            "Unsubscribe from all {count} feeds of this chat?",
            len(current),
        ).format(count=len(current)),
        lines=(_("Send /unsubscribe all confirm, or press the button, to go ahead."),),
        actions=confirm_all_actions(),
        replaces_pressed=pressed,
    )


async def list_subscriptions(ctx: CommandContext) -> Reply:
    current = await ctx.subscriptions()
    if not current:
        return Reply.info(_("No subscriptions yet. Add one with /subscribe <url>."))
    pages = max(1, -(-len(current) // PAGE_SIZE))
    page = 1
    if ctx.args:
        number = parse_number(ctx.args[0])
        if number is None:
            return Reply.error(
                _("{text} is not a page number.").format(text=ctx.args[0]), _("Usage: /list [page]")
            )
        page = min(max(number, 1), pages)  # a stale Next after removals: the last page
    shown = current[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    services = ctx.services
    latest = await services.store.latest_entries([sub.feed.id for sub in shown])
    zone = chat_zone(ctx.chat, services.settings.default_timezone)
    lines = []
    for sub in shown:
        line = _("{number}. {title} (muted) — {url}") if sub.muted else "{number}. {title} — {url}"
        lines.append(line.format(number=sub.position, title=sub.display_title, url=sub.feed.url))
        lines.append(f"   {health_line(sub.feed, latest.get(sub.feed.id), zone)}")
    if pages > 1:
        lines.append(
            _("Page {page} of {pages}. /list <page> shows another.").format(page=page, pages=pages)
        )
    if paused := paused_line(ctx.chat, ctx.services):
        lines.append(paused)
    return Reply(
        text=_("Subscriptions ({count}):").format(count=len(current)),
        lines=tuple(lines),
        actions=list_actions(shown, page=page, pages=pages),
        replaces_pressed=ctx.command.pressed,
    )


def feed_label(sub: Subscription) -> str:
    """A feed on a button: its number and name, short enough for a phone."""
    label = f"{sub.position}. {' '.join(sub.display_title.split())}"
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def list_actions(shown: list[Subscription], *, page: int, pages: int) -> tuple[ActionRow, ...]:
    """A "Manage feed…" choice of the page's feeds, then Previous / Next when paged."""
    rows = [
        ActionRow(
            tuple(Action(feed_label(sub), "feed", (subscription_ref(sub),)) for sub in shown),
            placeholder=_("Manage feed…"),
        )
    ]
    paging = []
    if page > 1:
        paging.append(Action(_("◀ Previous"), "list", (str(page - 1),)))
    if page < pages:
        paging.append(Action(_("Next ▶"), "list", (str(page + 1),)))
    if paging:
        rows.append(ActionRow(tuple(paging)))
    return tuple(rows)


def health_line(feed: Feed, latest: datetime | None, zone: ZoneInfo) -> str:
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
            args=(
                ArgSpec(
                    "target",
                    N_("the numbers shown by /list, the feed's address, or all"),
                    completes=completion.SUBSCRIPTIONS,
                    rest=True,
                ),
            ),
            access=Access.CHAT_ADMIN,
            details=N_(
                "Several at once: /unsubscribe 1 3 5. Everything: /unsubscribe all, then "
                "/unsubscribe all confirm."
            ),
        )
    )
    registry.add(
        CommandSpec(
            name="list",
            summary=N_("Show this chat's feeds"),
            handler=list_subscriptions,
            args=(
                ArgSpec(
                    "page",
                    N_("which page of the feeds to show"),
                    ArgKind.INTEGER,
                    required=False,
                ),
            ),
        )
    )
