"""Running the bot: every configured platform in one event loop until SIGINT/SIGTERM.

Why here and not in main.py: tests start and stop the same runner in-process (with a stop
event instead of a signal). The platforms and the scheduler share one event loop: the
scheduler's jobs and the platforms' command handlers interleave there.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import AsyncIterator, Callable, Collection

from bot.app.health import HealthServer, QueueDepth
from bot.app.wiring import App, open_app, retention_policy
from bot.delivery.outbox import OutboxSender
from bot.delivery.scheduler import BotScheduler
from bot.platforms.base import Platform, PlatformStartError
from bot.platforms.registry import build_platforms as configured_adapters
from bot.platforms.registry import configured_platforms
from bot.store.deployment import ROLES, SINGLE, deployment_kind
from config.settings import Settings
from handlers.access import may_receive_digests

log = logging.getLogger(__name__)


def build_scheduler(
    app: App, platforms: list[Platform], *, serving: Collection[str] | None = None
) -> BotScheduler:
    """Polling, digests and the outbox, delivering through the running platforms.

    ``serving`` names the platforms whose chats get work when that is not the running
    ones: a worker runs no platform but works for the configured ones.
    """
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
        platforms=[p.name for p in platforms] if serving is None else list(serving),
        retention=retention_policy(settings),
    )
    services.poller.on_feed_disabled = scheduler.notify_feed_disabled
    return scheduler


def build_platforms(app: App) -> list[Platform]:
    """One adapter per configured platform (bot.platforms.registry)."""
    return configured_adapters(app.settings, app.registry, app.services)


async def run_platforms(settings: Settings, *, stop: asyncio.Event | None = None) -> int:
    """Serve until ``stop`` is set or the process gets SIGINT/SIGTERM; 0 on a clean exit.

    Refuses (DeploymentConflictError) while gateway or worker roles run on the database.
    """
    stop = _stop_on_signals(stop)
    async with open_app(settings) as app, deployment_kind(app.services.store.engine, SINGLE):
        platforms = build_platforms(app)
        if not platforms:
            log.error("no platform could be started")
            return 2
        health: HealthServer | None = None
        scheduler = build_scheduler(app, platforms)
        async with _running(platforms) as started:
            try:
                await scheduler.start()
                health = await start_health(app, lambda: scheduler.running, scheduler=scheduler)
                log.info("running: %s (Ctrl+C to stop)", ", ".join(p.name for p in started))
                await stop.wait()
                log.info("stopping")
            finally:
                if health is not None:
                    await health.stop()
                await scheduler.stop()
    return 0


async def run_role(
    settings: Settings,
    role: str,
    *,
    stop: asyncio.Event | None = None,
) -> int:
    """One role of a distributed bot (bot.distributed.roles); "all" is :func:`run_platforms`.

    The gateway starts the platforms as the single process does; the worker starts none
    and works for the chats of the configured platforms. Neither starts while a process
    of role "all" runs on the database, nor that one beside them (bot.store.deployment:
    DeploymentConflictError).
    """
    if role == "all":
        return await run_platforms(settings, stop=stop)
    from bot.distributed.roles import WORKER, serve

    stop = _stop_on_signals(stop)
    async with open_app(settings) as app, deployment_kind(app.services.store.engine, ROLES):
        if role == WORKER:
            serving = [spec.name for spec in configured_platforms(settings)]
            scheduler = build_scheduler(app, [], serving=serving)
            health = functools.partial(start_health, app, scheduler=scheduler)
            return await serve(role, settings, scheduler, stop, health=health)
        platforms = build_platforms(app)
        if not platforms:
            log.error("no platform could be started")
            return 2
        scheduler = build_scheduler(app, platforms)
        health = functools.partial(start_health, app, scheduler=scheduler)
        async with _running(platforms):
            return await serve(role, settings, scheduler, stop, health=health)


def _stop_on_signals(stop: asyncio.Event | None) -> asyncio.Event:
    """The event that ends the run, set by SIGINT/SIGTERM too."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    return stop


@contextlib.asynccontextmanager
async def _running(platforms: list[Platform]) -> AsyncIterator[list[Platform]]:
    """Start every platform (a failure stops those started), stop them all on exit."""
    started: list[Platform] = []
    try:
        for platform in platforms:
            try:
                await platform.start()
            except PlatformStartError:
                await _stop_quietly(platform)  # release what it opened before failing
                raise
            started.append(platform)
        yield started
    finally:
        for platform in reversed(started):
            try:
                await platform.stop()
            except Exception:
                log.exception("%s did not stop cleanly", platform.name)


async def start_health(
    app: App,
    is_running: Callable[[], bool],
    queue_depth: QueueDepth | None = None,
    *,
    scheduler: BotScheduler,
) -> HealthServer | None:
    """/healthz and /metrics when NEWSDIGEST_HEALTH_PORT is set (bot.app.health);
    ``is_running`` tells whether the process's timers run (its scheduler or ticker),
    ``queue_depth`` reads the job queue of the distributed roles. The poller, the
    summariser and the scheduler's outbox report to its counters."""
    settings = app.settings
    if settings.health_port is None:
        return None
    health = HealthServer(
        app.services.store,
        clock=app.services.clock,
        is_running=is_running,
        host=settings.health_host,
        port=settings.health_port,
        queue_depth=queue_depth,
    )
    app.services.poller.on_cycle = health.polls.record_cycle
    app.services.ingestor.summariser.on_summary = health.work.summarised
    scheduler.outbox.recorder.observer = health.work
    await health.start()
    return health


async def _stop_quietly(platform: Platform) -> None:
    try:
        await platform.stop()
    except Exception as exc:  # it never fully started: nothing worth a traceback
        log.debug("%s did not stop cleanly after failing to start: %s", platform.name, exc)
