"""The feed pipeline: fetch → parse → summarise → store, for one feed at a time.

This is the only module that joins the network side (`bot.news`) to the store, in the
spirit of MonitoRSS's single pipeline module: `bot.news` knows nothing about the database
and the store knows nothing about HTTP or feed formats. Summaries run in a worker thread so
a burst of new articles never blocks command handling on the event loop.

Teaser items (too few words to summarise) get their article page fetched and its main text
summarised instead (`bot.news.fulltext`), unless the operator switched that off globally
(NEWSDIGEST_FULL_TEXT) or for the feed (/fulltext). Extraction runs in the same worker
thread as the summaries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.feeds.identity import (
    CARRIED_PER_LINK,
    FeedHistory,
    document_links,
    links_turned_shared,
    merge_key,
    sort_unknown,
)
from bot.models import Feed, NewArticle, ParsedArticle, ParsedFeed
from bot.news.discover import discover_feed_links, looks_like_html
from bot.news.fetch import Fetcher, FetchError, FetchResult, HTTPStatusError
from bot.news.fulltext import (
    DEFAULT_MIN_WORDS,
    ArticlePageFetcher,
    full_text_or_teaser,
    is_teaser,
    page_lead_image,
)
from bot.news.language import detect_language
from bot.news.links import entry_key, normalise_link
from bot.news.parse import FeedParseError, parse_feed
from bot.news.summarise import DEFAULT_MAX_CHARS, Summariser, cap_characters
from bot.store.repository import Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class NotAFeedError(Exception):
    """The URL answered, but neither it nor the page's advertised feeds is a feed."""


@dataclass(frozen=True, slots=True)
class ResolvedFeed:
    """A URL the user gave, resolved to a feed URL, with the document already fetched."""

    url: str
    fetched: FetchResult
    parsed: ParsedFeed


@dataclass(slots=True)
class PollOutcome:
    """What one poll found, with what the server said about when to come back."""

    feed_id: int
    not_modified: bool = False
    new_article_ids: list[int] = field(default_factory=list)
    error: str | None = None
    status_code: int | None = None
    retry_after: float | None = None  # seconds, from Retry-After on 429/503
    max_age: float | None = None  # seconds, from Cache-Control: max-age
    ttl: float | None = None  # seconds, from RSS <ttl>
    failing_since: datetime | None = None  # after a failure: the first of this run


#: Seconds until a feed's next poll, given how this one went (bot.feeds.polling decides).
NextPoll = Callable[[PollOutcome], float]


async def _parse(fetched: FetchResult) -> ParsedFeed:
    """Parse a fetched document in a worker thread: feedparser, HTML cleaning and language
    identification are CPU work (the identifier's model takes a moment to load the first
    time), and the event loop must keep serving commands meanwhile."""
    return await asyncio.to_thread(parse_feed, fetched.content, fetched.url, fetched.content_type)


def cache_max_age(headers: Mapping[str, str]) -> float | None:
    """Seconds from a Cache-Control max-age directive, if the server sent one."""
    for directive in headers.get("cache-control", "").split(","):
        name, _, value = directive.strip().partition("=")
        value = value.strip()
        if name.lower() == "max-age" and value.isascii() and value.isdigit():  # not "²"
            return float(value)
    return None


class FeedIngestor:
    """Brings feeds' new articles into the store, summarised, each exactly once."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        summariser: Summariser,
        *,
        clock: Clock,
        summary_sentences: int,
        summary_algorithm: str | None = None,
        summary_max_chars: int = DEFAULT_MAX_CHARS,
        full_text: bool = True,
        full_text_min_words: int = DEFAULT_MIN_WORDS,
        page_fetcher: ArticlePageFetcher | None = None,
        summarise_newest: int = 0,
    ) -> None:
        """``summarise_newest``: of a document's new items only this many, the newest,
        are summarised when stored (the backlog bound, NEWSDIGEST_BACKLOG_PER_FEED, marks
        the rest read at once); 0 summarises them all. See `_needs_summary`."""
        self.store = store
        self.fetcher = fetcher
        self.summariser = summariser
        self.clock = clock
        self.summary_sentences = summary_sentences
        self.summary_algorithm = summary_algorithm
        self.summary_max_chars = summary_max_chars
        self.full_text = full_text
        self.full_text_min_words = full_text_min_words
        self.page_fetcher = page_fetcher or ArticlePageFetcher(fetcher)
        self.summarise_newest = summarise_newest

    async def resolve(self, url: str) -> ResolvedFeed:
        """Fetch a user-supplied URL; if it is a web page, follow its advertised feed.

        Raises FetchError (network, SSRF, size) or NotAFeedError with a message a user can
        act on.
        """
        fetched = await self.fetcher.fetch(url)
        try:
            parsed = await _parse(fetched)
            return ResolvedFeed(url=fetched.url, fetched=fetched, parsed=parsed)
        except FeedParseError as exc:
            if not looks_like_html(fetched.content, fetched.content_type):
                raise NotAFeedError(f"{url}: {exc}") from exc
        candidates = discover_feed_links(fetched.content, fetched.url)
        if not candidates:
            raise NotAFeedError(
                f"{url} is a web page that advertises no RSS, Atom or JSON feed. "
                "Find the site's feed link and send that instead."
            )
        last_error = ""
        for candidate in candidates[:3]:
            try:
                feed_doc = await self.fetcher.fetch(candidate)
                parsed = await _parse(feed_doc)
            except (FetchError, FeedParseError) as exc:
                last_error = str(exc)
                continue
            return ResolvedFeed(url=feed_doc.url, fetched=feed_doc, parsed=parsed)
        raise NotAFeedError(f"{url} links to feeds, but none could be read: {last_error}")

    async def poll(self, feed: Feed, *, schedule: NextPoll | None = None) -> PollOutcome:
        """Conditional GET of one feed; store what is new. Failures are recorded, not raised.

        The outcome is recorded with one UPDATE of the feed (bot.store.feeds.finish_poll),
        together with the next poll time when ``schedule`` says when that is: the poller
        passes its policy, so a steady poll (a 304) is one short transaction.
        """
        outcome = PollOutcome(feed_id=feed.id)
        try:
            fetched = await self.fetcher.fetch(
                feed.url, etag=feed.etag, last_modified=feed.last_modified
            )
            outcome.status_code = fetched.status_code
            outcome.max_age = cache_max_age(fetched.headers)
            if fetched.not_modified:
                outcome.not_modified = True
                await self._finish(
                    feed,
                    outcome,
                    schedule,
                    etag=fetched.etag or feed.etag,
                    last_modified=fetched.last_modified or feed.last_modified,
                )
                return outcome
            parsed = await _parse(fetched)
        except (FetchError, FeedParseError) as exc:
            outcome.error = str(exc)
            if isinstance(exc, HTTPStatusError):
                outcome.status_code = exc.status_code
                outcome.retry_after = exc.retry_after
            log.warning("poll failed feed=%s url=%s: %s", feed.id, feed.url, exc)
            await self._finish(feed, outcome, schedule)
            return outcome
        outcome.ttl = parsed.ttl_seconds
        outcome.new_article_ids = await self._store_items(
            feed, parsed, fetch_pages=True, summarise=True
        )
        await self._finish(
            feed,
            outcome,
            schedule,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            title=parsed.title,
            site_url=parsed.site_url,
            language=parsed.language,
        )
        return outcome

    async def _finish(
        self,
        feed: Feed,
        outcome: PollOutcome,
        schedule: NextPoll | None,
        **success: str | None,
    ) -> None:
        """Record the outcome and the next poll time in one statement."""
        now = self.clock()
        next_poll_at = interval = None
        if schedule is not None:
            seconds = schedule(outcome)
            next_poll_at, interval = now + timedelta(seconds=seconds), round(seconds)
        outcome.failing_since = await self.store.finish_poll(
            feed.id,
            now=now,
            next_poll_at=next_poll_at,
            interval_seconds=interval,
            error=outcome.error,
            **success,
        )

    async def store_parsed(
        self,
        feed: Feed,
        parsed: ParsedFeed,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        fetch_pages: bool = True,
        summarise: bool = True,
    ) -> list[int]:
        """Summarise the items this feed has not delivered before and store them, then
        record the document's validators and the feed's title as a successful poll.

        ``fetch_pages=False`` keeps teasers as they are, and ``summarise=False`` stores
        the items with an empty summary: for a backlog that is stored only to be marked as
        read, fetching article pages would cost the site requests, and summarising them
        CPU, for stories nobody will see (a digest that shows one after all summarises
        it then: bot.digest.composer).
        """
        new_ids = await self._store_items(
            feed, parsed, fetch_pages=fetch_pages, summarise=summarise
        )
        await self.store.record_poll_success(
            feed.id,
            now=self.clock(),
            etag=etag,
            last_modified=last_modified,
            title=parsed.title,
            site_url=parsed.site_url,
            language=parsed.language,
        )
        return new_ids

    async def _store_items(
        self, feed: Feed, parsed: ParsedFeed, *, fetch_pages: bool, summarise: bool
    ) -> list[int]:
        """The items this feed has not delivered before, summarised (those a digest can
        show) and stored."""
        keyed = [(self._entry_key(article), article) for article in parsed.articles]
        known = await self.store.known_entry_keys(feed.id, (key for key, _ in keyed))
        unknown = [(key, article) for key, article in keyed if key not in known]
        unknown = list({key: article for key, article in unknown}.items())  # dupes in one doc
        history = await self._history(feed, parsed, unknown)
        fresh, renamed = sort_unknown(unknown, history)
        if renamed:
            await self.store.rename_entries(feed.id, renamed)
        identities = {key: merge_key(article, history) for key, article in fresh}
        shared_now = links_turned_shared((article for _, article in fresh), history)
        if shared_now:  # this feed's earlier item must not take other feeds' items
            await self.store.retire_link_keys(feed.id, shared_now)
        language = parsed.language or feed.language
        pages = await self._teaser_pages(feed, fresh, identities) if fetch_pages else {}
        now = self.clock()
        to_summarise = self._needs_summary(fresh, now=now) if summarise else set()
        new_articles = await asyncio.to_thread(
            self._prepare, fresh, language, pages, identities, to_summarise
        )
        new_ids = await self.store.store_articles(feed.id, new_articles, now=now)
        log.info(
            "stored feed=%s items=%d new_to_feed=%d new_articles=%d pages=%d summarised=%d",
            feed.id,
            len(parsed.articles),
            len(fresh),
            len(new_ids),
            len(pages),
            len(to_summarise),
        )
        return new_ids

    def _needs_summary(self, fresh: list[tuple[str, ParsedArticle]], *, now: datetime) -> set[str]:
        """The keys of the new items a digest can show: the newest ``summarise_newest``.

        Why: a digest ranks a feed's unseen stories newest first (published, else first
        seen, then the later stored) and marks read all past the backlog bound, so older
        items of a document with more new ones than the bound can only be shown by way of
        a chat's filter hiding the newer ones, or another feed carrying the story; the
        composer summarises those when it shows them. All items are first seen now.
        """
        if not self.summarise_newest or len(fresh) <= self.summarise_newest:
            return {key for key, _ in fresh}
        ranked = sorted(
            enumerate(fresh),
            key=lambda pair: (_utc(pair[1][1].published) or now, pair[0]),
            reverse=True,
        )
        return {key for _, (key, _) in ranked[: self.summarise_newest]}

    async def _history(
        self, feed: Feed, parsed: ParsedFeed, unknown: list[tuple[str, ParsedArticle]]
    ) -> FeedHistory:
        """What this feed carried before under the links of the items not known by key."""
        links = (normalise_link(article.link) for _, article in unknown)
        return FeedHistory(
            carried=await self.store.carried_links(
                feed.id, (key for key in links if key), newest=CARRIED_PER_LINK
            ),
            in_document=document_links(parsed.articles),
            site_key=normalise_link(parsed.site_url or feed.site_url),
        )

    async def _teaser_pages(
        self,
        feed: Feed,
        fresh: list[tuple[str, ParsedArticle]],
        identities: Mapping[str, str | None],
    ) -> dict[str, FetchResult]:
        """The article pages of the new teaser items, by link (see bot.news.fulltext).

        A story another feed already brought is skipped: the store links this item to that
        article and keeps its text and summary, so its page would be fetched for nothing.
        """
        if not (self.full_text and feed.full_text):
            return {}
        teasers = [
            (key, article.link)
            for key, article in fresh
            if article.link
            and article.link.startswith(("http://", "https://"))
            and is_teaser(article.text, self.full_text_min_words)
        ]
        if not teasers:
            return {}
        stored = await self.store.known_link_keys(
            identity for key, _ in teasers if (identity := identities.get(key))
        )
        links = [link for key, link in teasers if identities.get(key) not in stored]
        return await self.page_fetcher.fetch_pages(links)

    @staticmethod
    def _entry_key(article: ParsedArticle) -> str:
        return entry_key(article.guid, article.link, article.title, article.text)

    def _prepare(
        self,
        fresh: list[tuple[str, ParsedArticle]],
        feed_language: str | None,
        pages: Mapping[str, FetchResult],
        identities: Mapping[str, str | None],
        to_summarise: Collection[str],
    ) -> list[NewArticle]:
        """Runs in a worker thread: extracting pages and summarising are CPU work.

        Items not in ``to_summarise`` get an empty summary (see `_needs_summary`)."""
        prepared = []
        for key, article in fresh:
            language = article.language or feed_language
            text = article.text
            image = article.image
            page = pages.get(article.link) if article.link else None
            if page is not None:
                text = full_text_or_teaser(text, page, link=article.link)
                # A teaser is too short to identify its language; the page is not.
                language = language or detect_language(text)
                image = image or page_lead_image(page)
            summary = (
                cap_characters(
                    self.summariser.summarise(
                        text,
                        title=article.title,
                        sentences=self.summary_sentences,
                        algorithm=self.summary_algorithm,
                        language=language,
                    ),
                    self.summary_max_chars,
                )
                if key in to_summarise
                else []
            )
            prepared.append(
                NewArticle(
                    entry_key=key,
                    link_key=identities.get(key),
                    entry_link_key=normalise_link(article.link),
                    link=article.link,
                    title=article.title,
                    author=article.author,
                    published=article.published,
                    text=text,
                    summary=summary,
                    language=language,
                    image=image,
                )
            )
        return prepared


def _utc(moment: datetime | None) -> datetime | None:
    """A parsed date comparable with the clock's (naive dates are taken as UTC)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
