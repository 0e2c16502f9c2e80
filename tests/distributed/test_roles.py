"""One gateway and two workers as real processes on one PostgreSQL database.

The gateway is ``python main.py run --role gateway`` connected to the fake Telegram
server; the workers are ``python main.py run --role worker``. 200 feeds on a local feed
server, 20 instant chats following 10 feeds each: every feed is fetched once, every
story reaches its chat once, and both workers did a share of the polls.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.chat_state import schedule_changes
from bot.delivery.schedule import INSTANT, Schedule
from bot.models import ChatTarget
from bot.store.repository import Store
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support.distributed import (
    RoleProcess,
    distinct_items,
    eventually,
    queue_is_idle,
    role_env,
    story_title,
)
from tests.support.feeds import FeedServer, rss_feed

FEEDS, CHATS, ITEMS = 200, 20, 2
PER_CHAT = FEEDS // CHATS
FIRST_CHAT = 1001


@dataclass
class Deployment:
    fake: FakeTelegramAPI
    env: dict[str, str]
    expected: dict[int, list[str]]  # chat id → the titles it must receive


async def seed(url: str, feed_server: FeedServer) -> dict[int, list[str]]:
    """20 instant Telegram chats, each following its own 10 feeds of 2 new stories."""
    store = await Store.open(url)
    expected: dict[int, list[str]] = {}
    try:
        for c in range(CHATS):
            chat_id = FIRST_CHAT + c
            chat = await store.get_or_create_chat(ChatTarget("telegram", str(chat_id)))
            await store.update_chat_settings(
                chat.pk, changes=schedule_changes(Schedule(INSTANT).to_dict())
            )
            expected[chat_id] = []
            for f in range(c * PER_CHAT, (c + 1) * PER_CHAT):
                feed_url = feed_server.serve(f"/f{f}.xml", rss_feed(distinct_items(f, ITEMS)))
                feed = await store.get_or_create_feed(feed_url)
                await store.subscribe(chat.pk, feed.id)
                expected[chat_id] += [story_title(f, n) for n in range(1, ITEMS + 1)]
    finally:
        await store.close()
    return expected


@pytest.fixture
async def deployment(pg_url: str, feed_server: FeedServer) -> AsyncIterator[Deployment]:
    expected = await seed(pg_url, feed_server)
    async with FakeTelegramAPI() as fake:
        env = role_env(
            os.environ["TEST_DATABASE_URL"],
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_BASE_URL=fake.base_url,
            NEWSDIGEST_POLL_CONCURRENCY="16",
            NEWSDIGEST_WORKER_HEARTBEAT_SECONDS="0.5",
            NEWSDIGEST_STALLED_WORKER_SECONDS="2",
        )
        yield Deployment(fake, env, expected)


def received(fake: FakeTelegramAPI, chat_id: int) -> str:
    return "\n".join(str(m.get("text", "")) for m in fake.sent_messages(chat_id))


def everything_arrived(deployment: Deployment) -> bool:
    return all(
        all(title in received(deployment.fake, chat_id) for title in titles)
        for chat_id, titles in deployment.expected.items()
    )


def assert_each_story_once(deployment: Deployment) -> None:
    for chat_id, titles in deployment.expected.items():
        text = received(deployment.fake, chat_id)
        counts = {title: text.count(title) for title in titles}
        assert counts == dict.fromkeys(titles, 1), f"chat {chat_id}"


async def test_two_workers_poll_every_feed_once_and_every_story_arrives_once(
    deployment: Deployment, pg_url: str, feed_server: FeedServer
) -> None:
    feed_server.gate = asyncio.Event()  # no feed answers until both workers are up
    gateway = await RoleProcess("gateway", deployment.env).start()
    workers = [RoleProcess("worker", deployment.env, label=f"worker {n}") for n in (1, 2)]
    try:
        await asyncio.gather(*(worker.start() for worker in workers))
        feed_server.gate.set()
        await deployment.fake.wait_until(
            lambda: everything_arrived(deployment), timeout=40, what="every story"
        )
        await eventually(lambda: queue_is_idle(pg_url), timeout=20, what="an idle queue")
        assert_each_story_once(deployment)
        assert sorted(feed_server.hits.values()) == [1] * FEEDS
        polls = [worker.count("poll cycle: due=1") for worker in workers]
        assert sum(polls) == FEEDS
        assert min(polls) > 0, polls  # both did a share
    except BaseException:
        for process in (gateway, *workers):
            print(process.log(last=100000))
        raise
    finally:
        codes = [await process.stop() for process in (*workers, gateway)]
    assert codes == [0, 0, 0]
