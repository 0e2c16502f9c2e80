"""Wiring: settings in, a ready set of services out.

Kept apart from main.py so tests and every entry point (run, console, demo, one-shot
digest) build the bot the same way, each with its own database URL, fetcher and clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from bot.digest.backlog import BacklogPolicy
from bot.digest.chat_settings import ChatSettings
from bot.digest.composer import DigestComposer
from bot.feeds.ingest import FeedIngestor
from bot.feeds.polling import FeedPoller
from bot.feeds.subscribing import Subscriber
from bot.news.fetch import Fetcher
from bot.news.fulltext import PAGE_CONCURRENCY
from bot.news.summarise import ALGORITHMS, DEFAULT_ALGORITHM, Summariser
from bot.platforms.registry import platform_names
from bot.store.repository import Store
from bot.store.retention import RetentionPolicy
from config.settings import ConfigError, Settings
from handlers.builtin import build_registry
from handlers.registry import CommandRegistry
from handlers.services import Services


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class App:
    settings: Settings
    services: Services
    registry: CommandRegistry


def check_choices(settings: Settings) -> None:
    """Settings whose valid values the bot's own modules define, checked at start.

    Why not in config: the configuration layer does not import the bot; the summariser
    knows its algorithms and the platform registry its platforms. Raises ConfigError with
    the message check-config prints.
    """
    problems = []
    name = settings.summary_algorithm
    if name is not None and name not in ALGORITHMS:
        problems.append(
            f"NEWSDIGEST_SUMMARY_ALGORITHM: {name!r} is not one of: {', '.join(sorted(ALGORITHMS))}"
        )
    known = platform_names()
    for variable, entries in (
        ("NEWSDIGEST_ADMINS", settings.admins),
        ("NEWSDIGEST_ALLOWED_CHATS", settings.allowed_chats),
    ):
        for entry in entries:
            if entry.partition(":")[0] not in known:
                problems.append(
                    f"{variable}: {entry!r} names no platform (one of {', '.join(known)})"
                )
    if problems:
        raise ConfigError("invalid configuration:\n" + "\n".join(f"  {p}" for p in problems))


def build_fetcher(settings: Settings) -> Fetcher:
    """One fetcher (one connection pool) for feeds, article pages and commands.

    The pool is sized to the poll loop: each running poll may fetch up to
    PAGE_CONCURRENCY article pages at once, and commands need a few connections of their
    own; a pool smaller than that would turn a busy cycle into pool time-outs.
    """
    connections = settings.poll_concurrency * PAGE_CONCURRENCY + 8
    return Fetcher(
        allow_private=settings.allow_private_urls,
        timeout=settings.fetch_timeout_seconds,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.fetch_max_redirects,
        limits=httpx.Limits(
            max_connections=connections, max_keepalive_connections=settings.poll_concurrency
        ),
    )


@asynccontextmanager
async def open_app(
    settings: Settings,
    *,
    database_url: str | None = None,
    fetcher: Fetcher | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> AsyncIterator[App]:
    """Open the store (migrating it), build the pipeline and handlers; close all on exit."""
    check_choices(settings)
    store = await Store.open(database_url or settings.database_url, clock=clock)
    own_fetcher = fetcher is None
    fetcher = fetcher or build_fetcher(settings)
    summariser = Summariser(
        algorithm=settings.summary_algorithm or DEFAULT_ALGORITHM,
        sentences=settings.summary_sentences,
    )
    ingestor = FeedIngestor(
        store,
        fetcher,
        summariser,
        clock=clock,
        summary_sentences=settings.summary_sentences,
        summary_max_chars=settings.summary_max_chars,
        summary_algorithm=settings.summary_algorithm,
        full_text=settings.full_text,
        full_text_min_words=settings.full_text_min_words,
        summarise_newest=settings.backlog_per_feed,
    )
    composer = DigestComposer(
        store,
        clock=clock,
        max_items=settings.digest_max_items,
        defaults=ChatSettings.defaults_from(settings),
        summariser=summariser,
        summary_max_chars=settings.summary_max_chars,
        backlog=BacklogPolicy(
            max_age_days=settings.backlog_days, max_per_feed=settings.backlog_per_feed
        ),
    )
    poller = FeedPoller(
        store,
        ingestor,
        clock=clock,
        min_interval=settings.min_poll_seconds,
        max_interval=settings.max_poll_seconds,
        concurrency=settings.poll_concurrency,
    )
    services = Services(
        settings=settings,
        store=store,
        ingestor=ingestor,
        composer=composer,
        poller=poller,
        subscriber=Subscriber(store, ingestor, max_per_chat=settings.max_subscriptions_per_chat),
        clock=clock,
    )
    try:
        yield App(settings=settings, services=services, registry=build_registry())
    finally:
        if own_fetcher:
            await fetcher.aclose()
        await store.close()


def retention_policy(settings: Settings) -> RetentionPolicy:
    """How long the store keeps what no chat can be shown any more (bot.store.retention)."""
    return RetentionPolicy(
        max_age_days=settings.retention_days,
        keep_per_feed=settings.retention_keep_per_feed,
        sent_days=settings.retention_sent_days,
        failed_days=settings.retention_failed_days,
    )
