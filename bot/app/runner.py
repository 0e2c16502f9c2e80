"""Running the bot: every configured platform in one event loop until SIGINT/SIGTERM.

Why here and not in main.py: tests start and stop the same runner in-process (with a stop
event instead of a signal). The platforms and the scheduler share one event loop: the
scheduler's jobs and the platforms' command handlers interleave there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.app.health import HealthServer
from bot.app.wiring import App, open_app, retention_policy
from bot.delivery.outbox import OutboxSender
from bot.delivery.scheduler import BotScheduler
from bot.platforms.base import Platform, PlatformStartError
from bot.platforms.registry import build_platforms as configured_adapters
from config.settings import Settings
from handlers.access import may_receive_digests

log = logging.getLogger(__name__)


def build_scheduler(app: App, platforms: list[Platform]) -> BotScheduler:
    """Polling, digests and the outbox, delivering through the running platforms."""
    services, settings = app.services, app.settings
    outbox = OutboxSender(services.store, {p.name: p for p in platforms}, clock=services.clock)
    scheduler = BotScheduler(
        services.store,
        services.composer,
        services.poller,
        outbox,
        clock=services.clock,
        default_timezone=settings.default_timezone,
        poll_every_seconds=max(1.0, min(30.0, settings.min_poll_seconds / 2)),
        digest_check_seconds=max(1.0, min(30.0, settings.min_poll_seconds / 2)),
        may_receive=lambda chat: may_receive_digests(settings, chat),
        platforms=[p.name for p in platforms],
        retention=retention_policy(settings),
    )
    services.poller.on_feed_disabled = scheduler.notify_feed_disabled
    return scheduler


def build_platforms(app: App) -> list[Platform]:
    """One adapter per configured platform (bot.platforms.registry)."""
    return configured_adapters(app.settings, app.registry, app.services)


async def run_platforms(settings: Settings, *, stop: asyncio.Event | None = None) -> int:
    """Serve until ``stop`` is set or the process gets SIGINT/SIGTERM; 0 on a clean exit."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with open_app(settings) as app:
        platforms = build_platforms(app)
        if not platforms:
            log.error("no platform could be started")
            return 2
        started: list[Platform] = []
        health: HealthServer | None = None
        scheduler = build_scheduler(app, platforms)
        try:
            for platform in platforms:
                try:
                    await platform.start()
                except PlatformStartError:
                    await _stop_quietly(platform)  # release what it opened before failing
                    raise
                started.append(platform)
            await scheduler.start()
            health = await start_health(app, scheduler)
            log.info("running: %s (Ctrl+C to stop)", ", ".join(p.name for p in started))
            await stop.wait()
            log.info("stopping")
        finally:
            if health is not None:
                await health.stop()
            await scheduler.stop()
            for platform in reversed(started):
                try:
                    await platform.stop()
                except Exception:
                    log.exception("%s did not stop cleanly", platform.name)
    return 0


async def start_health(app: App, scheduler: BotScheduler) -> HealthServer | None:
    """/healthz and /metrics when NEWSDIGEST_HEALTH_PORT is set (bot.app.health)."""
    settings = app.settings
    if settings.health_port is None:
        return None
    health = HealthServer(
        app.services.store,
        clock=app.services.clock,
        is_running=lambda: scheduler.running,
        host=settings.health_host,
        port=settings.health_port,
    )
    app.services.poller.on_cycle = health.polls.record_cycle
    await health.start()
    return health


async def _stop_quietly(platform: Platform) -> None:
    try:
        await platform.stop()
    except Exception as exc:  # it never fully started: nothing worth a traceback
        log.debug("%s did not stop cleanly after failing to start: %s", platform.name, exc)
