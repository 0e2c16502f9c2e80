"""Shared test fixtures: databases, a local feed server, a controllable clock, the console bot.

Store tests run on SQLite always and on PostgreSQL too when TEST_DATABASE_URL is set.
Nothing here talks to the internet: feeds are served from 127.0.0.1. The helpers these
fixtures are built from live in tests/support; the Telegram and Discord harnesses there
bring fixtures of their own (``fake``, ``tg``, ``dc``), registered for every test below.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.store.repository import Store
from config.settings import normalise_database_url
from tests.support import REPO
from tests.support.clock import FakeClock
from tests.support.console import ConsoleBot, console_bot_with
from tests.support.databases import empty_database
from tests.support.feeds import FeedServer, start_feed_server

# The platform harnesses: their fixtures (fake, tg, dc) for any test, and two autouse
# fixtures that are harmless everywhere: PTB_TIMEDELTA only changes how python-telegram-bot
# reports durations (the adapter reads both forms), and discord.py's endpoints are put back
# to Discord's own after each test.
pytest_plugins = ["tests.support.telegram", "tests.support.discord"]

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


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """A test that runs main() configures the root logger with a handler on the stream
    pytest captured for that test; left behind, every later log line (a library's worker
    thread included) would be written to a closed stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _database_params() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get("TEST_DATABASE_URL"):
        params.append(pytest.param("postgresql", id="postgresql"))
    return params


@pytest.fixture(params=_database_params())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database per test: a SQLite file, or the PostgreSQL test database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    url = normalise_database_url(os.environ["TEST_DATABASE_URL"])
    await empty_database(url)
    return url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    yield store
    await store.close()


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    runner = await start_feed_server(server)
    yield server
    await runner.cleanup()


@pytest.fixture
async def console_bot(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[ConsoleBot]:
    async with console_bot_with(database_url, clock, tmp_path) as bot:
        yield bot


@pytest.fixture
def sample_feed_bytes() -> bytes:
    return (REPO / "config" / "sample-feed.xml").read_bytes()
