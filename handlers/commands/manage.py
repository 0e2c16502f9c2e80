"""/feed, /mute and /unmute: one feed of the chat, and keeping it without its stories.

Why mute: a feed that is noisy this week need not be unsubscribed (and its place, name
and filters lost). A muted feed is still polled, so /list keeps showing how it is doing;
its stories stay out of digests, and unmuting starts from the feed's newest story (the
store moves the subscription's watermark), so unmuting never floods the chat with what
arrived meanwhile.

/feed is what the "Manage feed…" choice under /list opens: the feed's state with its
buttons. Buttons name the feed by its subscription id (handlers.lookup), so a button made
before another feed was removed still acts on its own feed, or says it is gone.
"""

from __future__ import annotations

from bot.delivery.schedule import chat_zone
from bot.i18n import N_, _
from bot.models import Subscription
from handlers import completion
from handlers.commands.subscriptions import PAGE_SIZE, health_line
from handlers.context import CommandContext
from handlers.lookup import names_subscription, subscription_ref
from handlers.model import Action, ActionRow, ActionStyle, Reply, ReplyKind
from handlers.registry import Access, ArgKind, ArgSpec, CommandRegistry, CommandSpec


async def feed_command(ctx: CommandContext) -> Reply:
    sub, complaint = await _one(ctx, "feed")
    if sub is None:
        return Reply.error(complaint)
    return await _card(ctx, sub)


async def mute_command(ctx: CommandContext) -> Reply:
    return await _set_muted(ctx, muted=True)


async def unmute_command(ctx: CommandContext) -> Reply:
    return await _set_muted(ctx, muted=False)


async def _set_muted(ctx: CommandContext, *, muted: bool) -> Reply:
    name = "mute" if muted else "unmute"
    sub, complaint = await _one(ctx, name)
    if sub is None:
        return Reply.error(complaint)
    if sub.muted == muted:
        if muted:
            note = _("{title} is already muted.").format(title=sub.display_title)
        else:
            note = _("{title} is already shown in digests.").format(title=sub.display_title)
    elif not await ctx.services.store.set_muted(sub.id, muted):
        return Reply.error(
            _("{title} was removed meanwhile; send /list.").format(title=sub.display_title)
        )
    elif muted:
        note = _(
            "Muted {title}: its stories stay out of digests until /unmute {number}. "
            "It is still checked, and still listed."
        ).format(title=sub.display_title, number=sub.position)
    else:
        note = _(
            "Unmuted {title}: its new stories are in digests again "
            "(what it brought while muted is skipped)."
        ).format(title=sub.display_title)
    if ctx.command.pressed:  # the card the button was on, updated
        fresh = next((s for s in await ctx.subscriptions(fresh=True) if s.id == sub.id), None)
        if fresh is not None:
            return await _card(ctx, fresh, note=note)
    return Reply.success(note)


async def _one(ctx: CommandContext, name: str) -> tuple[Subscription | None, str]:
    word = ctx.args[0]
    if not names_subscription(word):
        return None, (
            _("{text} is not a subscription number. Send /list to see the numbers.").format(
                text=word
            )
            + "\n"
            + _("Usage: /{name} <number> (the feed's number in /list)").format(name=name)
        )
    sub, complaint = await ctx.subscription(word)
    return sub, complaint or _("No such subscription.")


async def _card(ctx: CommandContext, sub: Subscription, *, note: str | None = None) -> Reply:
    """The feed's state and what can be done with it, in place of the message pressed."""
    services = ctx.services
    latest = (await services.store.latest_entries([sub.feed.id])).get(sub.feed.id)
    zone = chat_zone(ctx.chat, services.settings.default_timezone)
    health = health_line(sub.feed, latest, zone)
    if sub.muted:
        state = _("Muted: not in digests; {health}.").format(health=health)
    else:
        state = _("In digests; {health}.").format(health=health)
    if sub.feed.full_text:
        full_text = _("Full text of short items: on.")
    else:
        full_text = _("Full text of short items: off.")
    lines = [
        _("Feed: {url}").format(url=sub.feed.url),
        state,
        full_text,
        _("Rename it: {usage}").format(usage=f"/rename {sub.position} <new name>"),
    ]
    if note:
        lines.insert(0, note)
    may_fulltext = Access.OPERATOR.allows(services, ctx.command)
    page = (sub.position - 1) // PAGE_SIZE + 1
    return Reply(
        text=f"{sub.position}. {sub.display_title}",
        kind=ReplyKind.INFO,
        lines=tuple(lines),
        actions=feed_actions(sub, may_fulltext=may_fulltext, page=page),
        replaces_pressed=ctx.command.pressed,
    )


def feed_actions(sub: Subscription, *, may_fulltext: bool, page: int) -> tuple[ActionRow, ...]:
    """Unsubscribe (asks first), mute or unmute, the chat's filters, full text for
    operators, back to the list."""
    ref = subscription_ref(sub)
    muting = ("unmute", _("Unmute")) if sub.muted else ("mute", _("Mute"))
    mute = Action(muting[1], muting[0], (ref,))
    filters = Action(_("Filters"), "filter", ("list",))  # with how to add one for this feed
    rows = [
        ActionRow(
            (Action(_("Unsubscribe…"), "unsubscribe", (ref,), ActionStyle.DANGER), mute, filters)
        ),
    ]
    if may_fulltext:  # feeds are shared: only operators switch it (see /fulltext)
        if sub.feed.full_text:
            switch = Action(_("Full text off"), "fulltext", (ref, "off"))
        else:
            switch = Action(_("Full text on"), "fulltext", (ref, "on"))
        rows.append(ActionRow((switch,)))
    rows.append(ActionRow((Action(_("Back to the list"), "list", (str(page),)),)))
    return tuple(rows)


def add_manage_commands(registry: CommandRegistry) -> None:
    feed_arg = ArgSpec(
        "number",
        N_("the feed's number in /list"),
        ArgKind.INTEGER,
        completes=completion.SUBSCRIPTIONS,
    )
    registry.add(
        CommandSpec(
            name="feed",
            summary=N_("Show one feed and what you can do with it"),
            handler=feed_command,
            args=(feed_arg,),
        )
    )
    registry.add(
        CommandSpec(
            name="mute",
            summary=N_("Keep a feed but leave its stories out of digests"),
            handler=mute_command,
            args=(feed_arg,),
            access=Access.CHAT_ADMIN,
            details=N_("It is still checked and listed; /unmute brings its new stories back."),
        )
    )
    registry.add(
        CommandSpec(
            name="unmute",
            summary=N_("Show a muted feed's stories in digests again"),
            handler=unmute_command,
            args=(feed_arg,),
            access=Access.CHAT_ADMIN,
            details=N_("What the feed brought while muted is skipped, so nothing floods in."),
        )
    )
