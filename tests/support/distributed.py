"""The distributed roles under test: a PostgreSQL database of their own, job queues, and
a way to run a queue's jobs until none is left.

PostgreSQL only (the job queue lives there): tests using ``pg_url`` are skipped when
TEST_DATABASE_URL is unset.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import procrastinate
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.delivery.scheduler import BotScheduler
from bot.distributed.app import apply_schema, build_queue_app
from bot.distributed.jobs import RoleJobs
from bot.distributed.tasks import RUNTIME, JobQueue
from config.settings import normalise_database_url


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture
async def pg_url() -> str:
    """The PostgreSQL test database, emptied (the bot's tables and the job queue's)."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the distributed roles need PostgreSQL: set TEST_DATABASE_URL")
    url = normalise_database_url(os.environ["TEST_DATABASE_URL"])
    await reset_postgres(url)
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
