"""The feed pipeline: fetch → parse → summarise → store, for one feed at a time.

This is the only module that joins the network side (`bot.news`) to the store, in the
spirit of MonitoRSS's single pipeline module: `bot.news` knows nothing about the database
and the store knows nothing about HTTP or feed formats. Summaries run in a worker thread so
a burst of new articles never blocks command handling on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.models import Feed, NewArticle, ParsedArticle, ParsedFeed
from bot.news.discover import discover_feed_links, looks_like_html
from bot.news.fetch import Fetcher, FetchError, FetchResult, HTTPStatusError
from bot.news.links import entry_key, normalise_link
from bot.news.parse import FeedParseError, parse_feed
from bot.news.summarise import Summariser
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


def cache_max_age(headers: Mapping[str, str]) -> float | None:
    """Seconds from a Cache-Control max-age directive, if the server sent one."""
    for directive in headers.get("cache-control", "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age" and value.strip().isdigit():
            return float(value.strip())
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
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.summariser = summariser
        self.clock = clock
        self.summary_sentences = summary_sentences
        self.summary_algorithm = summary_algorithm

    async def resolve(self, url: str) -> ResolvedFeed:
        """Fetch a user-supplied URL; if it is a web page, follow its advertised feed.

        Raises FetchError (network, SSRF, size) or NotAFeedError with a message a user can
        act on.
        """
        fetched = await self.fetcher.fetch(url)
        try:
            parsed = parse_feed(fetched.content, fetched.url, fetched.content_type)
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
                parsed = parse_feed(feed_doc.content, feed_doc.url, feed_doc.content_type)
            except (FetchError, FeedParseError) as exc:
                last_error = str(exc)
                continue
            return ResolvedFeed(url=feed_doc.url, fetched=feed_doc, parsed=parsed)
        raise NotAFeedError(f"{url} links to feeds, but none could be read: {last_error}")

    async def poll(self, feed: Feed) -> PollOutcome:
        """Conditional GET of one feed; store what is new. Failures are recorded, not raised."""
        outcome = PollOutcome(feed_id=feed.id)
        try:
            fetched = await self.fetcher.fetch(
                feed.url, etag=feed.etag, last_modified=feed.last_modified
            )
            outcome.status_code = fetched.status_code
            outcome.max_age = cache_max_age(fetched.headers)
            if fetched.not_modified:
                outcome.not_modified = True
                await self.store.record_poll_success(
                    feed.id,
                    now=self.clock(),
                    etag=fetched.etag or feed.etag,
                    last_modified=fetched.last_modified or feed.last_modified,
                )
                return outcome
            parsed = parse_feed(fetched.content, fetched.url, fetched.content_type)
        except (FetchError, FeedParseError) as exc:
            outcome.error = str(exc)
            if isinstance(exc, HTTPStatusError):
                outcome.status_code = exc.status_code
                outcome.retry_after = exc.retry_after
            await self.store.record_poll_failure(feed.id, now=self.clock(), error=str(exc))
            log.warning("poll failed feed=%s url=%s: %s", feed.id, feed.url, exc)
            return outcome
        outcome.ttl = parsed.ttl_seconds
        outcome.new_article_ids = await self.store_parsed(
            feed, parsed, etag=fetched.etag, last_modified=fetched.last_modified
        )
        return outcome

    async def store_parsed(
        self,
        feed: Feed,
        parsed: ParsedFeed,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> list[int]:
        """Summarise the items this feed has not delivered before and store them."""
        keyed = [(self._entry_key(article), article) for article in parsed.articles]
        known = await self.store.known_entry_keys(feed.id, (key for key, _ in keyed))
        fresh = [(key, article) for key, article in keyed if key not in known]
        fresh = list({key: article for key, article in fresh}.items())  # dupes inside one doc
        language = parsed.language or feed.language
        new_articles = await asyncio.to_thread(self._prepare, fresh, language)
        now = self.clock()
        new_ids = await self.store.store_articles(feed.id, new_articles, now=now)
        await self.store.record_poll_success(
            feed.id,
            now=now,
            etag=etag,
            last_modified=last_modified,
            title=parsed.title,
            site_url=parsed.site_url,
            language=parsed.language,
        )
        log.info(
            "stored feed=%s items=%d new_to_feed=%d new_articles=%d",
            feed.id,
            len(parsed.articles),
            len(fresh),
            len(new_ids),
        )
        return new_ids

    @staticmethod
    def _entry_key(article: ParsedArticle) -> str:
        return entry_key(article.guid, article.link, article.title, article.text)

    def _prepare(
        self, fresh: list[tuple[str, ParsedArticle]], feed_language: str | None
    ) -> list[NewArticle]:
        """Runs in a worker thread: summarising is CPU work."""
        prepared = []
        for key, article in fresh:
            language = article.language or feed_language
            summary = self.summariser.summarise(
                article.text,
                title=article.title,
                sentences=self.summary_sentences,
                algorithm=self.summary_algorithm,
                language=language,
            )
            prepared.append(
                NewArticle(
                    entry_key=key,
                    link_key=normalise_link(article.link),
                    link=article.link,
                    title=article.title,
                    author=article.author,
                    published=article.published,
                    text=article.text,
                    summary=summary,
                    language=language,
                )
            )
        return prepared
