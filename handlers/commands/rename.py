"""/rename: the name a chat sees for one of its feeds, in /list, digests and /export.

The name is the subscription's ``custom_title`` (per chat, never the shared feed's own
title), so two chats may call the same feed differently. Digests take it as the source
name, and /export writes it as the OPML title, which /import reads back.
"""

from __future__ import annotations

from bot.i18n import N_, _
from handlers import completion
from handlers.context import CommandContext
from handlers.lookup import names_subscription
from handlers.model import Reply
from handlers.registry import Access, ArgKind, ArgSpec, CommandRegistry, CommandSpec

MAX_TITLE = 100  # a source name, not a paragraph: it heads a digest section


async def rename(ctx: CommandContext) -> Reply:
    command = ctx.command
    if not names_subscription(command.args[0]):
        return Reply.error(
            _("{text} is not a subscription number. Send /list to see the numbers.").format(
                text=command.args[0]
            ),
            _("Usage: {usage}").format(usage="/rename <number> <new name>"),
        )
    title = " ".join(command.args[1:]).strip()
    if len(title) > MAX_TITLE:
        return Reply.error(
            _("That name has {length} characters; at most {limit}, please.").format(
                length=len(title), limit=MAX_TITLE
            )
        )
    match, complaint = await ctx.subscription(command.args[0])
    if match is None:
        return Reply.error(complaint or _("No such subscription."))
    await ctx.services.store.rename_subscription(match.id, title or None)
    if not title:
        original = match.feed.title or match.feed.url
        return Reply.success(
            _("{number}. is called {title} again (the feed's own title).").format(
                number=match.position, title=original
            )
        )
    return Reply.success(
        _("{number}. {old} is now called {new}.").format(
            number=match.position, old=match.display_title, new=title
        ),
        _("The new name shows in /list, in digests and in /export."),
    )


def add_rename_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="rename",
            summary=N_("Give one of this chat's feeds your own name"),
            handler=rename,
            args=(
                ArgSpec(
                    "number",
                    N_("the feed's number in /list"),
                    ArgKind.INTEGER,
                    completes=completion.SUBSCRIPTIONS,
                ),
                ArgSpec(
                    "name",
                    N_("the new name; leave it out to go back to the feed's own title"),
                    required=False,
                    rest=True,
                ),
            ),
            access=Access.CHAT_ADMIN,
            details=N_(
                "Example: /rename 2 Morning paper. The name is used in digests and /export."
            ),
        )
    )
