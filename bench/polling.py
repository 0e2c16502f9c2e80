"""Poll throughput past one machine's worth of feeds: one process against two workers.

Usage::

    python bench/polling.py --database-url postgresql://postgres@127.0.0.1/bench \\
        [--feeds 500] [--steady-cycles 2] [--concurrency 32]

THE DATABASE IS EMPTIED FIRST (its ``public`` schema is dropped), so point it at a scratch
database. Without ``--database-url`` a temporary SQLite file is used and only the single
process is measured (the worker roles need PostgreSQL). Linux only: CPU time and peak
memory are read from ``/proc``.

``--feeds`` feeds are served by a local HTTP server (a process of its own) on 127.0.0.1,
each on a host name of its own (``f123.localhost``), so the poller's two-polls-per-host
rule never serialises them; the bot's fetcher maps every name to 127.0.0.1 through its
resolver hook, with the address guard on as configured for private deployments. A chat
follows every feed (schedule off: no digest is composed while measuring).

**First cycle**: every feed answers 200 with 10 new items (each a few sentences), all
stored and summarised. **Steady cycles**: every feed answers 304 to its ETag except about
5 % of them, which bring 1 or 2 new items (the same feeds on every run: the choice is
seeded by feed and cycle). Every cycle starts with all feeds due.

Two set-ups run one after the other on the same feeds, each from an empty database:

- **one process**: the poll loop of ``python main.py run --role all`` (``FeedPoller.
  poll_due`` with the bot's default concurrency), in a child process;
- **two workers**: two ``--role worker`` processes (bot.distributed.roles.serve) on
  procrastinate, ticking as configured (every 30 s: a tick queues a job per due feed).
  No gateway: nothing is delivered.

For each cycle: seconds from its first poll to its last (the wait until the first poll,
up to a worker's next tick, is left out of the rate and shown in the progress lines),
feeds per second, CPU seconds of the bot's processes over the whole cycle (user + system;
the database server and the feed server are not counted) and the peak resident memory of
the largest bot process. After every cycle the feed entries
stored are checked against what the server served, and failed polls are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import logging
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402

from bot.chat_state import schedule_changes  # noqa: E402
from bot.delivery.schedule import OFF, Schedule  # noqa: E402
from bot.models import ChatTarget  # noqa: E402
from bot.news.fetch import Fetcher  # noqa: E402
from bot.news.fulltext import PAGE_CONCURRENCY  # noqa: E402
from bot.store.repository import Store  # noqa: E402
from bot.store.tables import FeedEntryRow, FeedRow, SubscriptionRow  # noqa: E402
from config.settings import Settings, normalise_database_url  # noqa: E402
from tests.support.databases import empty_database  # noqa: E402
from tests.support.feeds import SEED_BODY, rss_feed  # noqa: E402
from tests.support.settings import make_settings  # noqa: E402

FIRST_ITEMS = 10
#: Items a feed document lists (its newest).
LISTED = 10
#: Share of feeds that bring new items in a steady cycle.
CHANGING = 0.05
PLATFORM = "console"
#: The goal this benchmark checks: feeds per cycle, cycle seconds, memory per process.
GOAL_FEEDS, GOAL_SECONDS, GOAL_MB = 20_000, 600, 250
#: A few sentences of a real article, so that summaries cost what they cost.
SENTENCES = " ".join(SEED_BODY.split("\n\n")[0:2])
#: glibc's limit on malloc arenas, read once at process start (``--arena-max``).
ARENA_ENV = "MALLOC_ARENA_MAX"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

log = logging.getLogger("bench.polling")


# --------------------------------------------------------------------------- the feeds


def new_items(feed: int, cycle: int, first: int = FIRST_ITEMS) -> int:
    """Items feed ``feed`` brings in steady cycle ``cycle`` (1, 2…): 0 for about 95 % of
    them, else 1 or 2; the first cycle (0) brings ``first``."""
    if cycle == 0:
        return first
    rng = random.Random(feed * 100_003 + cycle)
    return rng.choice((1, 2)) if rng.random() < CHANGING else 0


def items_served(feed: int, cycle: int, first: int = FIRST_ITEMS) -> int:
    """Items the feed has published by ``cycle``: its document lists the newest 10."""
    return sum(new_items(feed, c, first) for c in range(cycle + 1))


def document(feed: int, total: int) -> bytes:
    items = [
        {
            "guid": f"f{feed}-{n}",
            "title": f"Report {n} of feed {feed}",
            "link": f"https://news{feed}.example/{n}",
            "description": f"<p>{html.escape(SENTENCES)}</p><p>Item {n} of feed {feed}.</p>",
            "pubDate": (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)).strftime(
                "%a, %d %b %Y %H:%M:%S +0000"
            ),
        }
        for n in range(total, max(0, total - LISTED), -1)
    ]
    return rss_feed(items, title=f"Feed {feed}").encode()


def feed_url(feed: int, port: int) -> str:
    return f"http://f{feed}.localhost:{port}/feed/{feed}.xml"


class FeedFarm:
    """Serves feed ``n`` at /feed/n.xml as of the current cycle, with an ETag per version."""

    def __init__(self, first: int = FIRST_ITEMS) -> None:
        self.first = first
        self.cycle = 0
        self.answers: dict[int, int] = {}

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if not name.endswith(".xml") or not name[:-4].isdigit():
            return web.Response(status=404)
        feed = int(name[:-4])
        total = items_served(feed, self.cycle, self.first)
        etag = f'"{feed}-{total}"'
        if request.headers.get("If-None-Match") == etag:
            status, response = 304, web.Response(status=304, headers={"ETag": etag})
        else:
            status = 200
            response = web.Response(
                body=document(feed, total),
                headers={"ETag": etag, "Content-Type": "application/rss+xml"},
            )
        self.answers[status] = self.answers.get(status, 0) + 1
        return response

    async def control(self, request: web.Request) -> web.Response:
        """``/_cycle/k`` starts cycle k (its answers counted afresh); ``/_answers``."""
        if "cycle" in request.match_info:
            self.cycle = int(request.match_info["cycle"])
            self.answers = {}
        return web.json_response({str(k): v for k, v in self.answers.items()})


async def serve_feeds(first: int) -> None:
    """The feed server's process: prints its port, serves until stdin closes."""
    farm = FeedFarm(first)
    app = web.Application()
    app.router.add_get("/feed/{name}", farm.handle)
    app.router.add_get("/_cycle/{cycle}", farm.control)
    app.router.add_get("/_answers", farm.control)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    print(f"port {site._server.sockets[0].getsockname()[1]}", flush=True)  # type: ignore[union-attr]
    await _stdin_closed()
    await runner.cleanup()


# --------------------------------------------------------------------------- the bot's side


async def to_loopback(host: str, port: int) -> list[str]:
    """Every feed host is this machine (the fetcher's resolver hook)."""
    return ["127.0.0.1"]


def bench_settings(url: str, concurrency: int) -> Settings:
    return make_settings(url, poll_concurrency=concurrency, fetch_timeout_seconds=60.0)


def bench_fetcher(settings: Settings) -> Fetcher:
    """The bot's fetcher (bot.app.wiring.build_fetcher) with the names mapped locally."""
    return Fetcher(
        allow_private=settings.allow_private_urls,
        timeout=settings.fetch_timeout_seconds,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.fetch_max_redirects,
        resolver=to_loopback,
        limits=httpx.Limits(
            max_connections=settings.poll_concurrency * PAGE_CONCURRENCY + 8,
            max_keepalive_connections=settings.poll_concurrency,
        ),
    )


async def poll_loop(url: str, concurrency: int) -> None:
    """The single process's poll loop: a cycle per line on stdin, its report on stdout."""
    from bot.app.wiring import open_app

    settings = bench_settings(url, concurrency)
    async with open_app(settings, fetcher=(fetcher := bench_fetcher(settings))) as app:
        poller = app.services.poller
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        while await loop.run_in_executor(None, sys.stdin.readline):
            report, _ = await poller.poll_due(platforms=[PLATFORM])
            print(
                json.dumps({"due": report.due, "failed": report.failed, **memory_now()}),
                flush=True,
            )
    await fetcher.aclose()


def memory_now() -> dict[str, float | None]:
    """This process's resident memory now and, when ``tracemalloc`` traces (``--trace``),
    how much of it Python objects hold: the rest is C (libraries, allocator arenas).
    The largest Python allocation sites go to stderr, for reading where memory went."""
    import gc
    import tracemalloc

    gc.collect()
    python_mb = None
    if tracemalloc.is_tracing():
        python_mb = tracemalloc.get_traced_memory()[0] / 2**20
        top = tracemalloc.take_snapshot().statistics("lineno")[:15]
        for stat in top:
            print(f"memory: {stat}", file=sys.stderr, flush=True)
    return {"rss_mb": rss_mb(os.getpid()), "python_mb": python_mb}


async def worker(url: str, concurrency: int) -> None:
    """A ``--role worker`` process, its ticks as configured (polls every 30 s)."""
    from bot.app.runner import build_scheduler
    from bot.app.wiring import open_app
    from bot.distributed.roles import WORKER, serve

    settings = bench_settings(url, concurrency)
    stop = asyncio.Event()
    async with open_app(settings, fetcher=(fetcher := bench_fetcher(settings))) as app:
        scheduler = build_scheduler(app, [], serving=[PLATFORM])
        serving = asyncio.create_task(serve(WORKER, settings, scheduler, stop))
        await _stdin_closed()
        stop.set()
        await serving
    await fetcher.aclose()


async def _stdin_closed() -> None:
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, sys.stdin.readline):
        pass


# --------------------------------------------------------------------------- measuring


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    return _status_mb(pid, "VmHWM:")


def rss_mb(pid: int) -> float:
    """The process's resident memory now (VmRSS), in MB."""
    return _status_mb(pid, "VmRSS:")


def _status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


class Child:
    """A process of this benchmark (feed server, poll loop, worker), talked to by lines."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.env = env or {}
        self.process: asyncio.subprocess.Process | None = None
        self.errors: list[str] = []
        self._stderr: asyncio.Task[None] | None = None

    async def start(self, *, expect: str | None = None) -> str:
        env = {**os.environ, "NO_PROXY": "*", **self.env}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            *self.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            limit=1 << 20,
        )
        self._stderr = asyncio.create_task(self._read_stderr())
        if expect is None:
            return await self.read_line()
        deadline = time.monotonic() + 300
        while expect not in "\n".join(self.errors):  # a role says so in its log
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.args[0]} failed:\n" + "\n".join(self.errors[-30:]))
            await asyncio.sleep(0.1)
        return expect

    async def _read_stderr(self) -> None:
        assert self.process is not None
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.errors.append(line)
            if (
                "Traceback" in line
                or " ERROR " in line
                or "ERROR:" in line
                or line.startswith("memory:")
            ):
                print(f"[{self.args[0]}] {line}", file=sys.stderr)

    async def send(self, line: str) -> None:
        assert self.process is not None
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def read_line(self) -> str:
        assert self.process is not None
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.args[0]} ended:\n" + "\n".join(self.errors[-30:]))
        return line.decode().strip()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=60)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        if self._stderr is not None:
            await self._stderr


@dataclass
class Cycle:
    name: str
    feeds: int
    #: From the first poll of the cycle to the last (the rate's denominator).
    seconds: float
    #: From the moment every feed fell due to the first poll (a worker's next tick).
    waited: float
    #: From the moment every feed fell due until every one was polled.
    wall: float
    cpu: float
    peak_mb: float
    answers: dict[str, int]
    failed: int
    entries_ok: bool
    #: Resident memory after the cycle, and what Python objects held then (``--trace``);
    #: the single process reports them.
    rss_mb: float | None = None
    python_mb: float | None = None

    @property
    def rate(self) -> float:
        return self.feeds / self.seconds if self.seconds else 0.0


@dataclass
class Setup:
    name: str
    processes: int
    cycles: list[Cycle] = field(default_factory=list)
    #: Environment the bot's processes ran with on top of the benchmark's.
    env: dict[str, str] = field(default_factory=dict)
    #: Jobs a worker took for stalled (no heartbeat in time) and queued again.
    requeued: int = 0

    def steady(self) -> list[Cycle]:
        return self.cycles[1:]


class Bench:
    def __init__(
        self,
        url: str,
        feeds: int,
        steady: int,
        concurrency: int,
        first: int = FIRST_ITEMS,
        *,
        env: dict[str, str] | None = None,
        arena_max: int | None = None,
    ) -> None:
        self.url = url
        #: Environment of every bot process (``--trace`` turns tracemalloc on there).
        self.env = env or {}
        #: Measure the single process a second time with MALLOC_ARENA_MAX set to this.
        self.arena_max = arena_max
        self.first = first
        self.feeds = feeds
        self.steady = steady
        self.concurrency = concurrency
        self.port = 0
        self.farm: Child | None = None
        self.http = httpx.AsyncClient(trust_env=False)

    async def farm_call(self, path: str) -> dict[str, int]:
        answer = await self.http.get(f"http://127.0.0.1:{self.port}{path}")
        return dict(answer.json())

    async def seed(self) -> None:
        """An empty database with every feed followed by one chat, none due yet."""
        await empty_database(self.url)
        if self.url.startswith("sqlite"):  # a set-up measured after another starts afresh
            await asyncio.to_thread(Path(self.url.split(":///", 1)[1]).unlink, missing_ok=True)
        store = await Store.open(self.url)
        try:
            chat = await store.get_or_create_chat(ChatTarget(PLATFORM, "bench"))
            await store.update_chat_settings(
                chat.pk, changes=schedule_changes(Schedule(OFF).to_dict())
            )
            later = datetime.now(UTC) + timedelta(days=1)
            async with store.engine.begin() as connection:
                for start in range(0, self.feeds, 5000):
                    numbers = range(start, min(self.feeds, start + 5000))
                    await connection.execute(
                        insert(FeedRow),
                        [
                            {
                                "url": feed_url(n, self.port),
                                "next_poll_at": later,
                                "full_text": False,
                            }
                            for n in numbers
                        ],
                    )
                ids = list(await connection.scalars(select(FeedRow.id)))
                for start in range(0, len(ids), 5000):
                    await connection.execute(
                        insert(SubscriptionRow),
                        [{"chat_pk": chat.pk, "feed_id": i} for i in ids[start : start + 5000]],
                    )
        finally:
            await store.close()

    async def cycle(self, setup: Setup, number: int, children: list[Child], run: object) -> None:
        """Start cycle ``number``: serve its documents, make every feed due, wait for
        ``run`` (a coroutine function) to have polled them all, and measure."""
        await self.farm_call(f"/_cycle/{number}")
        store = await Store.open(self.url)
        try:
            cpu = sum(cpu_seconds(c.pid) for c in children)
            began_at = datetime.now(UTC)
            began = time.perf_counter()
            async with store.engine.begin() as connection:
                await connection.execute(
                    update(FeedRow).values(next_poll_at=began_at - timedelta(seconds=1))
                )
            ran = await run(store, began_at)  # type: ignore[operator]
            failed, memory = ran if isinstance(ran, tuple) else (ran, {})
            wall = time.perf_counter() - began
            cpu = sum(cpu_seconds(c.pid) for c in children) - cpu
            async with store.session() as session:
                polled = (FeedRow.last_polled_at >= began_at,)
                first = await session.scalar(
                    select(func.min(FeedRow.last_polled_at)).where(*polled)
                )
                last = await session.scalar(select(func.max(FeedRow.last_polled_at)).where(*polled))
                entries = await session.scalar(select(func.count()).select_from(FeedEntryRow))
                failing = await session.scalar(
                    select(func.count()).where(FeedRow.consecutive_failures > 0)
                )
        finally:
            await store.close()
        expected = sum(items_served(n, number, self.first) for n in range(self.feeds))
        assert first is not None
        assert last is not None
        setup.cycles.append(
            Cycle(
                name="first" if number == 0 else f"steady {number}",
                feeds=self.feeds,
                seconds=max((last - first).total_seconds(), 0.001),
                waited=(first - began_at).total_seconds(),
                wall=wall,
                cpu=cpu,
                peak_mb=max(peak_rss_mb(c.pid) for c in children),
                answers=await self.farm_call("/_answers"),
                failed=max(failed, failing or 0),
                entries_ok=entries == expected,
                rss_mb=memory.get("rss_mb"),
                python_mb=memory.get("python_mb"),
            )
        )
        print(f"{setup.name}: {setup.cycles[-1]}", file=sys.stderr)

    async def one_process(self, env: dict[str, str] | None = None) -> Setup:
        env = env or {}
        name = "one process" + "".join(f", {k}={v}" for k, v in env.items())
        setup = Setup(name, 1, env=env)
        await self.seed()
        loop = Child(
            "poll-loop",
            "--database-url",
            self.url,
            "--concurrency",
            f"{self.concurrency}",
            env={**self.env, **env},
        )
        await loop.start()
        try:

            async def run(store: Store, began_at: datetime) -> tuple[int, dict[str, float]]:
                await loop.send("cycle")
                answer = json.loads(await loop.read_line())
                return int(answer["failed"]), answer

            for number in range(self.steady + 1):
                await self.cycle(setup, number, [loop], run)
        finally:
            await loop.stop()
        return setup

    async def two_workers(self) -> Setup:
        setup = Setup("two workers", 2)
        await self.seed()
        workers = [
            Child(
                "worker",
                "--database-url",
                self.url,
                "--concurrency",
                f"{self.concurrency}",
                env=self.env,
            )
            for _ in range(2)
        ]
        try:
            for child in workers:
                await child.start(expect="running as worker")

            async def run(store: Store, began_at: datetime) -> int:
                waiting = select(func.count()).where(
                    (FeedRow.last_polled_at.is_(None)) | (FeedRow.last_polled_at < began_at)
                )
                while True:
                    async with store.session() as session:
                        if not await session.scalar(waiting):
                            return 0
                    await asyncio.sleep(0.2)

            for number in range(self.steady + 1):
                await self.cycle(setup, number, workers, run)
        finally:
            for child in workers:
                await child.stop()
            setup.requeued = sum(
                "of a stalled worker" in line for child in workers for line in child.errors
            )
        return setup

    async def run(self, *, workers: bool) -> list[Setup]:
        self.farm = Child("serve-feeds", "--first-items", str(self.first))
        self.port = int((await self.farm.start()).split()[1])
        try:
            setups = [await self.one_process()]
            if self.arena_max is not None:
                setups.append(await self.one_process({ARENA_ENV: str(self.arena_max)}))
            if workers:
                setups.append(await self.two_workers())
            return setups
        finally:
            await self.farm.stop()
            await self.http.aclose()


# --------------------------------------------------------------------------- the table


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def table(setups: list[Setup]) -> str:
    single = setups[0]
    pair = next((s for s in setups if s.processes == 2), None)
    head = "| cycle | answers 200 / 304 | one process: s | feeds/s | CPU s | peak RSS MB |"
    rule = "|---|---|---:|---:|---:|---:|"
    if pair:
        head += " two workers: s | feeds/s | CPU s (both) | peak RSS MB (larger) |"
        head += " feeds/s: two / one | CPU: two / one |"
        rule += "---:|---:|---:|---:|---:|---:|"
    lines = [head, rule]
    rows = [(c, pair.cycles[i] if pair else None) for i, c in enumerate(single.cycles)]
    steady_one = single.steady()
    if steady_one:
        rows.append(
            (
                _mean_cycle("steady mean", steady_one),
                _mean_cycle("steady mean", pair.steady()) if pair else None,
            )
        )
    for one, two in rows:
        answers = f"{one.answers.get('200', 0)} / {one.answers.get('304', 0)}"
        line = (
            f"| {one.name} | {answers} | {one.seconds:.1f} | {one.rate:.0f} | {one.cpu:.1f} |"
            f" {one.peak_mb:.0f} |"
        )
        if two is not None:
            line += (
                f" {two.seconds:.1f} | {two.rate:.0f} | {two.cpu:.1f} | {two.peak_mb:.0f} |"
                f" {two.rate / one.rate:.2f} | {two.cpu / one.cpu if one.cpu else 0:.2f} |"
            )
        lines.append(line)
    return "\n".join(lines)


def memory_table(setups: list[Setup]) -> str:
    """The single process's memory per cycle: resident after the cycle, its peak so far,
    what Python objects held (with ``--trace``), and, with ``--arena-max``, the same
    process measured with MALLOC_ARENA_MAX set, side by side with ratios."""
    singles = [s for s in setups if s.processes == 1]
    base = singles[0]
    other = singles[1] if len(singles) > 1 else None

    def mb(value: float | None) -> str:
        return "–" if value is None else f"{value:.0f}"

    head = "| cycle | RSS after MB | peak MB | Python objects MB |"
    rule = "|---|---:|---:|---:|"
    if other:
        setting = ", ".join(f"{k}={v}" for k, v in other.env.items())
        head += (
            f" {setting}: RSS after MB | peak MB | Python objects MB | peak: ratio |"
            " s: ratio | CPU: ratio |"
        )
        rule += "---:|---:|---:|---:|---:|---:|"
    lines = [head, rule]
    for i, one in enumerate(base.cycles):
        line = f"| {one.name} | {mb(one.rss_mb)} | {mb(one.peak_mb)} | {mb(one.python_mb)} |"
        if other and i < len(other.cycles):
            two = other.cycles[i]
            line += (
                f" {mb(two.rss_mb)} | {mb(two.peak_mb)} | {mb(two.python_mb)} |"
                f" {two.peak_mb / one.peak_mb:.2f} | {two.seconds / one.seconds:.2f} |"
                f" {two.cpu / one.cpu if one.cpu else 0:.2f} |"
            )
        lines.append(line)
    return "\n".join(lines)


def _mean_cycle(name: str, cycles: list[Cycle]) -> Cycle:
    answers: dict[str, int] = {}
    for c in cycles:
        for key, value in c.answers.items():
            answers[key] = answers.get(key, 0) + value // len(cycles)
    return Cycle(
        name=name,
        feeds=cycles[0].feeds,
        seconds=mean([c.seconds for c in cycles]),
        waited=mean([c.waited for c in cycles]),
        wall=mean([c.wall for c in cycles]),
        cpu=mean([c.cpu for c in cycles]),
        peak_mb=max(c.peak_mb for c in cycles),
        answers=answers,
        failed=sum(c.failed for c in cycles),
        entries_ok=all(c.entries_ok for c in cycles),
    )


def verdict(setups: list[Setup]) -> list[str]:
    """The goal, checked against every set-up's steady cycles (extrapolated to GOAL_FEEDS
    when fewer feeds were measured: the rate is taken to hold)."""
    lines = []
    for setup in setups:
        steady = setup.steady()
        if not steady:
            continue
        rate = mean([c.rate for c in steady])
        peak = max(c.peak_mb for c in setup.cycles)
        feeds = steady[0].feeds
        seconds = GOAL_FEEDS / rate if rate else float("inf")
        how = "measured" if feeds >= GOAL_FEEDS else f"extrapolated from {feeds:,} feeds"
        met = seconds <= GOAL_SECONDS and peak <= GOAL_MB
        cpu_ms = 1000 * mean([c.cpu / c.feeds for c in steady])
        lines.append(
            f"{setup.name}: a steady cycle of {GOAL_FEEDS:,} feeds takes {seconds:.0f} s "
            f"({how}; goal {GOAL_SECONDS} s), peak {peak:.0f} MB per process "
            f"(goal {GOAL_MB} MB): {'met' if met else 'NOT met'}; "
            f"{cpu_ms:.1f} ms of CPU per steady poll, {cpu_ms * GOAL_FEEDS / 1000:.0f} CPU "
            f"seconds per cycle of {GOAL_FEEDS:,}"
        )
    return lines


def problems(setups: list[Setup]) -> list[str]:
    found = []
    for setup in setups:
        for c in setup.cycles:
            if c.failed:
                found.append(f"{setup.name}, {c.name}: {c.failed} polls failed")
            if not c.entries_ok:
                found.append(f"{setup.name}, {c.name}: stored entries differ from those served")
    return found


async def bench(args: argparse.Namespace) -> int:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        url = normalise_database_url(
            args.database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        )
        workers = url.startswith("postgresql") and not args.one_process
        bench = Bench(
            url,
            args.feeds,
            args.steady_cycles,
            args.concurrency,
            args.first_items,
            env={"PYTHONTRACEMALLOC": "1"} if args.trace else None,
            arena_max=args.arena_max,
        )
        setups = await bench.run(workers=workers)
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(
        f"\n{backend}, {args.feeds:,} feeds on distinct hosts, {args.first_items} items each "
        f"in the first cycle, {args.steady_cycles} steady cycles, concurrency "
        f"{args.concurrency} per process, {os.cpu_count()} cores "
        f"(load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after)\n"
    )
    print(table(setups))
    print("\nThe single process's memory:\n")
    print(memory_table(setups))
    if not workers:
        why = "--one-process" if args.one_process else "the worker roles need PostgreSQL"
        print(f"\n(two workers not measured: {why})")
    print()
    for line in verdict(setups):
        print(line)
    for setup in setups:
        if setup.requeued:
            print(
                f"{setup.name}: {setup.requeued} jobs of a worker taken for stalled were "
                "queued again (its heartbeat came late)"
            )
    found = problems(setups)
    for line in found:
        print(f"PROBLEM: {line}")
    return 1 if found else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "role", nargs="?", default="bench", choices=("bench", "serve-feeds", "poll-loop", "worker")
    )
    parser.add_argument("--database-url", help="scratch database (emptied!); default SQLite")
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--steady-cycles", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32, help="polls at once per process")
    parser.add_argument(
        "--first-items",
        type=int,
        default=FIRST_ITEMS,
        help="new items per feed in the first cycle (fewer: a quicker start for big runs)",
    )
    parser.add_argument("--one-process", action="store_true", help="skip the two workers")
    parser.add_argument(
        "--arena-max",
        type=int,
        help="measure the single process a second time with MALLOC_ARENA_MAX set to this",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="tracemalloc in the bot's processes: Python objects' share of the memory, the "
        "largest allocation sites on stderr (slower, and adds its own memory)",
    )
    args = parser.parse_args()
    if args.role == "bench":
        logging.basicConfig(level=logging.WARNING)
        return asyncio.run(bench(args))
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("bot.distributed.roles").setLevel(logging.INFO)
    if args.role == "serve-feeds":
        asyncio.run(serve_feeds(args.first_items))
    elif args.role == "poll-loop":
        asyncio.run(poll_loop(args.database_url, args.concurrency))
    else:
        asyncio.run(worker(args.database_url, args.concurrency))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
