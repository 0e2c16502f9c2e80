"""Console bots with operator settings, and more than one chat talking to the same bot.

The shared ``console_bot`` fixture runs with default settings; operator limits, the
catalogue and /stats need settings of their own, and per-chat behaviour needs a second chat.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import open_app
from bot.models import ChatTarget
from bot.platforms.console_platform import ConsolePlatform
from tests.conftest import ConsoleBot, FakeClock, make_settings


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
    """The console bot of conftest, with settings overridden (e.g. admins, limits)."""
    settings = make_settings(database_url, **overrides)
    async with open_app(settings, clock=clock) as app:
        output = io.StringIO()
        console = ConsolePlatform(
            app.registry, app.services, stdin=io.StringIO(), stdout=output, download_dir=tmp_path
        )
        yield ConsoleBot(app=app, console=console, output=output)
