"""Concurrency is input too: a story reaches a chat once, whatever arrives at the same time.

Two /digest a moment apart used to compose the same stories twice; three at once answered
"No new stories" while 149 waited. Here: commands at once in one process, a scheduled
digest racing a command, two bot instances on one database in one process (a forced
interleaving), and two real processes on one database — on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.wiring import open_app
from bot.digest.composer import DigestComposer
from bot.models import ChatTarget, Reply
from bot.store.repository import Store
from handlers.commands.digest import ALREADY_ON_ITS_WAY, BEING_PREPARED
from tests.support import REPO
from tests.support.clock import FakeClock
from tests.support.console import console_bot_with, harness
from tests.support.feeds import FeedServer, new_article, rss_feed, stories
from tests.support.settings import make_settings

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def shown(replies: list[Reply | None]) -> list[str]:
    return [
        item.title
        for reply in replies
        if reply is not None and reply.digest is not None
        for item in reply.digest.items
    ]


async def seeded_chat(store: Store, count: int, target: ChatTarget) -> int:
    """A chat following one feed with ``count`` unseen stories; returns its key."""
    chat = await store.get_or_create_chat(target)
    feed = await store.get_or_create_feed("https://busy.example/feed")
    await store.subscribe(chat.pk, feed.id)
    articles = [new_article(n, published=NOW - timedelta(minutes=n)) for n in range(count)]
    assert len(await store.store_articles(feed.id, articles, now=NOW)) == count
    return chat.pk


async def test_three_digests_at_once_never_show_a_story_twice_nor_claim_nothing_is_new(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed([]))
    # No command rate limit: this chat pages through its backlog with many /digest.
    async with console_bot_with(
        database_url,
        clock,
        tmp_path,
        command_rate_per_minute=0,  # this chat pages through its backlog with many /digest
        backlog_per_feed=0,  # and reads all 149 (the backlog bound has its own tests)
    ) as bot:
        await bot.say(f"/subscribe {url}")
        feed_server.serve("/feed.xml", rss_feed(stories(*range(1, 150))))
        replies = await asyncio.gather(*(bot.console.handle_line("/digest") for _ in range(3)))
        texts = [reply.text for reply in replies if reply is not None]
        assert sum(text == BEING_PREPARED for text in texts) == 2
        assert not any("No new stories" in text for text in texts)
        first = shown(list(replies))
        assert len(first) == 20
        # The rest comes with the next /digest, page by page, each story once.
        later: list[str] = []
        while True:
            reply = await bot.console.handle_line("/digest")
            assert reply is not None
            if reply.digest is None:
                assert "No new stories" in reply.text
                break
            later += shown([reply])
        everything = first + later
        assert len(everything) == 149
        assert not [title for title, n in Counter(everything).items() if n > 1]


async def test_a_scheduled_digest_and_a_command_take_turns(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        feed_server.serve("/feed.xml", rss_feed(stories(*range(2, 12))))
        await h.scheduler.poll_feeds()
        clock.advance(days=1)  # the daily slot is due
        _, command = await asyncio.gather(
            h.scheduler.digest_tick(), h.console.handle_line("/digest")
        )
        titles = shown([*h.platform.digests(), command])
        assert sorted(titles) == sorted(f"Story {n}" for n in range(2, 12))


async def test_a_commit_losing_to_another_instance_composes_again(database_url: str) -> None:
    """Two bot instances on one database: the second commit finds the first one's stories
    taken, and composes again from what is left instead of showing them twice."""
    first = await Store.open(database_url)
    second = await Store.open(database_url)
    try:
        chat_pk = await seeded_chat(first, 5, ChatTarget("console", "race"))
        [chat] = await first.list_chats()
        slow = DigestComposer(first, clock=lambda: NOW, max_items=3)
        fast = DigestComposer(second, clock=lambda: NOW, max_items=3)
        original = first.commit_digest
        raced = False

        async def commit_after_the_other(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal raced
            if not raced:  # the other instance commits between our compose and commit
                raced = True
                assert await fast.commit_next(chat, slot="fast") is not None
            return await original(*args, **kwargs)

        first.commit_digest = commit_after_the_other  # type: ignore[method-assign]
        reply = await slow.commit_next(chat, slot=lambda ids: f"slow:{min(ids)}")
        assert reply is not None
        assert reply.digest is not None
        assert [item.title for item in reply.digest.items] == ["Story 3", "Story 4"]
        assert await second.unseen_articles(chat_pk) == []
        assert len(await second.pending_deliveries()) == 2
    finally:
        await first.close()
        await second.close()


async def test_a_digest_command_losing_to_another_instance_says_the_digest_is_on_its_way(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    """Two bot instances on one database answer /digest in one chat at the same moment;
    the other one commits every story first. The loser must not claim there is nothing
    new (the reader would think the digest is empty), nor show a story twice."""
    url = feed_server.serve("/feed.xml", rss_feed([]))
    async with (
        console_bot_with(database_url, clock, tmp_path) as first,
        console_bot_with(database_url, clock, tmp_path) as second,
    ):
        await first.say(f"/subscribe {url}")
        feed_server.serve("/feed.xml", rss_feed(stories(1, 2, 3)))
        store = first.app.services.store
        original = store.commit_digest
        other: list[Reply | None] = []

        async def commit_after_the_other(*args, **kwargs):  # type: ignore[no-untyped-def]
            if not other:  # the other instance commits between our compose and commit
                other.append(await second.console.handle_line("/digest"))
            return await original(*args, **kwargs)

        store.commit_digest = commit_after_the_other  # type: ignore[method-assign]
        loser = await first.console.handle_line("/digest")
        assert loser is not None
        assert loser.digest is None
        assert loser.text == ALREADY_ON_ITS_WAY
        assert sorted(shown(other)) == ["Story 1", "Story 2", "Story 3"]
        assert await second.app.services.store.pending_deliveries() == []


async def test_a_digest_command_after_a_committed_digest_says_it_is_on_its_way(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    """The scheduled digest took the stories a moment earlier and is about to be sent (by
    this process or another one): /digest says so instead of "No new stories"."""
    url = feed_server.serve("/feed.xml", rss_feed(stories(1)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        feed_server.serve("/feed.xml", rss_feed(stories(3, 2, 1)))
        await h.scheduler.poll_feeds()
        clock.advance(days=1)
        assert await h.scheduler.enqueue_due_digests() == 1  # committed, not yet sent
        answer = await h.console.handle_line("/digest")
        assert answer is not None
        assert answer.text == ALREADY_ON_ITS_WAY
        await h.scheduler.deliver()
        assert sorted(shown(list(h.platform.digests()))) == ["Story 2", "Story 3"]
        assert "No new stories" in await h.say("/digest")


async def test_two_processes_on_one_database_show_every_story_once(database_url: str) -> None:
    store = await Store.open(database_url)
    try:
        # Enough stories (100 digests of two) that the two processes really overlap.
        chat_pk = await seeded_chat(store, 200, ChatTarget("console", "two-processes"))
    finally:
        await store.close()
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.race_worker",
            database_url,
            str(chat_pk),
            cwd=REPO,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for worker in workers:  # both ready, then both go at once
        assert worker.stdout is not None
        line = await asyncio.wait_for(worker.stdout.readline(), timeout=60)
        assert line.strip() == b"ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(b"go\n")
        await worker.stdin.drain()
    outputs = [await asyncio.wait_for(w.communicate(), timeout=120) for w in workers]
    titles: list[str] = []
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err.decode()
        for digest in json.loads(out.decode().strip().splitlines()[-1]):
            assert 1 <= len(digest) <= 2
            titles += digest
    assert len(titles) == 200, Counter(titles).most_common(3)
    assert set(titles) == {f"Story {n}" for n in range(200)}


async def test_the_composing_lock_table_does_not_grow(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    async with open_app(make_settings(database_url), clock=clock) as app:
        composer = app.services.composer
        for pk in range(50):
            async with composer.exclusive(pk):
                assert composer.is_busy(pk)
            assert not composer.is_busy(pk)
        assert len(composer._composing) == 0
