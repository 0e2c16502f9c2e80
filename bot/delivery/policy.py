"""What happens after a failed delivery: one policy for every platform.

Adapters only say what kind of failure it was (`DeliveryProblem`); this module decides,
the same way for Telegram, Discord and anything added later:

- **blocked** (blocked, kicked, may not post) and **gone** (deleted channel, unknown
  chat): the chat is paused until someone there talks to the bot again (never deleted);
  its deliveries stay pending and the refusal does not count as an attempt;
- **rejected** (a bad request): that delivery fails at once;
- **retry later** (network trouble, server errors, a flood wait too long) and any error
  the adapter did not expect: retried after a back-off that doubles from 1 minute up to
  6 hours (never sooner than a Retry-After), and failed after 12 attempts (about 20 h).

Why pause rather than delete a vanished chat: a paused chat loses nothing (subscriptions,
filters, pending digests) and a mistake (a bot removed and added back, a channel restored)
undoes itself on the next command. Paused chats cost nothing: no polls on their behalf, no
deliveries. Failed deliveries stay in the table, visible in `main.py status` and /stats.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.models import ChatTarget
from bot.platforms.base import DeliveryError, DeliveryProblem, PartsProgress
from bot.store.repository import Store

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
MAX_ATTEMPTS = 12


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do about one failed attempt."""

    pause_chat: bool = False
    give_up: bool = False
    retry_at: datetime | None = None
    count_attempt: bool = True
    #: The platform refused the send for its rate limit (a 429 its library did not wait
    #: out): retried no sooner than its Retry-After. What operators alert on.
    rate_limited: bool = False

    @property
    def outcome(self) -> str:
        """The decision in one word, as the metrics label it."""
        if self.pause_chat:
            return "paused"
        return "failed" if self.give_up else "retry"


class DeliveryObserver(Protocol):
    """Told of every settled send (the process's metrics, bot.app.health)."""

    def delivered(self) -> None: ...

    def failed(self, decision: Decision) -> None: ...


def retry_delay(attempt: int, retry_after: float | None = None) -> timedelta:
    """The wait before attempt ``attempt + 1``: doubling, capped, never below Retry-After."""
    delay = min(FIRST_RETRY * 2 ** max(attempt - 1, 0), LONGEST_RETRY)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=min(retry_after, LONGEST_RETRY.total_seconds())))
    return delay


def decide(
    problem: DeliveryProblem, *, attempts: int, now: datetime, retry_after: float | None = None
) -> Decision:
    """The policy in the module docstring; ``attempts`` counts earlier failed attempts."""
    if problem in (DeliveryProblem.BLOCKED, DeliveryProblem.GONE):
        return Decision(pause_chat=True, count_attempt=False)
    if problem is DeliveryProblem.REJECTED:
        return Decision(give_up=True)
    # Adapters give a Retry-After only with a rate limit (Telegram's flood wait,
    # Discord's 429); other transient failures back off on the policy's own clock.
    rate_limited = problem is DeliveryProblem.RETRY_LATER and retry_after is not None
    attempt = attempts + 1
    if attempt >= MAX_ATTEMPTS:
        return Decision(give_up=True, rate_limited=rate_limited)
    return Decision(retry_at=now + retry_delay(attempt, retry_after), rate_limited=rate_limited)


class DeliveryRecorder:
    """Writes the outcome of a send to the store, applying the policy to failures.

    Shared by the outbox sender and by the platforms when they answer a command whose
    reply is already in the outbox (a /digest), so both settle a delivery the same way.
    """

    def __init__(self, store: Store, *, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        #: Told of each outcome once it is recorded (set when /metrics is served).
        self.observer: DeliveryObserver | None = None

    def progress(
        self,
        delivery_id: int | None,
        *,
        done: int = 0,
        ids: Sequence[str] = (),
        claim_for: timedelta | None = None,
    ) -> PartsProgress:
        """Where a send of this delivery resumes, recording each part the platform takes.

        ``claim_for`` renews the sender's claim on the row with each part recorded.
        """

        async def record(progress: PartsProgress) -> None:
            if delivery_id is not None:
                claimed_until = self.clock() + claim_for if claim_for is not None else None
                await self.store.record_parts_sent(
                    delivery_id,
                    parts=progress.done,
                    message_ids=progress.ids,
                    claimed_until=claimed_until,
                )

        return PartsProgress(done, list(ids), record)

    async def delivered(self, delivery_id: int | None, message_ids: Sequence[str]) -> None:
        if delivery_id is not None:
            await self.store.mark_delivered(delivery_id, now=self.clock(), message_ids=message_ids)
        if self.observer is not None:
            self.observer.delivered()

    async def failed(
        self,
        target: ChatTarget,
        error: DeliveryError,
        *,
        delivery_id: int | None = None,
        attempts: int = 0,
    ) -> Decision:
        """Apply the policy to one failed send; returns what was decided."""
        decision = decide(
            error.problem, attempts=attempts, now=self.clock(), retry_after=error.retry_after
        )
        if decision.pause_chat and await self.store.set_chat_active(target, False):
            log.warning("%s refused delivery (%s): chat paused", target, error.reason)
        if delivery_id is not None:
            await self.store.record_delivery_failure(
                delivery_id,
                error=f"{error.problem.value}: {error.reason}",
                retry_at=decision.retry_at,
                give_up=decision.give_up,
                count_attempt=decision.count_attempt,
            )
        if self.observer is not None:
            self.observer.failed(decision)
        if decision.give_up:
            log.warning("delivery %s to %s failed for good: %s", delivery_id, target, error.reason)
        elif decision.retry_at is not None:
            log.warning(
                "delivery %s to %s failed (%s); retrying at %s",
                delivery_id,
                target,
                error.reason,
                f"{decision.retry_at:%Y-%m-%d %H:%M:%S} UTC",
            )
        return decision
