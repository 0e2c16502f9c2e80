"""Following feeds: check a URL, store its backlog as read, subscribe — one or many at once.

Why here and not in the command layer: /subscribe, /import and /subscribe topic:… are three
ways to ask for the same thing, and the rules are the bot's, not a command's: a subscription
is written only after the feed was fetched and parsed (a typo never leaves a dead feed
behind), the backlog present at that moment is stored as read (no flood), a chat follows at
most NEWSDIGEST_MAX_SUBSCRIPTIONS_PER_CHAT feeds, and a list of feeds costs only the fetches
that can lead to a subscription. Commands word the outcomes; this module decides them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from bot.feeds.ingest import FeedIngestor, NotAFeedError, ResolvedFeed
from bot.models import Chat, Subscription
from bot.news.fetch import BlockedURLError, FetchError, InvalidURLError, check_url_syntax
from bot.news.links import normalise_link
from bot.store.repository import Store

#: Feeds of one list fetched at once: quick enough, gentle on the servers.
BULK_CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """What happened when a chat asked to follow a URL; ``error`` set means nothing changed.

    ``full``: refused before fetching, the chat follows as many feeds as it may;
    ``no_slot``: one of a list, refused because the list already filled the free slots.
    """

    subscription: Subscription | None = None
    resolved: ResolvedFeed | None = None
    already: Subscription | None = None
    error: str | None = None
    reenabled: bool = False  # the chat already followed it, but it had been disabled
    full: bool = False
    no_slot: bool = False


@dataclass(frozen=True, slots=True)
class WantedFeed:
    """One feed of a list to follow; ``title`` becomes the subscription's own name."""

    url: str
    title: str | None = None


def find_by_url(subscriptions: Sequence[Subscription], url: str) -> Subscription | None:
    """The subscription to this address, matching it as /subscribe would (normalised)."""
    key = normalise_link(url)
    for sub in subscriptions:
        if sub.feed.url == url or (key and normalise_link(sub.feed.url) == key):
            return sub
    return None


def slots_left(max_per_chat: int, following: int) -> int:
    """How many more feeds a chat that follows ``following`` feeds may add."""
    return max(0, max_per_chat - following)


class Subscriber:
    """The subscription use cases, for one store, pipeline and per-chat limit."""

    def __init__(self, store: Store, ingestor: FeedIngestor, *, max_per_chat: int) -> None:
        self.store = store
        self.ingestor = ingestor
        self.max_per_chat = max_per_chat

    async def check(self, current: Sequence[Subscription], raw_url: str) -> AddOutcome:
        """Validate, fetch and parse a URL without writing anything (safe to run concurrently)."""
        try:
            url = check_url_syntax(raw_url)
        except (InvalidURLError, BlockedURLError) as exc:
            return AddOutcome(error=str(exc))
        if (match := find_by_url(current, url)) and not match.feed.disabled:
            return AddOutcome(already=match)
        try:
            resolved = await self.ingestor.resolve(url)
        except FetchError as exc:
            return AddOutcome(error=f"could not fetch {url}: {exc}")
        except NotAFeedError as exc:
            return AddOutcome(error=str(exc))
        if (match := find_by_url(current, resolved.url)) and not match.feed.disabled:
            return AddOutcome(already=match)
        return AddOutcome(resolved=resolved)

    async def commit(
        self, chat: Chat, checked: AddOutcome, *, custom_title: str | None = None
    ) -> AddOutcome:
        """Store a checked feed's current items as read, then subscribe the chat to it."""
        resolved = checked.resolved
        if resolved is None:
            return checked
        try:
            feed = await self.store.get_or_create_feed(resolved.url)
        except ValueError as exc:  # an address the store cannot keep (over-long)
            return AddOutcome(error=str(exc))
        await self.ingestor.store_parsed(
            feed,
            resolved.parsed,
            etag=resolved.fetched.etag,
            last_modified=resolved.fetched.last_modified,
            # The backlog is marked as read: no article pages, no summaries for it.
            fetch_pages=False,
            summarise=False,
        )
        subscription, created = await self.store.subscribe(
            chat.pk, feed.id, custom_title=custom_title
        )
        if not created:
            return AddOutcome(already=subscription, reenabled=feed.disabled)
        return AddOutcome(subscription=subscription, resolved=resolved)

    async def add(self, chat: Chat, raw_url: str) -> AddOutcome:
        """Follow one URL; a full chat makes the bot fetch nothing."""
        current = await self.store.list_subscriptions(chat.pk)
        full = not slots_left(self.max_per_chat, len(current))
        if full and find_by_url(current, raw_url) is None:
            return AddOutcome(full=True)
        return await self.commit(chat, await self.check(current, raw_url))

    async def add_many(
        self, chat: Chat, wanted: Sequence[WantedFeed]
    ) -> list[tuple[WantedFeed, AddOutcome]]:
        """Check a list in its order, fetching only what can still be added, then subscribe.

        A feed the chat already follows needs no fetch and no slot (one whose feed is
        disabled is still fetched, to re-enable it, but takes no slot). A new feed is
        fetched only while fewer checks are in flight than slots remain unfilled (and never
        more than BULK_CONCURRENCY at once); once successful checks fill every free slot no
        new fetch starts, and the feeds left come back ``no_slot``. A failed check frees
        its slot for the next feed. An address listed twice (up to what /subscribe treats
        as the same) is checked and reported once, where it first appears.
        """
        current = await self.store.list_subscriptions(chat.pk)
        distinct = _first_of_each(wanted)
        checker = _SlotBoundChecker(self, current, slots_left(self.max_per_chat, len(current)))
        checked = await checker.run([feed.url for feed in distinct])
        following = len(current)
        results: list[tuple[WantedFeed, AddOutcome]] = []
        for feed, result in zip(distinct, checked, strict=True):
            resolved = result.resolved
            if (
                resolved is not None
                and following >= self.max_per_chat
                and find_by_url(current, resolved.url) is None
            ):
                # Only reachable if another command filled the chat while this one fetched.
                result = AddOutcome(no_slot=True)
            outcome = await self.commit(chat, result, custom_title=feed.title)
            if outcome.subscription is not None:
                following += 1
            results.append((feed, outcome))
        return results


class _SlotBoundChecker:
    """Runs `Subscriber.check` over a list of URLs in order, with no more fetches in flight
    than there are slots still unfilled (nor more than BULK_CONCURRENCY).

    Why bounded by slots: a fetch whose feed cannot be added is wasted work for the bot and
    an unwanted request to someone's server.
    """

    def __init__(self, subscriber: Subscriber, current: list[Subscription], slots: int) -> None:
        self.subscriber = subscriber
        self.current = current
        self.slots = slots
        self.filled = 0  # successful checks of new feeds: each will take a slot
        self.claimed: set[str] = set()  # the feeds those checks resolved to
        self.running: dict[asyncio.Task[AddOutcome], tuple[int, bool]] = {}

    async def run(self, urls: list[str]) -> list[AddOutcome]:
        """One outcome per URL, in the same order; see Subscriber.add_many for the rules."""
        results: dict[int, AddOutcome] = {}
        try:
            for index, url in enumerate(urls):
                try:
                    checked_url = check_url_syntax(url)
                except (InvalidURLError, BlockedURLError) as exc:
                    results[index] = AddOutcome(error=str(exc))
                    continue
                match = find_by_url(self.current, checked_url)
                if match is not None and not match.feed.disabled:
                    results[index] = AddOutcome(already=match)  # followed: nothing to fetch
                    continue
                takes_slot = match is None
                while not self._may_start(takes_slot) and self.running:
                    await self._settle_one(results)
                if self._may_start(takes_slot):
                    task = asyncio.create_task(self.subscriber.check(self.current, url))
                    self.running[task] = (index, takes_slot)
                else:
                    results[index] = AddOutcome(no_slot=True)  # free slots are filled for good
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
            if find_by_url(self.current, resolved.url) is not None:
                continue  # a page whose feed the chat follows (disabled): no new slot
            key = _feed_key(resolved.url)
            if key not in self.claimed:  # two addresses of one feed take one slot
                self.claimed.add(key)
                self.filled += 1


def _first_of_each(wanted: Sequence[WantedFeed]) -> list[WantedFeed]:
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
    """Addresses /subscribe treats as the same feed share a key (see find_by_url).

    The fragment is dropped first, as check_url_syntax does before any fetch: it never
    reaches the server, so it cannot make two addresses two feeds.
    """
    try:
        checked = check_url_syntax(url)
    except (InvalidURLError, BlockedURLError):
        return url.strip()
    return normalise_link(checked) or checked
