"""Adding many feeds in one command (/import, /subscribe topic:…), within the chat's quota.

Both commands need the same things: every feed checked exactly as /subscribe checks it
(check_feed / commit_feed), fetched a few at a time so a long list neither takes forever
nor floods a server, subscribed in the list's order so /list numbers follow it, stopped at
NEWSDIGEST_MAX_SUBSCRIPTIONS_PER_CHAT, and a report that says for every feed whether it
was added, already present, or failed and why.

Fetching is the expensive part, and a chat near its limit can only take a few feeds, so
the bot fetches only what it can add: a 200-feed file sent to a chat with one free slot
costs one fetch when the first feed works, not 200.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.models import Chat, Subscription
from bot.news.fetch import BlockedURLError, InvalidURLError, check_url_syntax
from bot.news.links import normalise_link
from handlers.commands.subscriptions import AddOutcome, _find_by_url, check_feed, commit_feed
from handlers.quota import quota_line, slots_left
from handlers.services import Services

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
    """Check the feeds in the list's order, fetching only as many as can still be added,
    then subscribe the ones that work in that order.

    A feed the chat already follows needs no fetch and no slot (one whose feed is disabled
    is still fetched, to re-enable it, but takes no slot). A new feed is fetched only while
    fewer checks are in flight than slots remain unfilled (and never more than
    BULK_CONCURRENCY at once); once successful checks fill every free slot no new fetch
    starts, and the feeds left are reported as "no slot left". A failed check frees its
    slot for the next feed.

    A feed listed twice (the same address up to what /subscribe also treats as the same:
    scheme, ``www.``, a trailing slash, a fragment, tracking parameters) is fetched and
    reported once, under its first entry and title; later entries are skipped silently,
    as parse_opml already does with byte-identical addresses, so the counts describe the
    distinct feeds of the list.
    """
    settings = services.settings
    current = await services.store.list_subscriptions(chat.pk)
    distinct = _first_of_each(wanted)
    checker = _SlotBoundChecker(services, current, slots_left(settings, len(current)))
    checked = await checker.run([feed.url for feed in distinct])
    report = BulkReport()
    following = len(current)
    for feed, result in zip(distinct, checked, strict=True):
        name = feed.title or feed.url
        resolved = result.resolved
        if (
            resolved is not None
            and following >= settings.max_subscriptions_per_chat
            and _find_by_url(current, resolved.url) is None
        ):
            # Only reachable if another command filled the chat while this one fetched.
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


class _SlotBoundChecker:
    """Runs check_feed over a list of URLs in order, with no more fetches in flight than
    there are slots still unfilled (nor more than BULK_CONCURRENCY).

    Why bounded by slots: a fetch whose feed cannot be added is wasted work for the bot and
    an unwanted request to someone's server.
    """

    def __init__(self, services: Services, current: list[Subscription], slots: int) -> None:
        self.services = services
        self.current = current
        self.slots = slots
        self.filled = 0  # successful checks of new feeds: each will take a slot
        self.claimed: set[str] = set()  # the feeds those checks resolved to
        self.running: dict[asyncio.Task[AddOutcome], tuple[int, bool]] = {}

    async def run(self, urls: list[str]) -> list[AddOutcome]:
        """One outcome per URL, in the same order; see add_feeds for the rules."""
        results: dict[int, AddOutcome] = {}
        try:
            for index, url in enumerate(urls):
                try:
                    checked_url = check_url_syntax(url)
                except (InvalidURLError, BlockedURLError) as exc:
                    results[index] = AddOutcome(error=str(exc))
                    continue
                match = _find_by_url(self.current, checked_url)
                if match is not None and not match.feed.disabled:
                    results[index] = AddOutcome(already=match)  # followed: nothing to fetch
                    continue
                takes_slot = match is None
                while not self._may_start(takes_slot) and self.running:
                    await self._settle_one(results)
                if self._may_start(takes_slot):
                    task = asyncio.create_task(check_feed(self.services, self.current, url))
                    self.running[task] = (index, takes_slot)
                else:
                    results[index] = AddOutcome(error=NO_SLOT)  # free slots are filled for good
            while self.running:
                await self._settle_one(results)
        finally:
            for task in self.running:
                task.cancel()
            await asyncio.gather(*self.running, return_exceptions=True)
        return [results[index] for index in range(len(urls))]

    def _may_start(self, takes_slot: bool) -> bool:
        if len(self.running) >= BULK_CONCURRENCY:
            return False
        if not takes_slot:
            return True
        reserved = sum(1 for _, needs_slot in self.running.values() if needs_slot)
        return self.filled + reserved < self.slots

    async def _settle_one(self, results: dict[int, AddOutcome]) -> None:
        """Wait for a check to finish and count the slot it fills, if any."""
        done, _ = await asyncio.wait(self.running, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            index, takes_slot = self.running.pop(task)
            result = task.result()
            results[index] = result
            resolved = result.resolved
            if not takes_slot or resolved is None:
                continue  # failed, or already followed: the slot is free again
            if _find_by_url(self.current, resolved.url) is not None:
                continue  # a page whose feed the chat follows (disabled): no new slot
            key = _feed_key(resolved.url)
            if key not in self.claimed:  # two addresses of one feed take one slot
                self.claimed.add(key)
                self.filled += 1


def _first_of_each(wanted: list[WantedFeed]) -> list[WantedFeed]:
    """The list without repeats of an address, each feed where it first appears."""
    seen: set[str] = set()
    distinct: list[WantedFeed] = []
    for feed in wanted:
        key = _feed_key(feed.url)
        if key not in seen:
            seen.add(key)
            distinct.append(feed)
    return distinct


def _feed_key(url: str) -> str:
    """Addresses /subscribe treats as the same feed share a key (see _find_by_url).

    The fragment is dropped first, as check_url_syntax does before any fetch: it never
    reaches the server, so it cannot make two addresses two feeds.
    """
    try:
        checked = check_url_syntax(url)
    except (InvalidURLError, BlockedURLError):
        return url.strip()
    return normalise_link(checked) or checked
