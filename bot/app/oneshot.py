"""One-shot digests for the command line: `python main.py demo` and `main.py digest ...`.

The whole pipeline runs for real (parse, summarise, store, compose) against a throwaway
SQLite database, so the demo shows exactly what a chat would receive. Local files are read
directly: they come from the operator's own command line, never from a chat user.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

from bot.app.wiring import open_app
from bot.models import ChatTarget, Digest
from bot.news.parse import parse_feed
from config.settings import Settings

log = logging.getLogger(__name__)

ONESHOT_TARGET = ChatTarget(platform="console", chat_id="one-shot")


async def one_shot_digest(sources: list[str], settings: Settings) -> Digest | None:
    """Every item of the given feeds (files or URLs) as one digest, newest first."""
    with tempfile.TemporaryDirectory(prefix="newsdigest-") as tmp:
        database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'oneshot.db'}"
        async with open_app(settings, database_url=database_url) as app:
            services = app.services
            chat = await services.store.get_or_create_chat(ONESHOT_TARGET)
            for source in sources:
                local = await asyncio.to_thread(_read_local_file, source)
                if local is not None:
                    url = local[0]
                    parsed = parse_feed(local[1], url)
                elif "://" not in source:
                    raise FileNotFoundError(f"no such file: {source}")
                else:
                    resolved = await services.ingestor.resolve(source)
                    url, parsed = resolved.url, resolved.parsed
                feed = await services.store.get_or_create_feed(url)
                # Subscribe before storing, so every item counts as new for this digest.
                await services.store.subscribe(chat.pk, feed.id)
                await services.ingestor.store_parsed(feed, parsed)
                log.info("read %s: %d items", source, len(parsed.articles))
            return await services.composer.compose(chat, title="News digest")


def _read_local_file(source: str) -> tuple[str, bytes] | None:
    """(file URL, bytes) when the source names an existing file, else None."""
    path = Path(source)
    if not path.is_file():
        return None
    return path.resolve().as_uri(), path.read_bytes()
