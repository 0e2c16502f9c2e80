"""/healthz and /metrics: what a supervisor and Prometheus see, on SQLite and PostgreSQL.

A process whose database stopped answering, or whose scheduler stopped, must say so with
a 503 (a container health check restarts it); the deployment's figures come from the
database with the same definitions as `main.py status`. The whole runtime serving both is
tested with the Telegram adapter (tests/platforms/telegram/test_telegram_e2e.py).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.app import health as health_module
from bot.app.health import HealthServer
from bot.delivery.outbox import OutboxSender
from bot.delivery.payloads import reply_to_payload
from bot.feeds.polling import CycleReport
from bot.models import ChatTarget, Reply
from bot.news.summarise import Summariser
from bot.platforms.base import DeliveryError, DeliveryProblem
from bot.store.database import create_engine
from bot.store.repository import Store
from tests.support.clock import FakeClock
from tests.support.console import RecordingPlatform

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def serving(store: Store, running: list[bool]) -> AsyncIterator[httpx.AsyncClient]:
    health = HealthServer(store, clock=lambda: NOW, is_running=lambda: running[0])
    await health.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{health.port}") as client:
            yield client
    finally:
        await health.stop()


def value(metrics: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.MULTILINE)
    assert found is not None, f"{name} missing from:\n{metrics}"
    return float(found.group(1))


async def test_healthy_only_while_the_scheduler_runs(store: Store) -> None:
    running = [True]
    async with serving(store, running) as client:
        answer = await client.get("/healthz")
        assert answer.status_code == 200
        assert answer.json() == {"status": "ok", "database": "ok", "scheduler": "running"}
        running[0] = False
        answer = await client.get("/healthz")
        assert answer.status_code == 503
        assert answer.json()["scheduler"] == "stopped"


async def test_a_database_that_stopped_answering_is_unhealthy() -> None:
    # A server that refuses connections (nothing listens on port 1): what a supervisor
    # sees when the database went away under a running bot.
    store = Store(create_engine("postgresql://postgres@127.0.0.1:1/gone"), clock=lambda: NOW)
    try:
        async with serving(store, [True]) as client:
            answer = await client.get("/healthz")
            assert answer.status_code == 503
            assert answer.json()["database"].startswith("error: ")
            assert answer.json()["scheduler"] == "running"
            metrics = await client.get("/metrics")  # still served: the process's counters
            assert metrics.status_code == 200
            assert "newsdigest_polls_total" in metrics.text
            assert "newsdigest_feeds{" not in metrics.text
    finally:
        await store.close()


async def test_metrics_report_the_deployment_and_this_processs_polls(store: Store) -> None:
    chat = await store.get_or_create_chat(ChatTarget("console", "a"))
    await store.get_or_create_chat(ChatTarget("console", "b"))
    await store.set_chat_active(ChatTarget("console", "b"), False)
    ok = await store.get_or_create_feed("https://ok.example/feed")
    failing = await store.get_or_create_feed("https://failing.example/feed")
    await store.subscribe(chat.pk, ok.id)
    await store.record_poll_failure(failing.id, now=NOW, error="HTTP 500")
    await store.commit_digest(chat.pk, "slot-1", {"text": "hi"}, [], now=NOW)
    health = HealthServer(store, clock=lambda: NOW, is_running=lambda: True)
    health.polls.record_cycle(CycleReport(due=3, fetched=2, failed=1, new_articles=5), 1.5)
    await health.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{health.port}") as client:
            answer = await client.get("/metrics")
    finally:
        await health.stop()
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    metrics = answer.text
    assert value(metrics, 'newsdigest_chats{state="active"}') == 1
    assert value(metrics, 'newsdigest_chats{state="paused"}') == 1
    assert value(metrics, 'newsdigest_feeds{state="ok"}') == 1
    assert value(metrics, 'newsdigest_feeds{state="failing"}') == 1
    assert value(metrics, 'newsdigest_deliveries{state="waiting"}') == 1
    assert value(metrics, 'newsdigest_table_rows{table="subscriptions"}') == 1
    assert value(metrics, 'newsdigest_polls_total{outcome="fetched"}') == 2
    assert value(metrics, 'newsdigest_polls_total{outcome="failed"}') == 1
    assert value(metrics, "newsdigest_new_articles_total") == 5
    assert value(metrics, "newsdigest_poll_cycle_seconds_count") == 1


async def test_whole_table_counts_are_read_at_most_once_per_interval(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.get_or_create_chat(ChatTarget("console", "a"))
    async with serving(store, [True]) as client:
        first = (await client.get("/metrics")).text
        await store.get_or_create_chat(ChatTarget("console", "b"))
        cached = (await client.get("/metrics")).text
        monkeypatch.setattr(health_module, "FIGURES_MAX_AGE", 0.0)
        fresh = (await client.get("/metrics")).text
    assert value(first, 'newsdigest_chats{state="active"}') == 1
    assert value(cached, 'newsdigest_chats{state="active"}') == 1
    assert value(fresh, 'newsdigest_chats{state="active"}') == 2


async def test_metrics_count_sends_rate_limits_and_summary_times(
    store: Store, clock: FakeClock
) -> None:
    rate_limit = DeliveryError(
        ChatTarget("console", "busy"), DeliveryProblem.RETRY_LATER, "429", retry_after=30
    )
    platform = RecordingPlatform(
        failures=[
            rate_limit,
            DeliveryError(ChatTarget("console", "x"), DeliveryProblem.RETRY_LATER, "502"),
        ]
    )
    sender = OutboxSender(store, {"console": platform}, clock=clock)
    summariser = Summariser()
    health = HealthServer(store, clock=clock, is_running=lambda: True)
    sender.recorder.observer = health.work
    summariser.on_summary = health.work.summarised
    for name in ("busy", "flaky", "calm"):  # one row each: chats are sent in parallel
        chat = await store.get_or_create_chat(ChatTarget("console", name))
        await store.commit_digest(
            chat.pk, "s1", reply_to_payload(Reply(text=name)), [], now=clock()
        )
    report = await sender.deliver_pending()
    summariser.summarise("One sentence here. Another one there. A third to choose from.")
    await health.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{health.port}") as client:
            metrics = (await client.get("/metrics")).text
    finally:
        await health.stop()
    assert (report.sent, report.failed) == (1, 2)
    assert value(metrics, 'newsdigest_delivery_attempts_total{outcome="sent"}') == 1
    assert value(metrics, 'newsdigest_delivery_attempts_total{outcome="retry"}') == 2
    assert value(metrics, "newsdigest_rate_limited_total") == 1  # the 502 is no rate limit
    assert value(metrics, "newsdigest_summary_seconds_count") == 1


async def test_outbox_lag_is_the_wait_of_the_oldest_sendable_delivery(
    store: Store, clock: FakeClock
) -> None:
    async def lag() -> float:
        health = HealthServer(store, clock=clock, is_running=lambda: True)
        await health.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{health.port}") as client:
                return value((await client.get("/metrics")).text, "newsdigest_outbox_lag_seconds")
        finally:
            await health.stop()

    assert await lag() == 0  # an empty outbox
    waiting = await store.get_or_create_chat(ChatTarget("console", "waiting"))
    paused = await store.get_or_create_chat(ChatTarget("console", "paused"))
    backing_off = await store.get_or_create_chat(ChatTarget("console", "backing-off"))
    await store.set_chat_active(paused.target, False)
    payload = reply_to_payload(Reply(text="digest"))
    for chat in (paused, waiting):  # the paused chat's row is older, and waits by design
        await store.commit_digest(chat.pk, "s1", payload, [], now=clock())
        clock.advance(seconds=30)
    row = await store.commit_digest(backing_off.pk, "s1", payload, [], now=clock())
    assert row is not None
    await store.record_delivery_failure(row, error="502", retry_at=clock() + timedelta(hours=1))
    clock.advance(seconds=60)
    assert await lag() == 90  # "waiting", written 90 s ago; the others are not sendable
    clock.advance(hours=2)  # the back-off is over: that row is due since its retry time
    assert await lag() == 2 * 3600 + 90


async def test_queue_depth_is_read_at_every_scrape(store: Store) -> None:
    depth = {("work", "todo"): 7, ("work", "doing"): 2}

    async def read_depth() -> dict[tuple[str, str], int]:
        return dict(depth)

    health = HealthServer(store, clock=lambda: NOW, is_running=lambda: True, queue_depth=read_depth)
    await health.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{health.port}") as client:
            first = (await client.get("/metrics")).text
            depth[("work", "todo")] = 0
            second = (await client.get("/metrics")).text
    finally:
        await health.stop()
    assert value(first, 'newsdigest_queue_jobs{queue="work",status="todo"}') == 7
    assert value(first, 'newsdigest_queue_jobs{queue="work",status="doing"}') == 2
    assert value(second, 'newsdigest_queue_jobs{queue="work",status="todo"}') == 0


async def test_a_single_process_reports_no_queue(store: Store) -> None:
    async with serving(store, [True]) as client:
        metrics = (await client.get("/metrics")).text
    assert "newsdigest_queue_jobs" not in metrics
    assert "newsdigest_outbox_lag_seconds 0.0" in metrics
