"""Shared test fixtures: databases, a local feed server, a controllable clock, the console bot.

Store tests run on SQLite always and on PostgreSQL too when TEST_DATABASE_URL is set.
Nothing here talks to the internet: feeds are served from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.models import NewArticle
from bot.store.repository import Store
from config.settings import Settings, normalise_database_url

if TYPE_CHECKING:
    from bot.app.wiring import App
    from bot.platforms.console.adapter import ConsolePlatform

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent

CONTRACT_ENV = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "DISCORD_BOT_TOKEN",
    "DISCORD_API_BASE_URL",
    "DISCORD_GATEWAY_URL",
    "DATABASE_URL",
    "NEWSDIGEST_CONFIG",
    "NEWSDIGEST_ALLOW_PRIVATE_URLS",
    "NEWSDIGEST_ADMINS",
    "NEWSDIGEST_DEFAULT_TIMEZONE",
    "NEWSDIGEST_MIN_POLL_SECONDS",
    "NEWSDIGEST_SUMMARY_ALGORITHM",
    "NEWSDIGEST_SUMMARY_SENTENCES",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator's own settings must never leak into a test."""
    for name in CONTRACT_ENV:
        monkeypatch.delenv(name, raising=False)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@dataclass
class FakeClock:
    """A clock tests move by hand: no sleeping, no flakiness."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 15, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _database_params() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get("TEST_DATABASE_URL"):
        params.append(pytest.param("postgresql", id="postgresql"))
    return params


async def _reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(params=_database_params())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database per test: a SQLite file, or the PostgreSQL test database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    url = normalise_database_url(os.environ["TEST_DATABASE_URL"])
    await _reset_postgres(url)
    return url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    yield store
    await store.close()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "allow_private_urls": True,  # test feeds are served from 127.0.0.1
        "fetch_timeout_seconds": 5.0,
        # Test items link to made-up hosts; tests/test_fulltext.py turns page fetching on.
        "full_text": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Route:
    body: bytes
    content_type: str
    status: int
    headers: dict[str, str]
    etag: str | None


class FeedServer:
    """A local HTTP server whose routes tests change between polls.

    A route with an ``etag`` answers 304 to a matching If-None-Match, like a real feed
    server; ``gate`` (an asyncio.Event) holds every request until the test sets it.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        self.not_modified: dict[str, int] = {}
        self.base_url = ""
        self.gate: asyncio.Event | None = None
        self.request_seen = asyncio.Event()

    def serve(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "application/rss+xml",
        status: int = 200,
        *,
        headers: dict[str, str] | None = None,
        etag: str | None = None,
    ) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(data, content_type, status, dict(headers or {}), etag)
        return self.base_url + path

    async def handle(self, request: web.Request) -> web.Response:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        self.request_seen.set()
        if self.gate is not None:
            await self.gate.wait()
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="not found")
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.etag:
            headers["ETag"] = route.etag
            if request.headers.get("If-None-Match") == route.etag:
                self.not_modified[request.path] = self.not_modified.get(request.path, 0) + 1
                return web.Response(status=304, headers={"ETag": route.etag})
        return web.Response(body=route.body, status=route.status, headers=headers)


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.base_url = f"http://127.0.0.1:{port}"
    yield server
    await runner.cleanup()


@dataclass
class ConsoleBot:
    """The bot as a console user sees it: send a line, read the printed reply."""

    app: App
    console: ConsolePlatform
    output: io.StringIO

    async def say(self, line: str) -> str:
        start = self.output.tell()
        await self.console.handle_line(line)
        self.output.seek(start)
        printed = self.output.read()
        return printed


@pytest.fixture
async def console_bot(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[ConsoleBot]:
    from tests.console_helpers import console_bot_with

    async with console_bot_with(database_url, clock, tmp_path) as bot:
        yield bot


@pytest.fixture
def sample_feed_bytes() -> bytes:
    return (REPO / "config" / "sample-feed.xml").read_bytes()


def new_article(
    n: int, *, published: datetime, link: str | None = None, entry_key: str | None = None
) -> NewArticle:
    """Article number ``n`` ready for Store.store_articles: "Story n" at news.example/n.

    ``link=""`` stores it without a link; ``entry_key`` defaults to the guid "n".
    """
    link = f"https://news.example/{n}" if link is None else link
    return NewArticle(
        entry_key=entry_key or f"guid:{n}",
        link_key=link.removeprefix("https://") if link else None,
        link=link or None,
        title=f"Story {n}",
        author=None,
        published=published,
        text=f"Body of story {n}.",
        summary=[f"Summary of story {n}."],
        language="en",
    )


def stories(*numbers: int, prefix: str = "Story", words: int = 30) -> list[dict[str, str]]:
    """Feed items "Story 3", "Story 1"… for rss_feed; ``words`` sets the body's length."""
    body = " ".join(f"word{n}" for n in range(words))
    return [
        {
            "guid": f"{prefix}-{n}",
            "title": f"{prefix} {n}",
            "link": f"https://news.example/{prefix}-{n}",
            "description": f"<p>{prefix} {n} begins. {body}. It ends here.</p>",
        }
        for n in numbers
    ]


def rss_feed(items: list[dict[str, str]], *, title: str = "Test Feed") -> str:
    """A small RSS 2.0 document; each item dict may have guid, title, link, description."""
    parts = []
    for item in items:
        guid = f'<guid isPermaLink="false">{item["guid"]}</guid>' if "guid" in item else ""
        parts.append(
            "<item>"
            f"<title>{item.get('title', 'Untitled')}</title>"
            f"<link>{item.get('link', '')}</link>{guid}"
            f"<description><![CDATA[{item.get('description', '')}]]></description>"
            f"<pubDate>{item.get('pubDate', 'Thu, 15 Jan 2026 08:00:00 +0000')}</pubDate>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.test/</link>"
        f"<description>test</description>{''.join(parts)}</channel></rss>"
    )
