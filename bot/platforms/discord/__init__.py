"""Discord through discord.py: the adapter (I/O) and the renderer (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platforms.base import PlatformSpec

if TYPE_CHECKING:
    from config.settings import Settings


def _configured(settings: Settings) -> bool:
    return settings.discord_bot_token is not None


SPEC = PlatformSpec(
    name="discord",
    is_configured=_configured,
    adapter="bot.platforms.discord.adapter:DiscordPlatform",
    how_to_enable="DISCORD_BOT_TOKEN=...              (from the Discord developer portal)",
)
