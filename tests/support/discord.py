"""The real Discord adapter against the fake REST API and gateway (tests/fakes/discord_api.py).

A pytest plugin (tests/conftest.py registers it for every test): the fixture ``dc`` (the
bot started against a running fake), and discord.py's endpoints put back to Discord's own
after every test (the adapter points the library's globals at the fake). ``started``
starts the bot with settings of a test's own (and commands of its own, ``extra``);
``text_of`` reads what a slash command got; ``press`` presses a button or picks from a menu,
``component`` finds one in a message by its label.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app.wiring import App, open_app
from bot.platforms.discord.adapter import DiscordPlatform, use_endpoints
from config.settings import Settings
from handlers.registry import CommandSpec
from tests.fakes.discord_api import FakeDiscordAPI
from tests.support.clock import FakeClock
from tests.support.settings import make_settings

GUILD, CHANNEL, THREAD = 1000, 2000, 2001
MANAGE_CHANNELS = 1 << 4
NO_PERMISSIONS = 0


@pytest.fixture(autouse=True)
def _restore_discord_endpoints() -> Iterator[None]:
    yield
    use_endpoints(None, None)


@dataclass
class DiscordHarness:
    fake: FakeDiscordAPI
    platform: DiscordPlatform
    app: App

    async def slash(self, name: str, options: dict | None = None, **kwargs: object) -> list[dict]:
        interaction = await self.fake.send_interaction(name, options, **kwargs)
        await self.fake.wait_until(lambda: bool(interaction.responses))
        await asyncio.wait_for(self.platform.wait_idle(), timeout=30)
        return interaction.responses

    async def press(
        self, message: dict, label: str, *, option: str | None = None, **kwargs: Any
    ) -> list[dict]:
        """Press the button ``label`` of ``message``, or pick ``option`` from the menu whose
        placeholder is ``label``; the responses once the bot answered."""
        found = component(message, label)
        values = None
        if option is not None:
            values = [next(o["value"] for o in found["options"] if o["label"] == option)]
        interaction = await self.fake.press(message, found["custom_id"], values=values, **kwargs)
        await self.fake.wait_until(interaction.is_answered)
        await asyncio.wait_for(self.platform.wait_idle(), timeout=30)
        return interaction.responses


def settings_for(fake: FakeDiscordAPI, tmp_path: Path, **overrides: object) -> Settings:
    return make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'discord.db'}",
        discord_bot_token=fake.token,
        discord_api_base_url=fake.api_base,
        discord_gateway_url=fake.gateway_url,
        **overrides,
    )


@asynccontextmanager
async def started(
    fake: FakeDiscordAPI,
    settings: Settings,
    clock: FakeClock,
    *,
    extra: Sequence[CommandSpec] = (),
) -> AsyncIterator[DiscordHarness]:
    async with open_app(settings, clock=clock) as app:
        for spec in extra:  # before the platform: slash commands are made at its start
            app.registry.add(spec)
        platform = DiscordPlatform(settings, app.registry, app.services, guild_ready_timeout=0.1)
        await platform.start()
        try:
            yield DiscordHarness(fake, platform, app)
        finally:
            await platform.stop()


@pytest.fixture
async def dc(tmp_path: Path, clock: FakeClock) -> AsyncIterator[DiscordHarness]:
    async with FakeDiscordAPI() as fake, started(fake, settings_for(fake, tmp_path), clock) as h:
        yield h


def text_of(responses: list[dict]) -> str:
    """Everything a slash command's responses show: contents, embed titles and texts."""
    parts = []
    for response in responses:
        data = response.get("data", response)
        parts.append(data.get("content") or "")
        for embed in data.get("embeds") or []:
            parts += [embed.get("title", ""), embed.get("description", "")]
    return "\n".join(parts)


def component(message: dict, label: str) -> dict:
    """The button labelled ``label`` in a message, or the menu with that placeholder."""
    for row in message.get("components") or []:
        for item in row.get("components") or []:
            if label in (item.get("label"), item.get("placeholder")):
                return item
    raise LookupError(f"no component {label!r} in {message.get('components')!r}")
