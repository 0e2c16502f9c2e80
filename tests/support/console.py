"""The bot as a console user sees it: console bots with settings of their own, more than one
chat talking to the same bot, and the bot with its scheduler driven tick by tick.

The shared ``console_bot`` fixture (tests/conftest.py) is ``console_bot_with`` at default
settings; operator limits, the catalogue and /stats need settings of their own, per-chat
behaviour needs a second chat, and schedules and pauses need the real scheduler
(``harness``) with a recording platform standing in for a chat service.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.app.runner import build_scheduler
from bot.app.wiring import App, open_app
from bot.delivery.scheduler import BotScheduler
from bot.models import ChatTarget, Feed
from bot.platforms.base import DeliveryError, DeliveryProblem, PartsProgress
from bot.platforms.console.adapter import ConsolePlatform
from handlers.model import Reply
from tests.support.clock import FakeClock
from tests.support.settings import make_settings

MIN_POLL = 60


@dataclass
class ConsoleBot:
    """The bot as a console user sees it: send a line, read the printed reply."""

    app: App
    console: ConsolePlatform
    output: io.StringIO

    async def say(self, line: str) -> str:
        start = self.output.tell()
        await self.console.handle_line(line)
        self.output.seek(start)
        printed = self.output.read()
        return printed


def chat_in(bot: ConsoleBot, target: ChatTarget) -> ConsoleBot:
    """Another chat (or thread) talking to the same running bot."""
    output = io.StringIO()
    console = ConsolePlatform(
        bot.app.registry,
        bot.app.services,
        stdin=io.StringIO(),
        stdout=output,
        target=target,
        download_dir=bot.console.download_dir,
    )
    return ConsoleBot(app=bot.app, console=console, output=output)


@asynccontextmanager
async def console_bot_with(
    database_url: str, clock: FakeClock, tmp_path: Path, **overrides: object
) -> AsyncIterator[ConsoleBot]:
    """The ``console_bot`` fixture, with settings overridden (e.g. admins, limits)."""
    settings = make_settings(database_url, **overrides)
    async with open_app(settings, clock=clock) as app:
        output = io.StringIO()
        console = ConsolePlatform(
            app.registry, app.services, stdin=io.StringIO(), stdout=output, download_dir=tmp_path
        )
        yield ConsoleBot(app=app, console=console, output=output)


@dataclass
class RecordingPlatform:
    """A chat service that accepts everything and remembers it (or refuses, when told)."""

    name: str = "console"
    sent: list[tuple[ChatTarget, Reply]] = field(default_factory=list)
    refuse: bool = False
    failures: list[Exception] = field(default_factory=list)  # raised by the next sends

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(
        self, target: ChatTarget, reply: Reply, *, progress: PartsProgress | None = None
    ) -> list[str]:
        if self.refuse:
            raise DeliveryError(target, DeliveryProblem.BLOCKED, "bot was blocked by the user")
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((target, reply))
        return [str(len(self.sent))]

    def digests(self) -> list[Reply]:
        return [reply for _, reply in self.sent if reply.digest is not None]


@dataclass
class Harness(ConsoleBot):
    """The console bot plus the real scheduler, a recording platform and the fake clock."""

    scheduler: BotScheduler
    platform: RecordingPlatform
    clock: FakeClock

    async def feed(self) -> Feed:
        [feed] = await self.app.services.store.list_feeds()
        return feed


@asynccontextmanager
async def harness(
    database_url: str, clock: FakeClock, tmp_path: Path, **overrides: object
) -> AsyncIterator[Harness]:
    overrides.setdefault("min_poll_seconds", MIN_POLL)
    async with console_bot_with(database_url, clock, tmp_path, **overrides) as bot:
        platform = RecordingPlatform()
        yield Harness(
            app=bot.app,
            console=bot.console,
            output=bot.output,
            scheduler=build_scheduler(bot.app, [platform]),
            platform=platform,
            clock=clock,
        )
