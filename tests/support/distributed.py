"""The distributed roles under test: a PostgreSQL database of their own, job queues, and
a way to run a queue's jobs until none is left.

PostgreSQL only (the job queue lives there): tests using ``pg_url`` are skipped when
TEST_DATABASE_URL is unset.
"""

from __future__ import annotations

import asyncio
import os
import random
import string
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import procrastinate
import psycopg
import pytest

from bot.delivery.scheduler import BotScheduler
from bot.distributed.app import apply_schema, build_queue_app, psycopg_conninfo
from bot.distributed.jobs import RoleJobs
from bot.distributed.tasks import RUNTIME, JobQueue
from bot.store.repository import Store
from config.settings import normalise_database_url
from tests.support import REPO
from tests.support.databases import empty_database


@pytest.fixture
async def pg_url() -> str:
    """The PostgreSQL test database, emptied (the bot's tables and the job queue's)."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the distributed roles need PostgreSQL: set TEST_DATABASE_URL")
    url = normalise_database_url(os.environ["TEST_DATABASE_URL"])
    await empty_database(url)
    return url


@asynccontextmanager
async def job_queue(url: str) -> AsyncIterator[JobQueue]:
    """One process's view of the job queue (its own App and connection pool)."""
    await apply_schema(url)
    app = build_queue_app(url)
    async with app.open_async():
        yield JobQueue(app)


async def drain(queue: JobQueue, scheduler: BotScheduler, *queues: str) -> None:
    """Run the jobs of ``queues`` one at a time until none is left (jobs that defer
    further jobs on those queues included)."""
    await queue.app.run_worker_async(
        queues=list(queues),
        wait=False,
        concurrency=1,
        install_signal_handlers=False,
        additional_context={RUNTIME: RoleJobs(scheduler, queue)},
    )


async def job_count(app: procrastinate.App, status: str | None = None) -> int:
    jobs = await app.job_manager.list_jobs_async(status=status)
    return len(list(jobs))


class RoleProcess:
    """``python main.py run --role ROLE`` as a child process, its log kept line by line.

    Started once it logs that it runs ("running as ROLE"; role all: "running: <platforms>").
    """

    def __init__(self, role: str, env: dict[str, str], *, label: str | None = None) -> None:
        self.role = role
        self.env = env
        self.label = label or role
        self.lines: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._started = asyncio.Event()

    async def start(self, *, timeout: float = 30) -> RoleProcess:  # noqa: ASYNC109
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(REPO / "main.py"),
            "run",
            "--role",
            self.role,
            cwd=REPO,
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        started = asyncio.create_task(self._started.wait())
        await asyncio.wait(
            {started, self._reader}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if not self._started.is_set():
            started.cancel()
            raise AssertionError(f"{self.label} did not start:\n{self.log()}")
        return self

    async def _read(self) -> None:
        assert self.process is not None
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            ready = "running: " if self.role == "all" else f"running as {self.role}"
            if ready in line:
                self._started.set()

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)

    def log(self, last: int = 60) -> str:
        return f"--- {self.label} ---\n" + "\n".join(self.lines[-last:])

    def kill(self) -> None:
        """SIGKILL: no goodbye, the job it holds stays 'doing' until recovered."""
        assert self.process is not None
        self.process.kill()

    async def stop(self, *, timeout: float = 30) -> int | None:  # noqa: ASYNC109
        """SIGTERM and wait; the exit status (negative: killed by that signal; None: it
        never started)."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.terminate()
        code = await asyncio.wait_for(self.process.wait(), timeout=timeout)
        if self._reader is not None:
            await self._reader
        return code


def role_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment every role of one deployment shares (the same configuration)."""
    own = ("TELEGRAM_", "DISCORD_", "NEWSDIGEST_", "DATABASE_URL", "HTTP_PROXY", "HTTPS_PROXY")
    env = {key: value for key, value in os.environ.items() if not key.upper().startswith(own)}
    env.update(
        DATABASE_URL=database_url,
        NEWSDIGEST_ALLOW_PRIVATE_URLS="true",
        NEWSDIGEST_FULL_TEXT="false",
        NO_PROXY="127.0.0.1,localhost",
        PTB_TIMEDELTA="true",
        **extra,
    )
    return env


def distinct_items(feed: int, count: int) -> list[dict[str, str]]:
    """``count`` items for feed number ``feed``, titled "Story F<feed>-<n>", whose words
    share nothing with other items (so no two are grouped as one event)."""
    rng = random.Random(feed)
    items = []
    for n in range(1, count + 1):
        words = [
            "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))
            for _ in range(80)
        ]
        sentences = [" ".join(words[i : i + 10]).capitalize() + "." for i in range(0, 80, 10)]
        items.append(
            {
                "guid": f"f{feed}-{n}",
                "title": story_title(feed, n),
                "link": f"https://news.example/f{feed}/{n}",
                "description": "<p>" + " ".join(sentences) + "</p>",
            }
        )
    return items


def story_title(feed: int, n: int) -> str:
    return f"Story F{feed:03d}-{n}"


async def queue_is_idle(url: str) -> bool:
    """No job waiting or running, and nothing left in the outbox to send."""
    store = await Store.open(url)
    try:
        if await store.pending_deliveries():
            return False
    finally:
        await store.close()
    async with await psycopg.AsyncConnection.connect(psycopg_conninfo(url)) as connection:
        cursor = await connection.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
        )
        row = await cursor.fetchone()
    return row is not None and row[0] == 0


async def eventually(
    check: Callable[[], Awaitable[bool]],
    *,
    timeout: float,  # noqa: ASYNC109 - a deadline, not a pause
    what: str,
) -> None:
    """Re-check a condition held in other processes (the database) until it holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:g} s")
        await asyncio.sleep(0.1)  # another process's state: nothing to wait on but a re-check
