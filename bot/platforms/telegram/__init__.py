"""Telegram through python-telegram-bot: the adapter (I/O) and the renderer (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platforms.base import PlatformSpec

if TYPE_CHECKING:
    from config.settings import Settings


def _configured(settings: Settings) -> bool:
    return settings.telegram_bot_token is not None


SPEC = PlatformSpec(
    name="telegram",
    is_configured=_configured,
    adapter="bot.platforms.telegram.adapter:TelegramPlatform",
    how_to_enable="TELEGRAM_BOT_TOKEN=123456:ABC...   (from @BotFather)",
)
