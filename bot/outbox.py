"""The outbox: replies written to the database first, sent by a platform second.

Why: a digest that was composed must survive a crash or a restart, and must not be sent
twice. Each row is unique per (chat, slot). The sender marks a row sent only after the
platform accepted every message of it, so the worst a crash can do is repeat the one
delivery that was being sent at that moment (the bound documented in the README).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.digest import digest_from_dict, digest_to_dict
from bot.models import Chat
from bot.platforms.base import Platform, TargetUnavailableError
from bot.store.repository import Store
from handlers.model import Reply, ReplyKind

log = logging.getLogger(__name__)


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    """JSON-safe form of a reply (text, lines, digest, delivery options) for the outbox."""
    return {
        "text": reply.text,
        "kind": reply.kind.value,
        "lines": list(reply.lines),
        "digest": digest_to_dict(reply.digest) if reply.digest is not None else None,
        "silent": reply.silent,
        "previews": reply.previews,
    }


def payload_to_reply(payload: Mapping[str, Any]) -> Reply:
    digest = payload.get("digest")
    return Reply(
        text=str(payload.get("text", "")),
        kind=ReplyKind(payload.get("kind", ReplyKind.INFO.value)),
        lines=tuple(payload.get("lines", ())),
        digest=digest_from_dict(digest) if digest else None,
        silent=bool(payload.get("silent", False)),  # absent in rows from older versions
        previews=bool(payload.get("previews", False)),
    )


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0


class OutboxSender:
    """Sends pending deliveries through the running platforms, one batch at a time."""

    def __init__(
        self,
        store: Store,
        platforms: Mapping[str, Platform],
        *,
        clock: Callable[[], datetime],
        concurrency: int = 16,
    ) -> None:
        self.store = store
        self.platforms = platforms
        self.clock = clock
        self.concurrency = concurrency
        self._lock = asyncio.Lock()  # one batch at a time: no row is sent by two tasks

    async def deliver_pending(self) -> DeliveryReport:
        async with self._lock:
            report = DeliveryReport()
            pending = await self.store.pending_deliveries()
            limit = asyncio.Semaphore(self.concurrency)

            async def deliver(delivery_id: int, chat: Chat, payload: dict[str, Any]) -> None:
                platform = self.platforms.get(chat.target.platform)
                if platform is None or not chat.active:
                    report.skipped += 1
                    return
                try:
                    ids = await platform.send(chat.target, payload_to_reply(payload))
                except TargetUnavailableError as exc:
                    report.failed += 1
                    await self.store.mark_delivery_failed(delivery_id, error=exc.reason)
                    return
                except Exception as exc:
                    report.failed += 1
                    log.exception("delivery %s to %s failed", delivery_id, chat.target)
                    await self.store.mark_delivery_failed(delivery_id, error=repr(exc))
                    return
                await self.store.mark_delivered(delivery_id, now=self.clock(), message_ids=ids)
                report.sent += 1

            by_chat: dict[int, list[tuple[int, Chat, dict[str, Any]]]] = {}
            for delivery_id, chat, _slot, payload in pending:
                by_chat.setdefault(chat.pk, []).append((delivery_id, chat, payload))

            async def deliver_in_order(rows: list[tuple[int, Chat, dict[str, Any]]]) -> None:
                async with limit:  # one chat's deliveries in order, chats in parallel
                    for delivery_id, chat, payload in rows:
                        await deliver(delivery_id, chat, payload)

            await asyncio.gather(*(deliver_in_order(rows) for rows in by_chat.values()))
            if pending:
                log.info(
                    "delivery batch: pending=%d sent=%d failed=%d skipped=%d",
                    len(pending),
                    report.sent,
                    report.failed,
                    report.skipped,
                )
            return report
