"""/fulltext: whether a feed's teaser items get their article page fetched and summarised.

Why operators only: a feed is stored once and shared by every chat that follows it, so the
switch changes what every one of those chats reads, and it decides how many requests the
bot sends to the feed's site. A chat administrator decides for one chat; this is a
decision for the people running the bot (NEWSDIGEST_ADMINS; in the console, `console:local`).
"""

from __future__ import annotations

from bot.i18n import N_, _
from handlers import completion
from handlers.context import CommandContext
from handlers.lookup import names_subscription
from handlers.model import Reply
from handlers.registry import Access, ArgKind, ArgSpec, CommandRegistry, CommandSpec

_STATES = {"on": True, "off": False}


async def fulltext_command(ctx: CommandContext) -> Reply:
    services, command = ctx.services, ctx.command
    if not names_subscription(command.args[0]):
        return Reply.error(
            _("{text} is not a subscription number. Send /list to see the numbers.").format(
                text=command.args[0]
            ),
            _("Usage: {usage}").format(usage="/fulltext <n> on|off"),
        )
    state_text = command.args[1].lower() if len(command.args) > 1 else None
    if state_text is not None and state_text not in _STATES:
        return Reply.error(
            _("Say on or off, not {text!r}.").format(text=command.args[1]),
            _("Usage: {usage}").format(usage="/fulltext <n> on|off"),
        )
    match, complaint = await ctx.subscription(command.args[0])
    if match is None:
        return Reply.error(complaint or _("No such subscription."))
    lines = []
    if not services.settings.full_text:
        lines.append(
            _(
                "Note: NEWSDIGEST_FULL_TEXT is off, so no article pages are fetched for any "
                "feed until it is turned on."
            )
        )
    if state_text is None:
        if match.feed.full_text:
            text = _("Full text for {title} is on.")
        else:
            text = _("Full text for {title} is off.")
        return Reply.info(
            text.format(title=match.display_title),
            *lines,
            _("Change it with /fulltext <n> on|off (for every chat that follows the feed)."),
        )
    enabled = _STATES[state_text]
    feed = await services.store.set_feed_full_text(match.feed.id, enabled)
    if feed is None:
        return Reply.error(
            _("{title} was removed meanwhile; send /list.").format(title=match.display_title)
        )
    if enabled:
        text = _(
            "Full text on for {title}: short items will be summarised from their article page."
        )
    else:
        text = _(
            "Full text off for {title}: short items will be summarised from the feed's own text."
        )
    return Reply.success(
        text.format(title=match.display_title),
        _("This feed is shared: the change applies to every chat that follows it."),
        _("Stories already stored keep their summaries."),
        *lines,
    )


def add_fulltext_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="fulltext",
            summary=N_("Operators: fetch article pages for a feed's short items, or not"),
            handler=fulltext_command,
            access=Access.OPERATOR,
            why_restricted=N_(
                "a feed is shared by every chat that follows it, so the switch changes it "
                "for all of them."
            ),
            args=(
                ArgSpec(
                    "number",
                    N_("the feed's number shown by /list"),
                    ArgKind.INTEGER,
                    completes=completion.SUBSCRIPTIONS,
                ),
                ArgSpec("state", N_("on or off; without it, shows the setting"), required=False),
            ),
            details=N_(
                "Feeds are shared, so this changes the feed for every chat that follows "
                "it. When on, an item with "
                "fewer words than NEWSDIGEST_FULL_TEXT_MIN_WORDS is summarised from its "
                "article page."
            ),
        )
    )
