"""A bot process for the crash test: enqueue a digest then die, or restart and deliver.

Run as ``python -m tests.support.crash_scenario PHASE DATABASE_URL FEED_URL SENT_FILE``:

- ``prepare``: subscribe the console chat to the feed and store its current items;
- ``enqueue-then-die``: poll, write the due digest to the outbox, then SIGKILL itself
  before anything is sent (the worst moment for a crash);
- ``restart``: start the scheduler as the bot does at start (pending deliveries first,
  then a digest check) and stop.

The platform appends each delivery to SENT_FILE as a JSON line, so the test can count what
a chat would have received across processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.app.runner import build_scheduler
from bot.app.wiring import open_app
from bot.models import ChatTarget
from bot.platforms.base import PartsProgress
from config.settings import Settings
from handlers.model import Reply

# Fixed clocks: subscribed the day before, digests due at 08:00 UTC on the 16th.
SUBSCRIBED = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 1, 16, 9, 0, tzinfo=UTC)


class FilePlatform:
    name = "console"

    def __init__(self, path: Path) -> None:
        self.path = path

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(
        self, target: ChatTarget, reply: Reply, *, progress: PartsProgress | None = None
    ) -> list[str]:
        titles = [item.title for item in reply.digest.items] if reply.digest else []
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"chat": str(target), "text": reply.text, "titles": titles}))
            out.write("\n")
        return ["1"]


async def main(phase: str, database_url: str, feed_url: str, sent_file: str) -> None:
    settings = Settings(
        _env_file=None, database_url=database_url, allow_private_urls=True, full_text=False
    )
    clock = (lambda: SUBSCRIBED) if phase == "prepare" else (lambda: LATER)
    async with open_app(settings, clock=clock) as app:
        scheduler = build_scheduler(app, [FilePlatform(Path(sent_file))])
        chat = await app.services.store.get_or_create_chat(ChatTarget("console", "local"))
        if phase == "prepare":
            resolved = await app.services.ingestor.resolve(feed_url)
            feed = await app.services.store.get_or_create_feed(resolved.url)
            await app.services.ingestor.store_parsed(feed, resolved.parsed)
            await app.services.store.subscribe(chat.pk, feed.id)
        elif phase == "enqueue-then-die":
            await scheduler.poller.poll_due()
            assert await scheduler.enqueue_due_digests() == 1
            os.kill(os.getpid(), signal.SIGKILL)
        elif phase == "restart":
            await scheduler.start()
            await scheduler.stop()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
