"""Every chat platform the bot can run, by name: how to tell it is configured, how to start it.

Why a registry: the runner, the command line's help and the checks of
NEWSDIGEST_ADMINS / NEWSDIGEST_ALLOWED_CHATS all need the list of platforms; each used to
carry its own ``if telegram … if discord …``. Now each platform package describes itself
(its ``SPEC``), and adding a platform is its adapter and renderer modules plus one line in
``PLATFORMS`` below (and its settings, see docs/ARCHITECTURE.md).

A spec loads its adapter lazily, so running Discord alone never imports python-telegram-bot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platforms import discord as discord_platform
from bot.platforms import telegram as telegram_platform
from bot.platforms.base import PlatformSpec

if TYPE_CHECKING:
    from bot.platforms.base import Platform
    from config.settings import Settings
    from handlers.registry import CommandRegistry
    from handlers.services import Services

#: Chats of the console exist in the database too (it is a platform without a scheduler).
CONSOLE = "console"


PLATFORMS: tuple[PlatformSpec, ...] = (telegram_platform.SPEC, discord_platform.SPEC)


def platform_names() -> tuple[str, ...]:
    """Every platform a chat can belong to, the console included."""
    return (*(spec.name for spec in PLATFORMS), CONSOLE)


def configured_platforms(settings: Settings) -> list[PlatformSpec]:
    return [spec for spec in PLATFORMS if spec.is_configured(settings)]


def build_platforms(
    settings: Settings, registry: CommandRegistry, services: Services
) -> list[Platform]:
    """One adapter per configured platform, in registry order."""
    return [spec.create(settings, registry, services) for spec in configured_platforms(settings)]
