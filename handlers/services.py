"""What command handlers may use: the store, the feed pipeline, the composer, a clock.

Handlers receive this container instead of importing globals, so tests build one with a
temporary database, a local-only fetcher and a fixed clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.digest.composer import DigestComposer
from bot.feeds.ingest import FeedIngestor
from bot.feeds.polling import FeedPoller
from bot.feeds.subscribing import Subscriber
from bot.store.repository import Store
from config.settings import Settings


@dataclass(slots=True)
class Services:
    settings: Settings
    store: Store
    ingestor: FeedIngestor
    composer: DigestComposer
    poller: FeedPoller
    subscriber: Subscriber
    clock: Callable[[], datetime]
