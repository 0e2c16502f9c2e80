"""Full text for teaser feeds: fetch an item's article page and extract its main text.

Why: many feeds carry only a sentence or two per item and expect readers to click through.
A summary of a teaser is no better than the teaser, so for an item with fewer than
NEWSDIGEST_FULL_TEXT_MIN_WORDS words the ingestor fetches the linked article page and
summarises the page's main text instead, extracted with trafilatura (checked against the
expected text of the article pages in tests/fixtures/pages).

How it stays safe and polite:

- pages are fetched with the bot's one ``Fetcher``: the same size and time limits and the
  same SSRF guard (every redirect hop checked, addresses pinned), because a link inside a
  feed is exactly as untrusted as a feed URL a user typed;
- at most ``max_pages`` pages per feed poll (``MAX_PAGES_PER_POLL``), ``concurrency`` at a
  time, all within ``budget_seconds``, so a feed with a hundred teaser items cannot make the
  bot hammer its site. Items over the cap keep their teaser: articles are stored once, so
  they are not tried again on the next poll;
- every failure (network, HTTP status, size, a body that is not HTML, an extraction that
  is empty or no longer than the teaser) falls back to the teaser, logged, never raised.

No conditional GET for pages: unlike a feed, which is polled again and again, an article
page is fetched once, when its item is new, and the article is then stored once and never
refreshed. An ETag or Last-Modified kept for a page would never be sent back, so none is
stored.

Extraction is CPU work (tens of milliseconds per page): callers run
:func:`full_text_or_teaser` in a worker thread, as they do for summarising.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import regex

from bot.news.discover import looks_like_html
from bot.news.fetch import Fetcher, FetchError, FetchResult
from bot.news.images import page_image

__all__ = [
    "DEFAULT_MIN_WORDS",
    "MAX_PAGES_PER_POLL",
    "PAGE_ACCEPT",
    "PAGE_BUDGET_SECONDS",
    "PAGE_CONCURRENCY",
    "ArticlePageFetcher",
    "extract_main_text",
    "full_text_or_teaser",
    "is_html_page",
    "is_teaser",
    "page_lead_image",
    "word_count",
]

log = logging.getLogger(__name__)

#: Items with fewer words than this are teasers (NEWSDIGEST_FULL_TEXT_MIN_WORDS).
DEFAULT_MIN_WORDS = 60
#: Article pages fetched at most per feed poll; further teaser items keep their teaser.
MAX_PAGES_PER_POLL = 10
#: Pages of one poll fetched at the same time (feeds' pages are mostly on one site).
PAGE_CONCURRENCY = 2
#: Seconds all page fetches of one poll may take together; unfinished ones are dropped.
PAGE_BUDGET_SECONDS = 60.0
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_CATCH_ALL_TYPES = frozenset({"", "text/plain", "application/octet-stream", "binary/octet-stream"})

# A word is a run of letters/digits; each Han, kana or Thai character counts as one, since
# those scripts do not separate words with spaces (a rough but script-fair count).
_WORD = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}]|[\p{L}\p{N}\p{M}]+", regex.V1)


def word_count(text: str) -> int:
    return sum(1 for _ in _WORD.finditer(text))


def is_teaser(text: str, min_words: int = DEFAULT_MIN_WORDS) -> bool:
    """Whether an item's text is too short to summarise on its own."""
    return word_count(text) < min_words


def is_html_page(content: bytes, content_type: str | None) -> bool:
    """Whether a fetched body is a web page to extract from.

    A declared HTML type is trusted. A missing or catch-all type (servers send
    ``text/plain`` or ``application/octet-stream`` for everything) is decided by sniffing
    the body; any other declared type (PDF, images, JSON, feeds…) is not a page.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in _HTML_TYPES:
        return True
    if media_type in _CATCH_ALL_TYPES:
        return looks_like_html(content, None)
    return False


def _charset(content_type: str | None) -> str | None:
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def extract_main_text(
    content: bytes, *, url: str | None = None, content_type: str | None = None
) -> str:
    """The article text of an HTML page, paragraphs separated by a blank line; '' if none.

    CPU-bound; call from a worker thread. The charset named by the HTTP header wins (as in
    browsers); without one trafilatura reads the page's own declaration or guesses.
    """
    import trafilatura  # deferred: a third of a second, paid only when pages are fetched

    document: str | bytes = content
    charset = _charset(content_type)
    if charset:
        try:
            document = content.decode(charset)
        except (LookupError, ValueError):  # unknown, odd (NUL), or no "strict" text (idna)
            document = content
    try:
        extracted = trafilatura.extract(
            document,
            url=url,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
        )
    except Exception as exc:  # a third-party parser fed untrusted markup: never fatal
        log.info("full text: extraction failed for %s: %s", url, exc)
        return ""
    lines = (line.strip() for line in (extracted or "").splitlines())
    return "\n\n".join(line for line in lines if line)


def full_text_or_teaser(teaser: str, page: FetchResult | None, *, link: str | None) -> str:
    """The page's main text when it is real HTML with more words than the teaser, else the teaser.

    CPU-bound (extraction); call from a worker thread.
    """
    if page is None:
        return teaser
    if not is_html_page(page.content, page.content_type):
        log.info(
            "full text: %s is not an HTML page (%s); keeping the teaser", link, page.content_type
        )
        return teaser
    text = extract_main_text(page.content, url=page.url, content_type=page.content_type)
    if word_count(text) <= word_count(teaser):
        log.info(
            "full text: %s gave %d words, the teaser has %d; keeping the teaser",
            link,
            word_count(text),
            word_count(teaser),
        )
        return teaser
    return text


def page_lead_image(page: FetchResult | None) -> str | None:
    """The picture an article page announces for sharing (``og:image``), when usable.

    For a teaser item that carried no picture of its own: the page was fetched for its
    text anyway. Pages that are not HTML have none. CPU-bound; call from a worker thread.
    """
    if page is None or not is_html_page(page.content, page.content_type):
        return None
    charset = _charset(page.content_type) or "utf-8"
    try:
        html = page.content.decode(charset, "replace")
    except (LookupError, ValueError):  # unknown, odd (NUL), or no "replace" (idna)
        html = page.content.decode("utf-8", "replace")
    return page_image(html, page.url)


class ArticlePageFetcher:
    """Fetches the article pages of one poll's teaser items, within the limits above."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        max_pages: int = MAX_PAGES_PER_POLL,
        concurrency: int = PAGE_CONCURRENCY,
        budget_seconds: float = PAGE_BUDGET_SECONDS,
    ) -> None:
        if max_pages < 0 or concurrency < 1 or budget_seconds <= 0:
            raise ValueError("max_pages >= 0, concurrency >= 1 and a positive budget needed")
        self.fetcher = fetcher
        self.max_pages = max_pages
        self.concurrency = concurrency
        self.budget_seconds = budget_seconds

    async def fetch_pages(self, links: Sequence[str]) -> dict[str, FetchResult]:
        """The fetched page of each of the first ``max_pages`` distinct links, by link.

        A link that failed (or did not finish within the budget) is simply absent: this
        never raises for a link, however malformed; only cancellation propagates.
        """
        wanted = list(dict.fromkeys(links))
        if len(wanted) > self.max_pages:
            log.info(
                "full text: %d teaser items, fetching the first %d pages only",
                len(wanted),
                self.max_pages,
            )
            wanted = wanted[: self.max_pages]
        pages: dict[str, FetchResult] = {}
        if not wanted:
            return pages
        slots = asyncio.Semaphore(self.concurrency)

        async def fetch_one(link: str) -> None:
            async with slots:
                try:
                    pages[link] = await self.fetcher.fetch(link, accept=PAGE_ACCEPT)
                except FetchError as exc:
                    log.info("full text: could not fetch %r: %s; keeping the teaser", link, exc)
                except Exception:
                    # Links come from feeds, so from anyone: whatever one of them trips
                    # (even a bug), it must cost only that item's page, not the poll's
                    # other pages — an exception here would cancel the whole task group.
                    log.warning(
                        "full text: unexpected error fetching %r; keeping the teaser",
                        link,
                        exc_info=True,
                    )

        try:
            async with asyncio.timeout(self.budget_seconds), asyncio.TaskGroup() as group:
                for link in wanted:
                    group.create_task(fetch_one(link))
        except TimeoutError:
            log.info(
                "full text: page fetches took over %g s; %d of %d pages kept",
                self.budget_seconds,
                len(pages),
                len(wanted),
            )
        return pages
