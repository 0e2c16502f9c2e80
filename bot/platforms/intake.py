"""What every adapter does with an incoming command, written once.

An adapter knows how to read its platform's events and how to send its platform's
messages; everything in between is the same on every platform and lives here:

1. a chat outside NEWSDIGEST_ALLOWED_CHATS is refused *first*, before the adapter
   downloads an attachment or asks the platform who is an admin (``refusal``);
2. an uploaded file larger than an OPML import may be is refused before it is read
   (``attachment_problem``);
3. a chat that had been paused because the bot could not post there is resumed when
   someone there talks to the bot (``on_contact``);
4. commands in flight are counted, so shutdown and tests can wait for them (``handling``);
5. the reply is sent in the chat's turn and, when it is already in the outbox (a /digest),
   its delivery is settled by the one delivery policy (``answer``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace

from bot.delivery.policy import DeliveryRecorder
from bot.i18n import _, format_number, using
from bot.models import ChatTarget, Reply
from bot.news.opml import MAX_OPML_BYTES
from bot.platforms.base import DeliveryError, PartsProgress
from handlers.access import refusal_for, target_allowed
from handlers.services import Services

log = logging.getLogger(__name__)


class CommandIntake:
    """The platform-independent half of receiving a command and answering it."""

    def __init__(self, services: Services, *, platform: str) -> None:
        self.services = services
        self.platform = platform
        self.recorder = DeliveryRecorder(services.store, clock=services.clock)
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def refusal(
        self, target: ChatTarget, space_id: str | None = None, *, locale: str | None = None
    ) -> Reply | None:
        """The polite refusal for a chat the operator did not allow, else None; in the
        user's language (``locale``, as the platform reports it)."""
        if target_allowed(self.services.settings, target, space_id):
            return None
        with using(locale) as language:
            return replace(refusal_for(target, space_id), locale=language)

    @staticmethod
    def attachment_problem(filename: str | None, size: int | None) -> str | None:
        """Why an upload is refused before it is downloaded, or None."""
        if size is not None and size > MAX_OPML_BYTES:
            return _("{name} is too large (at most {limit} bytes).").format(
                name=filename or _("The file"), limit=format_number(MAX_OPML_BYTES)
            )
        return None

    async def on_contact(self, target: ChatTarget) -> None:
        """Someone in the chat talks to the bot: if it was paused as unreachable, resume it."""
        if await self.services.store.set_chat_active(target, True):
            log.info("%s: %s talks to the bot again: resumed", self.platform, target)

    @asynccontextmanager
    async def handling(self) -> AsyncIterator[None]:
        """Count a command in flight for as long as it is being handled."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def wait_idle(self) -> None:
        """Until no command is being handled (used by shutdown and tests)."""
        await self._idle.wait()

    async def answer(
        self,
        target: ChatTarget,
        reply: Reply,
        send: Callable[[PartsProgress | None], Awaitable[Sequence[str]]],
    ) -> bool:
        """Send a reply with ``send`` and settle its outbox row, if it has one.

        A reply that could not be sent is settled like any delivery (the chat paused, the
        row retried later or failed): a /digest whose stories were committed as shown is
        then sent by the outbox instead of being lost, from the first message the
        platform did not take (``send`` gets the row's progress). Returns whether it was
        sent.
        """
        progress = None
        if reply.delivery_id is not None:
            progress = self.recorder.progress(reply.delivery_id)
        try:
            ids = await send(progress)
        except DeliveryError as exc:
            log.warning("%s: could not answer %s: %s", self.platform, target, exc.reason)
            await self.recorder.failed(target, exc, delivery_id=reply.delivery_id)
            return False
        await self.recorder.delivered(reply.delivery_id, list(ids))
        return True
