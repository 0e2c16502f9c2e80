"""Two bot processes on one database: every outbox row is sent by exactly one of them.

Each test opens two Stores on the same database (a SQLite file, and PostgreSQL when
TEST_DATABASE_URL is set), one OutboxSender on each, as two `python main.py` would. A
gated platform holds the first sender in the middle of its sends, so the second one runs
exactly while the first is sending: no sleeps, no luck.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.delivery.outbox import CLAIM_FOR, OutboxSender
from bot.delivery.payloads import reply_to_payload
from bot.models import ChatTarget, Reply
from bot.platforms.base import PartsProgress
from bot.store.repository import Store
from tests.support.clock import FakeClock

CHATS = [ChatTarget("console", f"chat-{n}") for n in range(3)]
ROWS_PER_CHAT = 2


@dataclass
class Delivered:
    """What every chat received, whichever process sent it."""

    texts: list[tuple[str, str]] = field(default_factory=list)  # (chat, text)

    def of(self, target: ChatTarget) -> list[str]:
        return [text for chat, text in self.texts if chat == str(target)]


@dataclass
class GatedPlatform:
    """A platform whose sends wait for ``gate``; ``waiting`` counts sends held there."""

    delivered: Delivered
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0
    name: str = "console"
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def held(self, count: int) -> None:
        """Until ``count`` sends are waiting at the gate (a bounded wait, no polling)."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: self.waiting >= count), 30)

    async def send(
        self, target: ChatTarget, reply: Reply, *, progress: PartsProgress | None = None
    ) -> list[str]:
        async with self._arrived:
            self.waiting += 1
            self._arrived.notify_all()
        await self.gate.wait()
        self.waiting -= 1
        self.delivered.texts.append((str(target), reply.text))
        await asyncio.sleep(0)  # let the other sender run between two sends
        return [str(len(self.delivered.texts))]


@pytest.fixture
async def second_store(database_url: str, store: Store) -> AsyncIterator[Store]:
    other = await Store.open(database_url)
    yield other
    await other.close()


async def enqueue(store: Store, clock: FakeClock) -> None:
    for target in CHATS:
        chat = await store.get_or_create_chat(target)
        for n in range(ROWS_PER_CHAT):
            reply = Reply(text=f"{target.chat_id} digest {n}")
            await store.commit_digest(
                chat.pk, f"slot-{n}", reply_to_payload(reply), [], now=clock()
            )


def expected(target: ChatTarget) -> list[str]:
    return [f"{target.chat_id} digest {n}" for n in range(ROWS_PER_CHAT)]


async def test_a_row_being_sent_by_one_process_is_left_alone_by_the_other(
    store: Store, second_store: Store, clock: FakeClock
) -> None:
    await enqueue(store, clock)
    delivered = Delivered()
    first = GatedPlatform(delivered)
    second = GatedPlatform(delivered)
    second.gate.set()
    sending = asyncio.create_task(
        OutboxSender(store, {"console": first}, clock=clock).deliver_pending()
    )
    await first.held(len(CHATS))  # each chat's first row, mid-send
    report = await OutboxSender(second_store, {"console": second}, clock=clock).deliver_pending()
    assert report.sent == 0  # every chat is being served by the first process
    first.gate.set()
    assert (await sending).sent == len(CHATS) * ROWS_PER_CHAT
    for target in CHATS:
        assert delivered.of(target) == expected(target)  # once each, in order
    assert await store.pending_deliveries() == []


async def test_two_processes_sending_at_once_deliver_each_row_once(
    store: Store, second_store: Store, clock: FakeClock
) -> None:
    await enqueue(store, clock)
    delivered = Delivered()
    platforms = [GatedPlatform(delivered), GatedPlatform(delivered)]
    senders = [
        OutboxSender(s, {"console": p}, clock=clock)
        for s, p in zip((store, second_store), platforms, strict=True)
    ]
    for platform in platforms:
        platform.gate.set()
    for _ in range(ROWS_PER_CHAT + 1):  # a chat left to the other process is served next tick
        await asyncio.gather(*(sender.deliver_pending() for sender in senders))
    for target in CHATS:
        assert delivered.of(target) == expected(target)
    assert await store.pending_deliveries() == []


async def test_rows_held_by_a_process_that_died_are_sent_once_its_claim_expires(
    store: Store, second_store: Store, clock: FakeClock
) -> None:
    await enqueue(store, clock)
    delivered = Delivered()
    dying = GatedPlatform(delivered)  # its gate never opens: the process is killed mid-send
    sending = asyncio.create_task(
        OutboxSender(store, {"console": dying}, clock=clock).deliver_pending()
    )
    await dying.held(len(CHATS))
    sending.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sending
    survivor = GatedPlatform(delivered)
    survivor.gate.set()
    sender = OutboxSender(second_store, {"console": survivor}, clock=clock)
    assert (await sender.deliver_pending()).sent == 0  # the claims still stand
    clock.advance(seconds=CLAIM_FOR.total_seconds() + 1)
    assert (await sender.deliver_pending()).sent == len(CHATS) * ROWS_PER_CHAT
    for target in CHATS:
        assert delivered.of(target) == expected(target)
