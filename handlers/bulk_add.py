"""Adding many feeds in one command (/import, /subscribe topic:…), within the chat's quota.

Both commands need the same things: every feed checked exactly as /subscribe checks it
(check_feed / commit_feed), fetched a few at a time so a long list neither takes forever
nor floods a server, subscribed in the list's order so /list numbers follow it, stopped at
NEWSDIGEST_MAX_SUBSCRIPTIONS_PER_CHAT, and a report that says for every feed whether it
was added, already present, or failed and why.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.models import Chat
from handlers.quota import quota_line, slots_left
from handlers.services import Services
from handlers.subscriptions import AddOutcome, _find_by_url, check_feed, commit_feed

# Feeds fetched at once: quick enough, gentle on the servers.
BULK_CONCURRENCY = 4
NO_SLOT = "no slot left"


@dataclass(frozen=True, slots=True)
class WantedFeed:
    """One feed to add; ``title`` becomes the subscription's own name when given."""

    url: str
    title: str | None = None


@dataclass(slots=True)
class BulkReport:
    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    quota_note: str | None = None

    @property
    def counts(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.present)} already present, "
            f"{len(self.failed)} failed"
        )

    @property
    def lines(self) -> tuple[str, ...]:
        note = (self.quota_note,) if self.quota_note else ()
        return (*self.added, *self.present, *self.failed, *note)

    @property
    def any_success(self) -> bool:
        return bool(self.added or self.present)


async def add_feeds(services: Services, chat: Chat, wanted: list[WantedFeed]) -> BulkReport:
    """Check every feed concurrently, then subscribe in order until the quota is used up."""
    settings = services.settings
    current = await services.store.list_subscriptions(chat.pk)
    left = slots_left(settings, len(current))
    limit = asyncio.Semaphore(BULK_CONCURRENCY)

    async def check(feed: WantedFeed) -> AddOutcome:
        if left == 0 and _find_by_url(current, feed.url) is None:
            return AddOutcome(error=NO_SLOT)  # a full chat makes the bot fetch nothing
        async with limit:
            return await check_feed(services, current, feed.url)

    checked = await asyncio.gather(*(check(feed) for feed in wanted))
    report = BulkReport()
    following = len(current)
    for feed, result in zip(wanted, checked, strict=True):
        name = feed.title or feed.url
        if result.resolved is not None and following >= settings.max_subscriptions_per_chat:
            result = AddOutcome(error=NO_SLOT)
        outcome = await commit_feed(services, chat, result, custom_title=feed.title)
        if outcome.subscription is not None:
            following += 1
            report.added.append(f"+ {name}")
        elif outcome.already is not None:
            report.present.append(f"= {name}")
        else:
            report.failed.append(f"✗ {name}: {outcome.error}")
            if outcome.error == NO_SLOT:
                report.quota_note = quota_line(settings, following)
    return report
