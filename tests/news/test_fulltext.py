"""Full text for teaser feeds: extraction quality, the ingest path, limits, the opt-out.

Pages are real news pages (tests/fixtures/pages, see PROVENANCE.md) served from 127.0.0.1;
nothing here reaches the internet.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import socket
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import regex
from sqlalchemy import text

from bot.app.wiring import App, open_app
from bot.feeds.ingest import FeedIngestor
from bot.models import ChatTarget, Feed, StoredArticle
from bot.news.clean import html_to_text
from bot.news.fetch import Fetcher, FetchError, FetchResult, NetworkError
from bot.news.fulltext import (
    MAX_PAGES_PER_POLL,
    ArticlePageFetcher,
    extract_main_text,
    full_text_or_teaser,
    is_html_page,
    is_teaser,
    page_lead_image,
    word_count,
)
from bot.news.parse import parse_feed
from bot.news.summarise import Summariser
from bot.store.database import create_engine, run_migrations
from bot.store.repository import Store
from handlers.model import Command, User
from tests.support import FIXTURES
from tests.support.clock import FakeClock
from tests.support.console import console_bot_with
from tests.support.feeds import FeedServer, rss_feed
from tests.support.settings import make_settings

PAGES = FIXTURES / "pages"
BBC = "page_bbc_world-europe-50473792"
TEASER = (
    "Swedish prosecutors have made a decision in the long running case. "
    "Read the full story on our website for more."
)
# Lines of each page's navigation, sharing widgets and footer: visible text, not article.
BOILERPLATE = {
    BBC: ["Share this with", "Skip to content", "These are external links"],
    "page_reuters_asian-shares-trade-doubts": [
        "Thomson Reuters Trust Principles",
        "Advertise with Us",
        "All Rights Reserved",
    ],
    "page_la-nacion_cuestion-mapuche": ["Enviá tu comentario", "Mapa del sitio", "Las más leídas"],
    "page_entermedia-co-kr_news": ["많이 본 칼럼", "광고제휴문의"],
}


def manifest() -> dict[str, dict[str, str]]:
    with (PAGES / "MANIFEST.tsv").open(encoding="utf-8", newline="") as rows:
        return {
            row["file"].removesuffix(".html"): row for row in csv.DictReader(rows, delimiter="\t")
        }


def page_html(name: str) -> bytes:
    return (PAGES / f"{name}.html").read_bytes()


def expected_text(name: str) -> str:
    return (PAGES / f"{name}.expected.txt").read_text(encoding="utf-8")


def normalised(value: str) -> str:
    return " ".join(value.split())


def words(value: str) -> Counter[str]:
    return Counter(regex.findall(r"[\p{L}\p{N}]+", value.lower()))


# --------------------------------------------------------------------------- extraction


@pytest.mark.parametrize("name", sorted(BOILERPLATE))
def test_extraction_keeps_the_article_and_drops_the_page_furniture(name: str) -> None:
    raw = page_html(name)
    extracted = extract_main_text(raw, url=manifest()[name]["url"], content_type="text/html")
    expected = expected_text(name)

    found, wanted = words(extracted), words(expected)
    overlap = sum((found & wanted).values())
    assert overlap / sum(wanted.values()) >= 0.9  # recall: the article is there
    assert overlap / sum(found.values()) >= 0.9  # precision: little else is

    paragraphs = [normalised(p) for p in expected.split("\n\n") if p.strip()]
    present = [p for p in paragraphs if p in normalised(extracted)]
    assert len(present) / len(paragraphs) >= 0.8
    long_ones = [p for p in paragraphs if word_count(p) >= 25]
    assert long_ones[0] in normalised(extracted)  # the opening…
    assert long_ones[-1] in normalised(extracted)  # …and the closing paragraph

    naive = normalised(html_to_text(raw.decode("utf-8", "replace")))
    for furniture in BOILERPLATE[name]:
        assert furniture in naive  # the page really has it…
        assert furniture not in extracted  # …and extraction left it out


def test_extracted_paragraphs_are_separated_by_blank_lines() -> None:
    extracted = extract_main_text(page_html(BBC), content_type="text/html; charset=utf-8")
    paragraphs = extracted.split("\n\n")
    assert len(paragraphs) > 10
    assert all(p.strip() and "\n" not in p for p in paragraphs)


def test_http_charset_decides_the_decoding() -> None:
    article = "<p>Señor Muñoz visitó la ciudad de Córdoba y habló durante horas.</p>" * 8
    page = f"<html><body><article><h1>Título</h1>{article}</article></body></html>"
    extracted = extract_main_text(
        page.encode("latin-1"), content_type="text/html; charset=ISO-8859-1"
    )
    assert "Señor Muñoz visitó la ciudad de Córdoba" in extracted


def test_a_page_without_an_article_extracts_next_to_nothing() -> None:
    navigation = b"<html><body><nav><a href='/'>Home</a> <a href='/w'>World</a></nav></body></html>"
    assert word_count(extract_main_text(navigation)) <= 2  # never more than a teaser
    assert extract_main_text(b"") == ""


def test_word_count_and_teaser_threshold() -> None:
    assert word_count("Three short words") == 3
    assert word_count("l'été est-il là? 2026!") == 6
    assert word_count("东京是日本的首都") == 8  # scripts without spaces: one per character
    assert is_teaser(" ".join(["word"] * 59), 60)
    assert not is_teaser(" ".join(["word"] * 60), 60)


@pytest.mark.parametrize(
    ("content_type", "body", "is_page"),
    [
        ("text/html; charset=utf-8", b"anything", True),
        ("application/xhtml+xml", b"<html/>", True),
        ("text/plain", b"<!DOCTYPE html><html><body>x</body></html>", True),
        (None, b"  <html><body>x</body></html>", True),
        ("application/octet-stream", b"%PDF-1.7 binary", False),
        ("text/plain", b'<?xml version="1.0"?><rss version="2.0"></rss>', False),
        ("application/pdf", b"<html><body>x</body></html>", False),
        ("application/json", b'{"html": "<html>"}', False),
    ],
)
def test_only_web_pages_are_extracted(content_type: str | None, body: bytes, is_page: bool) -> None:
    assert is_html_page(body, content_type) is is_page


def _page(content: bytes, content_type: str | None) -> FetchResult:
    return FetchResult(
        url="https://news.example/a",
        status_code=200,
        content=content,
        content_type=content_type,
        etag=None,
        last_modified=None,
        not_modified=False,
        headers={},
    )


def test_full_text_falls_back_to_the_teaser_when_the_page_is_no_better() -> None:
    link = "https://news.example/a"
    full = full_text_or_teaser(TEASER, _page(page_html(BBC), "text/html"), link=link)
    assert "Prosecutors in Sweden have dropped an investigation" in full
    assert full_text_or_teaser(TEASER, None, link=link) == TEASER
    pdf = _page(b"%PDF-1.7 " + page_html(BBC), "application/pdf")
    assert full_text_or_teaser(TEASER, pdf, link=link) == TEASER
    tiny = _page(b"<html><body><article><p>Short.</p></article></body></html>", "text/html")
    assert full_text_or_teaser(TEASER, tiny, link=link) == TEASER


# --------------------------------------------------------------------------- page fetcher


class RecordingFetcher:
    """Stands in for Fetcher: records the links asked for and the peak concurrency."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.fail = fail or set()
        self.asked: list[str] = []
        self.in_flight = 0
        self.peak = 0

    async def fetch(self, url: str, **_: object) -> FetchResult:
        self.asked.append(url)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        for _turn in range(5):  # let every other task run before this one finishes
            await asyncio.sleep(0)
        self.in_flight -= 1
        if url in self.fail:
            raise NetworkError(f"could not reach host for {url}", url=url)
        return _page(b"<html></html>", "text/html")


async def test_page_fetcher_caps_pages_and_concurrency() -> None:
    fake = RecordingFetcher(fail={"https://news.example/3"})
    pages = ArticlePageFetcher(fake, concurrency=2)  # type: ignore[arg-type]
    links = [f"https://news.example/{n}" for n in range(25)] + ["https://news.example/0"]

    fetched = await pages.fetch_pages(links)

    assert fake.asked == links[:MAX_PAGES_PER_POLL]  # the first ten, each once
    assert fake.peak == 2
    assert sorted(fetched) == sorted(set(links[:MAX_PAGES_PER_POLL]) - {"https://news.example/3"})


async def test_page_fetcher_gives_up_at_its_time_budget() -> None:
    class Hanging(RecordingFetcher):
        async def fetch(self, url: str, **_: object) -> FetchResult:
            self.asked.append(url)
            if url.endswith("/slow"):
                await asyncio.Event().wait()  # never answers
            return _page(b"<html></html>", "text/html")

    fake = Hanging()
    pages = ArticlePageFetcher(fake, budget_seconds=0.2)  # type: ignore[arg-type]
    fetched = await pages.fetch_pages(["https://news.example/fast", "https://news.example/slow"])
    assert list(fetched) == ["https://news.example/fast"]


# Item links as a hostile or broken feed writes them: hosts that IDNA or the resolver refuse.
HOSTILE_LINKS = [
    "http://xn--zz.com/a",
    "http://" + "a" * 64 + ".com/b",
    "http://.example.com/c",
    "http://exa\u200bmple.com/d",
    "http://ex\ud800ample.com/e",
    "http://[::1/f",
    "http://example.com:99999/g",
]


async def test_a_hostile_link_costs_only_its_own_page(
    feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    good = feed_server.serve("/news/good.html", page_html(BBC), "text/html; charset=utf-8")
    lookups: list[str] = []

    async def no_dns(host: str, port: int) -> list[str]:
        lookups.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    caplog.set_level(logging.INFO, logger="bot.news.fulltext")
    async with Fetcher(allow_private=True, resolver=no_dns, timeout=5.0) as fetcher:
        pages = ArticlePageFetcher(fetcher, max_pages=len(HOSTILE_LINKS) + 1)
        fetched = await pages.fetch_pages([HOSTILE_LINKS[0], good, *HOSTILE_LINKS[1:]])

    assert list(fetched) == [good]
    assert fetched[good].content == page_html(BBC)
    assert lookups == []  # refused as invalid URLs, before any DNS lookup
    for link in HOSTILE_LINKS:
        assert any(repr(link) in record.getMessage() for record in caplog.records), link


async def test_an_unexpected_error_for_one_link_keeps_the_other_pages(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Exploding(RecordingFetcher):
        async def fetch(self, url: str, **_: object) -> FetchResult:
            self.asked.append(url)
            if url.endswith("/boom"):
                raise UnicodeError("encoding with 'idna' codec failed")
            return _page(b"<html></html>", "text/html")

    fake = Exploding()
    pages = ArticlePageFetcher(fake)  # type: ignore[arg-type]
    links = ["https://news.example/boom", "https://news.example/fine"]

    fetched = await pages.fetch_pages(links)

    assert fake.asked == links
    assert list(fetched) == ["https://news.example/fine"]
    assert "unexpected error fetching 'https://news.example/boom'" in caplog.text


async def test_cancelling_the_page_fetches_still_cancels() -> None:
    class Stuck(RecordingFetcher):
        def __init__(self) -> None:
            super().__init__()
            self.started = asyncio.Event()

        async def fetch(self, url: str, **_: object) -> FetchResult:
            self.started.set()
            await asyncio.Event().wait()  # never answers
            raise AssertionError("unreachable")

    fake = Stuck()
    pages = ArticlePageFetcher(fake)  # type: ignore[arg-type]
    task = asyncio.create_task(pages.fetch_pages(["https://news.example/a"]))
    await fake.started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# --------------------------------------------------------------------------- through the bot


@dataclass
class Bot:
    app: App
    server: FeedServer
    feed: Feed

    @property
    def store(self) -> Store:
        return self.app.services.store

    async def poll(self) -> list[StoredArticle]:
        """Poll the feed as the scheduler does; the articles a subscriber would be shown."""
        feed = await self.store.get_feed(self.feed.id)
        assert feed is not None
        outcome = await self.app.services.ingestor.poll(feed)
        assert outcome.error is None
        chat = await self.store.get_or_create_chat(ChatTarget("console", "reader"))
        return await self.store.unseen_articles(chat.pk)


@asynccontextmanager
async def start_bot(
    database_url: str,
    clock: FakeClock,
    server: FeedServer,
    items: list[dict[str, str]],
    **settings: object,
) -> AsyncIterator[Bot]:
    url = server.serve("/feed.xml", rss_feed(items, title="Teasers"))
    async with open_app(
        make_settings(database_url, **{"full_text": True, **settings}), clock=clock
    ) as app:
        store = app.services.store
        feed = await store.get_or_create_feed(url)
        chat = await store.get_or_create_chat(ChatTarget("console", "reader"))
        await store.subscribe(chat.pk, feed.id)  # before any item: every item is new to it
        yield Bot(app=app, server=server, feed=feed)


def teaser_item(server: FeedServer, n: int, page_path: str) -> dict[str, str]:
    return {
        "guid": f"teaser-{n}",
        "title": f"Teaser {n}",
        "link": server.base_url + page_path,
        "description": f"<p>{TEASER}</p>",
    }


@pytest.fixture
async def bbc_bot(
    database_url: str, clock: FakeClock, feed_server: FeedServer
) -> AsyncIterator[Bot]:
    feed_server.serve("/news/assange.html", page_html(BBC), "text/html; charset=utf-8")
    items = [teaser_item(feed_server, 1, "/news/assange.html")]
    async with start_bot(database_url, clock, feed_server, items) as bot:
        yield bot


def assert_from_page(article: StoredArticle) -> None:
    page_text = normalised(extract_main_text(page_html(BBC), content_type="text/html"))
    assert word_count(article.text) > 500  # the page's text is stored, not the teaser
    assert article.summary
    for line in article.summary:
        assert normalised(line) in page_text
        assert normalised(line) not in TEASER


def assert_teaser_summary(article: StoredArticle) -> None:
    assert normalised(article.text) == TEASER
    assert article.summary
    assert all(normalised(line) in TEASER for line in article.summary)


async def test_teaser_item_is_summarised_from_its_article_page(bbc_bot: Bot) -> None:
    assert word_count(TEASER) == 20
    [article] = await bbc_bot.poll()
    assert_from_page(article)
    assert bbc_bot.server.hits["/news/assange.html"] == 1
    assert all(line in article.text for line in article.summary)


async def test_a_teaser_without_a_picture_takes_its_pages_og_image(bbc_bot: Bot) -> None:
    [article] = await bbc_bot.poll()
    assert article.image == "https://ichef.bbci.co.uk/images/ic/1024x576/p07b8nx5.jpg"


async def test_the_items_own_picture_beats_the_pages(
    database_url: str, clock: FakeClock, feed_server: FeedServer
) -> None:
    feed_server.serve("/news/assange.html", page_html(BBC), "text/html; charset=utf-8")
    item = teaser_item(feed_server, 1, "/news/assange.html")
    item["thumbnail"] = "https://img.example.com/own.jpg"
    async with start_bot(database_url, clock, feed_server, [item]) as bot:
        [article] = await bot.poll()
    assert article.image == "https://img.example.com/own.jpg"


async def test_language_of_an_undeclared_teaser_comes_from_its_page(
    database_url: str, clock: FakeClock, feed_server: FeedServer
) -> None:
    """Twenty words are too few to identify a language; the Spanish page they link to is not."""
    page = "page_la-nacion_cuestion-mapuche"
    feed_server.serve("/opinion/mapuche.html", page_html(page), "text/html; charset=utf-8")
    items = [teaser_item(feed_server, 1, "/opinion/mapuche.html")]
    async with start_bot(database_url, clock, feed_server, items) as bot:
        [article] = await bot.poll()
    assert article.language == "es"
    assert word_count(article.text) > 500


async def test_feed_opted_out_keeps_the_teaser_and_fetches_no_page(bbc_bot: Bot) -> None:
    updated = await bbc_bot.store.set_feed_full_text(bbc_bot.feed.id, False)
    assert updated is not None
    assert updated.full_text is False

    [article] = await bbc_bot.poll()

    assert_teaser_summary(article)
    assert "/news/assange.html" not in bbc_bot.server.hits


async def test_global_switch_off_fetches_no_page(
    database_url: str, clock: FakeClock, feed_server: FeedServer
) -> None:
    feed_server.serve("/news/assange.html", page_html(BBC), "text/html")
    items = [teaser_item(feed_server, 1, "/news/assange.html")]
    async with start_bot(database_url, clock, feed_server, items, full_text=False) as bot:
        [article] = await bot.poll()
        assert_teaser_summary(article)
    assert "/news/assange.html" not in feed_server.hits


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        pytest.param(b"gone", "text/plain", 404, id="404"),
        pytest.param(b'{"story": "json, not a page"}' * 40, "application/json", 200, id="json"),
        pytest.param(b"%PDF-1.7\n" + b"\x00\x01binary" * 200, "application/pdf", 200, id="pdf"),
        pytest.param(
            b"<html><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></body></html>",
            "text/html",
            200,
            id="no-article",
        ),
    ],
)
async def test_unusable_page_falls_back_to_the_teaser(
    database_url: str,
    clock: FakeClock,
    feed_server: FeedServer,
    body: bytes,
    content_type: str,
    status: int,
) -> None:
    feed_server.serve("/news/story.html", body, content_type, status)
    items = [teaser_item(feed_server, 1, "/news/story.html")]
    async with start_bot(database_url, clock, feed_server, items) as bot:
        [article] = await bot.poll()
        assert_teaser_summary(article)
    assert feed_server.hits["/news/story.html"] == 1  # it was tried, once


async def test_page_timeout_falls_back_to_the_teaser(
    database_url: str, clock: FakeClock, feed_server: FeedServer
) -> None:
    feed_server.serve("/news/slow.html", page_html(BBC), "text/html")
    item = teaser_item(feed_server, 1, "/news/slow.html")
    parsed = parse_feed(rss_feed([item]).encode(), feed_server.base_url + "/feed.xml")
    store = await Store.open(database_url, clock=clock)
    feed = await store.get_or_create_feed(feed_server.base_url + "/feed.xml")
    chat = await store.get_or_create_chat(ChatTarget("console", "reader"))
    await store.subscribe(chat.pk, feed.id)
    feed_server.gate = asyncio.Event()  # the server accepts the request and never answers
    try:
        async with Fetcher(allow_private=True, timeout=0.3) as fetcher:
            ingestor = FeedIngestor(store, fetcher, Summariser(), clock=clock, summary_sentences=3)
            assert len(await ingestor.store_parsed(feed, parsed)) == 1
        [article] = await store.unseen_articles(chat.pk)
        assert_teaser_summary(article)
        assert feed_server.hits["/news/slow.html"] == 1
    finally:
        feed_server.gate.set()
        await store.close()


async def test_item_with_a_long_body_fetches_no_page(
    database_url: str, clock: FakeClock, feed_server: FeedServer
) -> None:
    feed_server.serve("/news/long.html", page_html(BBC), "text/html")
    body = " ".join(f"Sentence number {n} of the story says something new." for n in range(12))
    items = [
        {
            "guid": "long-1",
            "title": "Long",
            "link": feed_server.base_url + "/news/long.html",
            "description": f"<p>{body}</p>",
        }
    ]
    async with start_bot(database_url, clock, feed_server, items) as bot:
        [article] = await bot.poll()
        assert article.text == body
    assert "/news/long.html" not in feed_server.hits


async def test_a_feed_of_many_teasers_fetches_at_most_ten_pages(
    database_url: str, clock: FakeClock, feed_server: FeedServer
) -> None:
    for n in range(14):
        feed_server.serve(f"/news/{n}.html", page_html(BBC), "text/html")
    items = [teaser_item(feed_server, n, f"/news/{n}.html") for n in range(14)]
    async with start_bot(database_url, clock, feed_server, items) as bot:
        articles = await bot.poll()
    page_hits = {
        path: count for path, count in feed_server.hits.items() if path.startswith("/news/")
    }
    assert page_hits == {f"/news/{n}.html": 1 for n in range(MAX_PAGES_PER_POLL)}
    from_page = [a for a in articles if word_count(a.text) > 500]
    assert len(from_page) == MAX_PAGES_PER_POLL
    assert len(articles) - len(from_page) == 4  # the rest keep their teasers


async def test_story_already_stored_by_another_feed_is_not_fetched_again(bbc_bot: Bot) -> None:
    [first] = await bbc_bot.poll()
    assert_from_page(first)
    other_url = bbc_bot.server.serve(
        "/other.xml", rss_feed([teaser_item(bbc_bot.server, 9, "/news/assange.html")])
    )
    other = await bbc_bot.store.get_or_create_feed(other_url)
    outcome = await bbc_bot.app.services.ingestor.poll(other)
    assert outcome.error is None
    assert bbc_bot.server.hits["/news/assange.html"] == 1


async def test_subscribing_stores_the_backlog_without_fetching_pages(
    database_url: str, clock: FakeClock, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.serve("/news/assange.html", page_html(BBC), "text/html")
    url = feed_server.serve(
        "/feed.xml", rss_feed([teaser_item(feed_server, 1, "/news/assange.html")])
    )
    async with console_bot_with(database_url, clock, tmp_path, full_text=True) as bot:
        assert "Subscribed" in await bot.say(f"/subscribe {url}")
    assert "/news/assange.html" not in feed_server.hits


async def test_ssrf_guard_applies_to_article_pages(
    database_url: str, clock: FakeClock, feed_server: FeedServer
) -> None:
    """With the default address policy a page on 127.0.0.1 is refused before any connection."""
    feed_server.serve("/news/assange.html", page_html(BBC), "text/html")
    item = teaser_item(feed_server, 1, "/news/assange.html")
    parsed = parse_feed(rss_feed([item]).encode(), "https://feeds.example/feed.xml")
    store = await Store.open(database_url, clock=clock)
    try:
        feed = await store.get_or_create_feed("https://feeds.example/feed.xml")
        chat = await store.get_or_create_chat(ChatTarget("console", "reader"))
        await store.subscribe(chat.pk, feed.id)
        refused: list[FetchError] = []

        class Watching(Fetcher):
            async def fetch(self, url: str, **kwargs: object) -> FetchResult:
                try:
                    return await super().fetch(url, **kwargs)  # type: ignore[arg-type]
                except FetchError as exc:
                    refused.append(exc)
                    raise

        async with Watching() as fetcher:  # the production default: public addresses only
            ingestor = FeedIngestor(store, fetcher, Summariser(), clock=clock, summary_sentences=3)
            await ingestor.store_parsed(feed, parsed)
        [article] = await store.unseen_articles(chat.pk)
        assert_teaser_summary(article)
        assert [type(exc).__name__ for exc in refused] == ["BlockedURLError"]
        assert "/news/assange.html" not in feed_server.hits
    finally:
        await store.close()


# --------------------------------------------------------------------------- store and migration


async def test_feeds_default_to_full_text_and_the_switch_persists(store: Store) -> None:
    feed = await store.get_or_create_feed("https://feeds.example/a.xml")
    assert feed.full_text is True
    assert (await store.set_feed_full_text(feed.id, False)).full_text is False  # type: ignore[union-attr]
    assert (await store.get_feed(feed.id)).full_text is False  # type: ignore[union-attr]
    assert await store.set_feed_full_text(feed.id + 100, True) is None


async def test_migration_0003_opts_existing_feeds_in(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations, "upgrade", "0002")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO feeds (url, consecutive_failures, disabled, created_at) "
                    "VALUES ('https://old.example/feed.xml', 0, false, CURRENT_TIMESTAMP)"
                )
            )
    finally:
        await engine.dispose()
    store = await Store.open(database_url)  # migrates to head
    try:
        feed = await store.find_feed("https://old.example/feed.xml")
        assert feed is not None
        assert feed.full_text is True
    finally:
        await store.close()


# --------------------------------------------------------------------------- /fulltext


@pytest.fixture
async def operator_app(database_url: str, clock: FakeClock) -> AsyncIterator[App]:
    settings = make_settings(database_url, admins=["telegram:42"])
    async with open_app(settings, clock=clock) as app:
        store = app.services.store
        chat = await store.get_or_create_chat(ChatTarget("telegram", "-100"))
        for name in ("a", "b"):
            feed = await store.get_or_create_feed(f"https://feeds.example/{name}.xml")
            await store.subscribe(chat.pk, feed.id)
        yield app


async def say(app: App, user_id: str, *args: str, platform: str = "telegram") -> str:
    target = ChatTarget(platform, "-100")
    command = Command(platform, target, User(user_id), "fulltext", args=args, is_admin=True)
    reply = await app.registry.dispatch(app.services, command)
    return "\n".join([reply.text, *reply.lines]) + ("\n[error]" if reply.is_error else "")


async def full_text_of(app: App, url: str) -> bool:
    feed = await app.services.store.find_feed(url)
    assert feed is not None
    return feed.full_text


async def test_operator_switches_full_text_for_every_chat(operator_app: App) -> None:
    reply = await say(operator_app, "42", "2", "off")
    assert "[error]" not in reply
    assert "every chat" in reply
    assert await full_text_of(operator_app, "https://feeds.example/b.xml") is False
    assert await full_text_of(operator_app, "https://feeds.example/a.xml") is True

    shown = await say(operator_app, "42", "2")
    assert "is off" in shown

    assert "[error]" not in await say(operator_app, "42", "2", "ON")
    assert await full_text_of(operator_app, "https://feeds.example/b.xml") is True


async def test_chat_admin_who_is_not_an_operator_is_refused(operator_app: App) -> None:
    reply = await say(operator_app, "7", "1", "off")  # a group admin, not in NEWSDIGEST_ADMINS
    assert "[error]" in reply
    assert "operators" in reply
    assert "every chat" in reply
    assert await full_text_of(operator_app, "https://feeds.example/a.xml") is True


async def test_fulltext_rejects_bad_arguments(operator_app: App) -> None:
    assert "no subscription number 5" in await say(operator_app, "42", "5", "off")
    assert "on or off" in await say(operator_app, "42", "1", "maybe")
    assert "Missing number" in await say(operator_app, "42")
    assert await full_text_of(operator_app, "https://feeds.example/a.xml") is True


async def test_fulltext_reply_warns_when_the_global_switch_is_off(
    database_url: str, clock: FakeClock
) -> None:
    settings = make_settings(database_url, full_text=False, admins=["console:local"])
    async with open_app(settings, clock=clock) as app:
        chat = await app.services.store.get_or_create_chat(ChatTarget("console", "-100"))
        feed = await app.services.store.get_or_create_feed("https://feeds.example/a.xml")
        await app.services.store.subscribe(chat.pk, feed.id)
        reply = await say(app, "local", "1", "on", platform="console")
        assert "[error]" not in reply
        assert "NEWSDIGEST_FULL_TEXT is off" in reply


@pytest.mark.parametrize("charset", ["idna", "undefined", "utf-8\x00", "x" * 300])
def test_a_page_with_a_hostile_charset_keeps_its_text_and_picture(charset: str) -> None:
    """``idna`` has no "replace" or "strict" text decoding (UnicodeError, not
    LookupError): such a page once failed the whole feed's poll."""
    body = (
        "<html><head><meta property='og:image' content='https://pics.example/lead.jpg'>"
        "</head><body><article>"
        + "<p>The council approved the budget after a long debate about the new bus line.</p>" * 8
        + "</article></body></html>"
    ).encode()
    page = FetchResult(
        url="https://news.example/story",
        status_code=200,
        content=body,
        content_type=f"text/html; charset={charset}",
        etag=None,
        last_modified=None,
        not_modified=False,
        headers={},
    )
    assert page_lead_image(page) == "https://pics.example/lead.jpg"
    text = extract_main_text(body, url=page.url, content_type=page.content_type)
    assert "council approved the budget" in text
