"""One gateway and two workers as real processes on one PostgreSQL database.

The gateway is ``python main.py run --role gateway`` connected to the fake Telegram
server; the workers are ``python main.py run --role worker``. 200 feeds on a local feed
server, 20 instant chats following 10 feeds each: every feed is fetched once, every
story reaches its chat once, and both workers did a share of the polls. When a worker is
killed in the middle of a poll, the other one finishes its jobs once the dead one's
heartbeat is overdue: nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
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
    feed_ids: dict[str, int]  # feed server path → feed id


async def seed(url: str, feed_server: FeedServer) -> tuple[dict[int, list[str]], dict[str, int]]:
    """20 instant Telegram chats, each following its own 10 feeds of 2 new stories."""
    store = await Store.open(url)
    expected: dict[int, list[str]] = {}
    feed_ids: dict[str, int] = {}
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
                feed_ids[f"/f{f}.xml"] = feed.id
                await store.subscribe(chat.pk, feed.id)
                expected[chat_id] += [story_title(f, n) for n in range(1, ITEMS + 1)]
    finally:
        await store.close()
    return expected, feed_ids


@pytest.fixture
async def deployment(pg_url: str, feed_server: FeedServer) -> AsyncIterator[Deployment]:
    expected, feed_ids = await seed(pg_url, feed_server)
    async with FakeTelegramAPI() as fake:
        env = role_env(
            os.environ["TEST_DATABASE_URL"],
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_BASE_URL=fake.base_url,
            NEWSDIGEST_POLL_CONCURRENCY="16",
            NEWSDIGEST_WORKER_HEARTBEAT_SECONDS="0.5",
            # Dead after 5 s of silence: quick for the test, yet far above a busy
            # machine's pauses (a live worker taken for dead would repeat its jobs).
            NEWSDIGEST_STALLED_WORKER_SECONDS="5",
        )
        yield Deployment(fake, env, expected, feed_ids)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def received(fake: FakeTelegramAPI, chat_id: int) -> str:
    return "\n".join(str(m.get("text", "")) for m in fake.sent_messages(chat_id))


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert found is not None, f"{name} missing from:\n{text}"
    return float(found.group(1))


def queue_jobs(text: str, queue: str) -> float:
    """Jobs of ``queue`` waiting or running, as /metrics reports them."""
    return sum(
        metric(text, f'newsdigest_queue_jobs{{queue="{queue}",status="{status}"}}')
        for status in ("todo", "doing")
    )


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
    health_port = free_port()
    gateway = RoleProcess("gateway", deployment.env)
    workers = [
        RoleProcess(
            "worker",
            {**deployment.env, "NEWSDIGEST_HEALTH_PORT": str(health_port)},
            label="worker 1",
        ),
        RoleProcess("worker", deployment.env, label="worker 2"),
    ]
    try:
        await asyncio.gather(*(process.start() for process in (gateway, *workers)))
        async with httpx.AsyncClient() as client:  # a worker's ticks count as its scheduler
            health = await client.get(f"http://127.0.0.1:{health_port}/healthz")
            waiting = await client.get(f"http://127.0.0.1:{health_port}/metrics")
        assert health.status_code == 200, health.text
        # Every feed's poll is queued or held at the closed gate; a feed still due when a
        # later tick comes may have a second job waiting behind the running one (its
        # queueing lock allows one waiting job, its lock one running job).
        assert FEEDS <= queue_jobs(waiting.text, "work") <= 2 * FEEDS, waiting.text
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
        async with httpx.AsyncClient() as client:
            idle = (await client.get(f"http://127.0.0.1:{health_port}/metrics")).text
        assert queue_jobs(idle, "work") == 0
        assert metric(idle, "newsdigest_summary_seconds_count") > 0  # worker 1's stories
    except BaseException:
        for process in (gateway, *workers):
            print(process.log(last=100000))
        raise
    finally:
        codes = [await process.stop() for process in (*workers, gateway)]
    assert codes == [0, 0, 0]


async def test_a_killed_workers_jobs_are_finished_by_the_other(
    deployment: Deployment, pg_url: str, feed_server: FeedServer
) -> None:
    stalled = "/f0.xml"  # the first job taken; its feed answers nobody until the kill
    feed_server.gates[stalled] = asyncio.Event()
    feed_server.gate = asyncio.Event()
    gateway = RoleProcess("gateway", deployment.env)
    # At DEBUG a worker logs the jobs it starts (the job queue's INFO lines are held back).
    debug = {**deployment.env, "NEWSDIGEST_LOG_LEVEL": "DEBUG"}
    workers = [RoleProcess("worker", debug, label=f"worker {n}") for n in (1, 2)]
    try:
        await asyncio.gather(*(process.start() for process in (gateway, *workers)))
        feed_server.gate.set()
        started = f"(feed_id={deployment.feed_ids[stalled]})"

        async def holder_known() -> bool:
            return any(w.count(started) for w in workers) and stalled in feed_server.hits

        await eventually(holder_known, timeout=20, what="the stalled poll")
        [holder] = [w for w in workers if w.count(started)]
        [survivor] = [w for w in workers if w is not holder]
        holder.kill()
        assert await holder.stop() == -signal.SIGKILL
        feed_server.gates[stalled].set()  # the feed answers again, to whoever asks

        await deployment.fake.wait_until(
            lambda: everything_arrived(deployment), timeout=40, what="every story"
        )
        await eventually(lambda: queue_is_idle(pg_url), timeout=20, what="an idle queue")
        assert_each_story_once(deployment)
        # Every live role looks for stalled jobs: the survivor or the gateway took it back.
        assert survivor.count("of a stalled worker") + gateway.count("of a stalled worker") >= 1
        assert feed_server.hits[stalled] == 2  # the killed attempt and the recovered one
        # Beyond it, only a poll the killed worker had fetched but not yet stored is
        # fetched again (at most one more: two polls per host at a time).
        assert sum(feed_server.hits.values()) <= FEEDS + 2
        assert all(feed_server.hits[f"/f{f}.xml"] >= 1 for f in range(FEEDS))
    except BaseException:
        for process in (gateway, *workers):
            print(process.log(last=100000))
        raise
    finally:
        codes = [await process.stop() for process in (*workers, gateway)]
    assert codes.count(0) == 2  # the survivor and the gateway stop cleanly
