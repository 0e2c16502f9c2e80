"""Shard plans and the pace of IDENTIFYs (pure: an injected clock, recorded sleeps)."""

from __future__ import annotations

import asyncio

from bot.platforms.discord.sharding import IDENTIFY_INTERVAL, IdentifyPacer, ShardPlan


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_recommended_count_unless_one_is_configured() -> None:
    plan = ShardPlan.of(
        configured_count=None, configured_ids=None, recommended_count=3, max_concurrency=1
    )
    assert (plan.count, plan.ids) == (3, (0, 1, 2))
    plan = ShardPlan.of(
        configured_count=4, configured_ids=[1, 3], recommended_count=2, max_concurrency=0
    )
    assert (plan.count, plan.ids, plan.max_concurrency) == (4, (1, 3), 1)
    assert plan.describe() == "shards 1, 3 of 4"


def test_identifying_takes_five_seconds_per_round_of_max_concurrency_shards() -> None:
    def plan(shards: int, concurrency: int) -> ShardPlan:
        return ShardPlan(shards, tuple(range(shards)), concurrency)

    assert plan(1, 1).identify_wait() == 0
    assert plan(4, 1).identify_wait() == 3 * IDENTIFY_INTERVAL
    assert plan(4, 2).identify_wait() == IDENTIFY_INTERVAL
    assert plan(16, 16).identify_wait() == 0


async def test_shards_of_one_bucket_identify_five_seconds_apart_others_at_once() -> None:
    clock = Clock()
    pacer = IdentifyPacer(2, clock=clock, sleep=clock.sleep)
    await pacer.wait(0)
    await pacer.wait(1)  # another bucket: at once
    assert clock.sleeps == []
    await pacer.wait(2)  # bucket 0 again
    assert clock.sleeps == [IDENTIFY_INTERVAL]
    clock.now += 60
    await pacer.wait(3)  # bucket 1, long after its last identify: a reconnect goes at once
    assert clock.sleeps == [IDENTIFY_INTERVAL]


async def test_concurrent_identifies_of_one_bucket_queue_up() -> None:
    clock = Clock()
    pacer = IdentifyPacer(1, clock=clock, sleep=clock.sleep)
    await asyncio.gather(pacer.wait(0), pacer.wait(1), pacer.wait(2))
    assert clock.sleeps == [IDENTIFY_INTERVAL, IDENTIFY_INTERVAL]
