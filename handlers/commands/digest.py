"""/digest: refresh this chat's feeds and post the unseen stories right away.

The digest is committed to the outbox before it is answered (its stories marked shown in
the same transaction), and the answer settles that row once the platform took it: if the
process dies in between, the outbox sends it later, so no story is lost between "shown"
and "sent". The row waits ``COMMAND_GRACE`` before the outbox sender may touch it, so the
sender and the command never post the same digest twice.

A chat's digests arrive in the order they were made: when an older one is still in the
outbox (waiting for a retry after a failure, or kept while the chat was paused), /digest
does not overtake it. The new digest is queued behind it as an ordinary outbox row, the
older one is made due now (the user is here), and the answer says so; the outbox sends
both, oldest first, at its next tick.

Only one digest is prepared per chat at a time: a second /digest while one is on its way
says so instead of composing the same stories again (or claiming there is nothing new).
Another bot process on the same database, or the scheduler a moment earlier, may commit
the stories first; while that digest waits in the outbox, this one says it is on its way,
never "No new stories".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.i18n import N_, _
from bot.store.repository import StoriesAlreadyShownError
from handlers.context import CommandContext
from handlers.model import Reply
from handlers.registry import CommandRegistry, CommandSpec

#: How long the outbox leaves a /digest answer to the command that is sending it.
COMMAND_GRACE = timedelta(minutes=30)
EARLIER_FIRST = N_(
    "An earlier digest for this chat has not been delivered yet: it is on its way now, first."
)
BEING_PREPARED = N_(
    "A digest for this chat is being prepared right now: it will be here in a moment."
)
ALREADY_ON_ITS_WAY = N_("A digest for this chat is already on its way with the new stories.")


async def digest_now(ctx: CommandContext) -> Reply:
    services, chat = ctx.services, ctx.chat
    composer = services.composer
    if composer.is_busy(chat.pk):
        return Reply.info(_(BEING_PREPARED))
    async with composer.exclusive(chat.pk):
        subscriptions = await ctx.subscriptions()
        if not subscriptions:
            return Reply.info(
                _("No subscriptions yet, so no news. Add a feed with /subscribe <url>.")
            )
        # The poller skips a feed that a scheduled poll is fetching right now.
        feeds = [sub.feed for sub in subscriptions if not sub.feed.disabled]
        await services.poller.poll(feeds)
        notes = [
            _("Could not refresh {title}: {error}").format(
                title=sub.display_title, error=sub.feed.last_error
            )
            for sub in await ctx.subscriptions(fresh=True)  # the feeds' state after the refresh
            if sub.feed.last_error
        ]
        chat = await ctx.reload_chat()  # settings may have changed meanwhile
        # An older digest still in the outbox (waiting for a retry, or kept while the
        # chat was paused) goes first: this one queues behind it instead of overtaking.
        queued = await composer.digest_on_its_way(chat)  # a notice waiting is no digest
        try:
            reply = await composer.commit_next(
                chat,
                slot=lambda ids: f"now:{min(ids)}",
                not_before=None if queued else services.clock() + COMMAND_GRACE,
            )
        except StoriesAlreadyShownError:  # another bot process is delivering them now
            return Reply.info(_(ALREADY_ON_ITS_WAY), *notes)
        if queued:  # the user is here: the earlier one is retried now, not after its wait
            await services.store.retry_now(chat.pk, now=services.clock())
        elif reply is None and await composer.digest_on_its_way(chat):
            return Reply.info(_(ALREADY_ON_ITS_WAY), *notes)  # committed a moment ago, unsent
    if queued and reply is None:  # nothing new: the waiting digest is the news
        return Reply.info(_(ALREADY_ON_ITS_WAY), *notes)
    if queued:
        return Reply.info(_(EARLIER_FIRST) + " " + _("The new stories follow it."), *notes)
    if reply is None:
        return Reply.info(_("No new stories since your last digest."), *notes)
    return replace(reply, lines=(*reply.lines, *notes))


def add_digest_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="digest",
            summary=N_("Post the stories you have not seen yet, now"),
            handler=digest_now,
            fetches=True,
        )
    )
