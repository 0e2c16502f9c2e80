"""/digest: refresh this chat's feeds and post the unseen stories right away."""

from __future__ import annotations

import asyncio

from handlers.model import Command, Reply
from handlers.registry import CommandRegistry, CommandSpec
from handlers.services import Services

# At most this many feeds are fetched at once for one /digest, to be polite to servers.
REFRESH_CONCURRENCY = 4


async def digest_now(services: Services, command: Command) -> Reply:
    chat = await services.store.get_or_create_chat(command.target)
    subscriptions = await services.store.list_subscriptions(chat.pk)
    if not subscriptions:
        return Reply.info("No subscriptions yet, so no news. Add a feed with /subscribe <url>.")
    limit = asyncio.Semaphore(REFRESH_CONCURRENCY)

    async def refresh(feed):  # type: ignore[no-untyped-def]
        async with limit:
            return await services.ingestor.poll(feed)

    outcomes = await asyncio.gather(*(refresh(sub.feed) for sub in subscriptions))
    failed = [
        (sub, outcome.error)
        for sub, outcome in zip(subscriptions, outcomes, strict=True)
        if outcome.error
    ]
    notes = [f"Could not refresh {sub.display_title}: {error}" for sub, error in failed]
    digest = await services.composer.compose(chat)
    if digest is None:
        return Reply.info("No new stories since your last digest.", *notes)
    count = len(digest.items)
    return Reply(
        text=f"{count} new {'story' if count == 1 else 'stories'}.",
        digest=digest,
        lines=tuple(notes),
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
