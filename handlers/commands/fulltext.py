"""/fulltext: whether a feed's teaser items get their article page fetched and summarised.

Why operators only: a feed is stored once and shared by every chat that follows it, so the
switch changes what every one of those chats reads, and it decides how many requests the
bot sends to the feed's site. A chat administrator decides for one chat; this is a
decision for the people running the bot (NEWSDIGEST_ADMINS; in the console, `console:local`).
"""

from __future__ import annotations

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
            f"{command.args[0]} is not a subscription number. Send /list to see the numbers.",
            "Usage: /fulltext <n> on|off",
        )
    state_text = command.args[1].lower() if len(command.args) > 1 else None
    if state_text is not None and state_text not in _STATES:
        return Reply.error(f"Say on or off, not {command.args[1]!r}.\nUsage: /fulltext <n> on|off")
    match, complaint = await ctx.subscription(command.args[0])
    if match is None:
        return Reply.error(complaint or "No such subscription.")
    lines = []
    if not services.settings.full_text:
        lines.append(
            "Note: NEWSDIGEST_FULL_TEXT is off, so no article pages are fetched for any "
            "feed until it is turned on."
        )
    if state_text is None:
        state = "on" if match.feed.full_text else "off"
        return Reply.info(
            f"Full text for {match.display_title} is {state}.",
            *lines,
            "Change it with /fulltext <n> on|off (for every chat that follows the feed).",
        )
    enabled = _STATES[state_text]
    feed = await services.store.set_feed_full_text(match.feed.id, enabled)
    if feed is None:
        return Reply.error(f"{match.display_title} was removed meanwhile; send /list.")
    what = (
        "short items will be summarised from their article page"
        if enabled
        else "short items will be summarised from the feed's own text"
    )
    return Reply.success(
        f"Full text {state_text} for {match.display_title}: {what}.",
        "This feed is shared: the change applies to every chat that follows it.",
        "Stories already stored keep their summaries.",
        *lines,
    )


def add_fulltext_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="fulltext",
            summary="Operators: fetch article pages for a feed's short items, or not",
            handler=fulltext_command,
            access=Access.OPERATOR,
            why_restricted=(
                "a feed is shared by every chat that follows it, so the switch changes it "
                "for all of them."
            ),
            args=(
                ArgSpec(
                    "number",
                    "the feed's number shown by /list",
                    ArgKind.INTEGER,
                    completes=completion.SUBSCRIPTIONS,
                ),
                ArgSpec("state", "on or off; without it, shows the setting", required=False),
            ),
            details=(
                "Feeds are shared, so this changes the feed for every chat that follows "
                "it. When on, an item with "
                "fewer words than NEWSDIGEST_FULL_TEXT_MIN_WORDS is summarised from its "
                "article page."
            ),
        )
    )
