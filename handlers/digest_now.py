"""/digest: refresh this chat's feeds and post the unseen stories right away."""

from __future__ import annotations

from bot.digest import digest_headline
from handlers.model import Command, Reply
from handlers.registry import CommandRegistry, CommandSpec
from handlers.services import Services


async def digest_now(services: Services, command: Command) -> Reply:
    chat = await services.store.get_or_create_chat(command.target)
    subscriptions = await services.store.list_subscriptions(chat.pk)
    if not subscriptions:
        return Reply.info("No subscriptions yet, so no news. Add a feed with /subscribe <url>.")
    # The poller skips a feed that a scheduled poll is fetching right now.
    feeds = [sub.feed for sub in subscriptions if not sub.feed.disabled]
    await services.poller.poll(feeds)
    notes = [
        f"Could not refresh {sub.display_title}: {sub.feed.last_error}"
        for sub in await services.store.list_subscriptions(chat.pk)  # one query, fresh state
        if sub.feed.last_error
    ]
    digest = await services.composer.compose(chat)
    if digest is None:
        return Reply.info("No new stories since your last digest.", *notes)
    prefs = services.composer.settings_for(chat)
    return Reply(
        text=digest_headline(len(digest.items)),
        digest=digest,
        lines=(*digest.notes, *notes),
        silent=prefs.silent,
        previews=prefs.previews,
    )


def add_digest_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="digest",
            summary="Post the stories you have not seen yet, now",
            handler=digest_now,
            fetches=True,
        )
    )
