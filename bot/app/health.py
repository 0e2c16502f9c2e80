"""Health and metrics over HTTP, for the operator's supervisor and Prometheus.

Off unless NEWSDIGEST_HEALTH_PORT is set. Two endpoints on one small aiohttp server
(aiohttp comes with discord.py already):

- ``/healthz`` — 200 when the database answers and the scheduler is running, else 503,
  with a JSON body saying which part failed: what a container health check or a load
  balancer needs to restart or route around a stuck process.
- ``/metrics`` — the Prometheus text format. Figures about the whole deployment (chats,
  feeds by state, deliveries by state, table rows) are read from the database at scrape
  time (at most every 30 s: they count whole tables), with the same definitions as
  ``main.py status`` and ``/stats``, so several processes on one database report the
  same numbers; figures about this process (polls by outcome, new articles, cycle
  durations, summary durations, sends by outcome, rate limits) are counters it keeps.
  Two figures are read afresh at every scrape, because they are what to alert on and
  cost one indexed query each: the outbox lag (how long the longest-waiting sendable
  delivery has been due) and, in the distributed roles, the job queue's depth.

Binds to 127.0.0.1 by default (NEWSDIGEST_HEALTH_HOST): the figures name no chat, but
there is no reason to show them to the internet.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import datetime, timedelta

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text

from bot.delivery.policy import Decision
from bot.feeds.polling import CycleReport
from bot.store.repository import Store

log = logging.getLogger(__name__)

#: How long /healthz waits for the database before calling it down.
DATABASE_TIMEOUT = 3.0
#: Seconds the deployment's figures (whole-table counts) are served from the last read.
FIGURES_MAX_AGE = 30.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Jobs waiting and running per (queue, status) (bot.distributed.tasks.JobQueue.depth).
QueueDepth = Callable[[], Awaitable[Mapping[tuple[str, str], int]]]


class PollMetrics:
    """This process's poll counters; the poller reports each cycle here."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.polls = Counter(
            "newsdigest_polls",
            "Feed polls by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.new_articles = Counter(
            "newsdigest_new_articles", "Articles new to a feed, stored.", registry=registry
        )
        self.cycle_seconds = Histogram(
            "newsdigest_poll_cycle_seconds",
            "Duration of rounds of polls (a timed cycle, a worker's job, a /digest refresh).",
            buckets=(0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800),
            registry=registry,
        )

    def record_cycle(self, report: CycleReport, seconds: float) -> None:
        self.polls.labels("fetched").inc(report.fetched)
        self.polls.labels("not_modified").inc(report.not_modified)
        self.polls.labels("failed").inc(report.failed)
        self.new_articles.inc(report.new_articles)
        self.cycle_seconds.observe(seconds)


class WorkMetrics:
    """This process's summaries and sends: the summariser and the outbox report here."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.summary_seconds = Histogram(
            "newsdigest_summary_seconds",
            "Time to summarise one article (stored, or re-summarised for a digest).",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
            registry=registry,
        )
        self.deliveries = Counter(
            "newsdigest_delivery_attempts",
            "Outbox sends by outcome: sent, retry (backed off), paused (chat refused the "
            "bot), failed (given up on).",
            ["outcome"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "newsdigest_rate_limited",
            "Sends a platform refused for its rate limit (HTTP 429) that the delivery "
            "policy put off until the Retry-After.",
            registry=registry,
        )

    def summarised(self, seconds: float) -> None:
        self.summary_seconds.observe(seconds)

    def delivered(self) -> None:
        self.deliveries.labels("sent").inc()

    def failed(self, decision: Decision) -> None:
        self.deliveries.labels(decision.outcome).inc()
        if decision.rate_limited:
            self.rate_limited.inc()


class _LiveFigures(Collector):
    """Outbox lag and job queue depth, as read at this scrape (see the module docstring)."""

    def __init__(self, queue_depth: QueueDepth | None) -> None:
        self.queue_depth = queue_depth
        self.families: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        yield from self.families

    async def refresh(self, store: Store, now: datetime) -> None:
        families: list[Metric] = []
        oldest = await store.oldest_due_since(now)
        lag = GaugeMetricFamily(
            "newsdigest_outbox_lag_seconds",
            "How long the longest-waiting sendable delivery has been due (0: none waits).",
        )
        lag.add_metric([], 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()))
        families.append(lag)
        if self.queue_depth is not None:
            jobs = GaugeMetricFamily(
                "newsdigest_queue_jobs",
                "Jobs of the distributed roles waiting (todo) and running (doing), by queue.",
                labels=["queue", "status"],
            )
            for (queue, status), count in sorted((await self.queue_depth()).items()):
                jobs.add_metric([queue, status], count)
            families.append(jobs)
        self.families = families


class _StoreFigures(Collector):
    """The deployment's figures, as read by the last :meth:`refresh` (scrape time)."""

    def __init__(self) -> None:
        self.families: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        yield from self.families

    async def refresh(self, store: Store, now: datetime) -> None:
        figures = await store.operator_stats(day_start=now - timedelta(days=1))
        chats = GaugeMetricFamily("newsdigest_chats", "Chats by state.", labels=["state"])
        chats.add_metric(["active"], figures["active_chats"])
        chats.add_metric(["paused"], figures["chats"] - figures["active_chats"])
        ok = figures["feeds"] - figures["failing_feeds"] - figures["disabled_feeds"]
        feeds = GaugeMetricFamily("newsdigest_feeds", "Feeds by state.", labels=["state"])
        for state, value in (
            ("ok", ok),
            ("failing", figures["failing_feeds"]),
            ("disabled", figures["disabled_feeds"]),
        ):
            feeds.add_metric([state], value)
        deliveries = GaugeMetricFamily(
            "newsdigest_deliveries", "Deliveries in the outbox by state.", labels=["state"]
        )
        for state in ("waiting", "retrying", "sent", "failed"):
            deliveries.add_metric([state], figures[f"deliveries_{state}"])
        rows = GaugeMetricFamily("newsdigest_table_rows", "Rows per table.", labels=["table"])
        for table in await store.table_sizes():
            rows.add_metric([table.name], table.rows)
        recent = GaugeMetricFamily(
            "newsdigest_articles_last_day", "Articles stored in the last 24 hours."
        )
        recent.add_metric([], figures["articles_today"])
        self.families = [chats, feeds, deliveries, rows, recent]


class HealthServer:
    """``/healthz`` and ``/metrics`` for one running process."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime],
        is_running: Callable[[], bool],
        host: str = "127.0.0.1",
        port: int = 0,
        queue_depth: QueueDepth | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.is_running = is_running
        self.host = host
        self.port = port
        self.registry = CollectorRegistry()
        self.polls = PollMetrics(self.registry)
        self.work = WorkMetrics(self.registry)
        self._figures = _StoreFigures()
        self.registry.register(self._figures)
        self._live = _LiveFigures(queue_depth)
        self.registry.register(self._live)
        # The deployment's figures count whole tables: read at most once per
        # FIGURES_MAX_AGE however many scrapers (and processes) ask.
        self._lock = asyncio.Lock()
        self._figures_read_at: float | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None and server.sockets:  # type: ignore[attr-defined]
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        log.info("health and metrics on http://%s:%s/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def healthz(self, request: web.Request) -> web.Response:
        database = await self._database_state()
        scheduler = "running" if self.is_running() else "stopped"
        healthy = database == "ok" and scheduler == "running"
        body = {"status": "ok" if healthy else "unhealthy", "database": database}
        body["scheduler"] = scheduler
        return web.json_response(body, status=200 if healthy else 503, dumps=json.dumps)

    async def metrics(self, request: web.Request) -> web.Response:
        try:
            async with self._lock:
                read_at = self._figures_read_at
                if read_at is None or time.monotonic() - read_at >= FIGURES_MAX_AGE:
                    await self._figures.refresh(self.store, self.clock())
                    self._figures_read_at = time.monotonic()
        except Exception as exc:  # the process's own counters are still worth serving
            log.warning("metrics: the database could not be read: %s", exc)
            self._figures.families = []
            self._figures_read_at = None
        try:
            await self._live.refresh(self.store, self.clock())
        except Exception as exc:
            log.warning("metrics: the outbox lag or the job queue could not be read: %s", exc)
            self._live.families = []
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE}
        )

    async def _database_state(self) -> str:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT), self.store.session() as session:
                await session.execute(text("SELECT 1"))
        except TimeoutError:
            return f"no answer within {DATABASE_TIMEOUT:g} s"
        except Exception as exc:
            first_line = (str(exc).splitlines() or [""])[0][:200]
            return f"error: {type(exc).__name__}: {first_line}"
        return "ok"
