"""One delivery policy for every platform: back-off, a cap, a visible failed state, order.

A delivery a platform kept refusing used to be retried every tick forever with a stack
trace (``attempts`` was written, never read). The adapters now classify failures and
bot.delivery.policy decides; these tests drive the real outbox and store on SQLite and
PostgreSQL with a platform that fails on command.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.delivery.outbox import OutboxSender
from bot.delivery.payloads import reply_to_payload
from bot.delivery.policy import MAX_ATTEMPTS, retry_delay
from bot.models import ChatTarget, Reply
from bot.platforms.base import DeliveryError, DeliveryProblem
from bot.store.repository import Store
from tests.support.clock import FakeClock
from tests.support.console import RecordingPlatform

TARGET = ChatTarget("console", "policy")


def failure(problem: DeliveryProblem, reason: str = "nope") -> DeliveryError:
    return DeliveryError(TARGET, problem, reason)


async def enqueue(store: Store, clock: FakeClock, *texts: str) -> list[int]:
    chat = await store.get_or_create_chat(TARGET)
    ids = []
    for text in texts:
        delivery = await store.commit_digest(
            chat.pk, text, reply_to_payload(Reply(text=text)), [], now=clock()
        )
        assert delivery is not None
        ids.append(delivery)
    return ids


def outbox(store: Store, platform: RecordingPlatform, clock: FakeClock) -> OutboxSender:
    store.clock = clock
    return OutboxSender(store, {platform.name: platform}, clock=clock)


def sent_texts(platform: RecordingPlatform) -> list[str]:
    return [reply.text for _, reply in platform.sent]


async def test_a_failed_delivery_waits_for_its_back_off_then_goes_out(
    store: Store, clock: FakeClock
) -> None:
    platform = RecordingPlatform(failures=[failure(DeliveryProblem.RETRY_LATER, "502")])
    sender = outbox(store, platform, clock)
    await enqueue(store, clock, "digest")
    assert (await sender.deliver_pending()).failed == 1
    [pending] = await store.pending_deliveries()
    assert pending.attempts == 1
    assert pending.next_attempt_at == clock() + retry_delay(1)
    assert (await sender.deliver_pending()).sent == 0  # every tick until then: nothing
    clock.advance(seconds=retry_delay(1).total_seconds())
    assert (await sender.deliver_pending()).sent == 1
    assert sent_texts(platform) == ["digest"]
    assert await store.pending_deliveries() == []


async def test_retries_stop_at_the_cap_and_the_delivery_shows_as_failed(
    store: Store, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    platform = RecordingPlatform(
        failures=[failure(DeliveryProblem.RETRY_LATER, "502") for _ in range(MAX_ATTEMPTS + 5)]
    )
    sender = outbox(store, platform, clock)
    await enqueue(store, clock, "digest")
    delays = []
    with caplog.at_level(logging.WARNING):
        for _ in range(MAX_ATTEMPTS):
            await sender.deliver_pending()
            pending = await store.pending_deliveries()
            if not pending:
                break
            assert pending[0].next_attempt_at is not None
            delays.append(pending[0].next_attempt_at - clock())
            clock.advance(seconds=delays[-1].total_seconds())
    assert await store.pending_deliveries() == []
    assert len(delays) == MAX_ATTEMPTS - 1
    assert delays[0] == timedelta(minutes=1)
    assert max(delays) == timedelta(hours=6)
    assert delays == sorted(delays)
    counts = await store.delivery_counts()
    assert (counts.failed, counts.retrying, counts.waiting) == (1, 0, 0)
    assert not [r for r in caplog.records if r.exc_info]  # a classified failure: no traces
    assert "failed for good" in caplog.text
    clock.advance(days=3)
    await sender.deliver_pending()
    assert platform.sent == []  # never tried again


async def test_a_rejected_message_fails_at_once_and_the_next_one_still_goes(
    store: Store, clock: FakeClock
) -> None:
    platform = RecordingPlatform(failures=[failure(DeliveryProblem.REJECTED, "bad request")])
    sender = outbox(store, platform, clock)
    await enqueue(store, clock, "broken", "fine")
    report = await sender.deliver_pending()
    assert (report.failed, report.sent) == (1, 1)
    assert sent_texts(platform) == ["fine"]
    counts = await store.delivery_counts()
    assert (counts.failed, counts.sent) == (1, 1)


async def test_a_delivery_in_back_off_holds_back_the_chats_later_ones(
    store: Store, clock: FakeClock
) -> None:
    platform = RecordingPlatform(failures=[failure(DeliveryProblem.RETRY_LATER, "timeout")])
    sender = outbox(store, platform, clock)
    await enqueue(store, clock, "monday", "tuesday")
    report = await sender.deliver_pending()
    assert (report.failed, report.sent, report.skipped) == (1, 0, 1)
    assert platform.sent == []  # tuesday's digest never overtakes monday's
    clock.advance(minutes=1)
    await sender.deliver_pending()
    assert sent_texts(platform) == ["monday", "tuesday"]


@pytest.mark.parametrize("problem", [DeliveryProblem.BLOCKED, DeliveryProblem.GONE])
async def test_a_chat_that_refuses_is_paused_and_keeps_its_deliveries(
    problem: DeliveryProblem, store: Store, clock: FakeClock
) -> None:
    platform = RecordingPlatform(failures=[failure(problem)])
    sender = outbox(store, platform, clock)
    await enqueue(store, clock, "digest")
    await sender.deliver_pending()
    chat = await store.find_chat(TARGET)
    assert chat is not None
    assert not chat.active
    [pending] = await store.pending_deliveries()
    assert pending.attempts == 0  # a refusal uses up nothing
    for _ in range(3):
        assert (await sender.deliver_pending()).skipped == 1
    assert platform.sent == []
    await store.set_chat_active(TARGET, True)  # someone there talks to the bot again
    assert (await sender.deliver_pending()).sent == 1


async def test_an_unexpected_error_is_retried_with_one_stack_trace_in_the_log(
    store: Store, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    platform = RecordingPlatform(failures=[RuntimeError("adapter bug") for _ in range(3)])
    sender = outbox(store, platform, clock)
    await enqueue(store, clock, "digest")
    with caplog.at_level(logging.WARNING):
        for _ in range(4):
            await sender.deliver_pending()
            clock.advance(hours=6)
    assert len([r for r in caplog.records if r.exc_info]) == 1
    assert sent_texts(platform) == ["digest"]
