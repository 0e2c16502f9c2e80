"""One of two bot processes composing digests for the same chat at the same moment.

Run as ``python -m tests.support.race_worker DATABASE_URL CHAT_PK``: it opens the store, prints
``ready``, waits for a line on stdin (so both processes start together), then commits the
chat's digests, two stories each, until nothing is left, and prints the titles of every
digest it committed as one JSON line. `tests/digest/test_digest_races.py` runs two at
once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import UTC, datetime

from bot.digest.backlog import BacklogPolicy
from bot.digest.composer import DigestComposer
from bot.store.repository import Store, StoriesAlreadyShownError


async def main(database_url: str, chat_pk: int) -> None:
    # "composed again" lines on stderr show the two processes really did collide.
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    store = await Store.open(database_url)
    try:
        composer = DigestComposer(
            store,
            clock=lambda: datetime.now(UTC),
            max_items=2,
            backlog=BacklogPolicy(max_age_days=0, max_per_feed=0),  # every story, any age
        )
        [chat] = [chat for chat in await store.list_chats() if chat.pk == chat_pk]
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        committed: list[list[str]] = []
        while True:
            try:
                async with composer.exclusive(chat.pk):
                    reply = await composer.commit_next(chat, slot=lambda ids: f"now:{min(ids)}")
            except StoriesAlreadyShownError:  # the other process keeps winning: try again
                continue
            if reply is None or reply.digest is None:
                break
            committed.append([item.title for item in reply.digest.items])
        print(json.dumps(committed), flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
