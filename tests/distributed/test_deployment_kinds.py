"""``--role all`` and the distributed roles never run together on one database.

Real processes on PostgreSQL: a single process beside a worker would poll every feed a
second time and race it for the chats' digests, so whichever starts second refuses with
one line and exit status 2, as for bad configuration; a stopped or killed process no
longer counts.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator

import pytest

from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support import REPO
from tests.support.distributed import RoleProcess, role_env


@pytest.fixture
async def env(pg_url: str) -> AsyncIterator[dict[str, str]]:
    async with FakeTelegramAPI() as fake:
        yield role_env(
            pg_url.replace("+asyncpg", ""),
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_BASE_URL=fake.base_url,
        )


async def refused(role: str, env: dict[str, str]) -> tuple[int, list[str]]:
    """Run ``main.py run --role ROLE`` to its end: exit status and stderr lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(REPO / "main.py"),
        "run",
        "--role",
        role,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    except TimeoutError:
        process.kill()
        _, err = await process.communicate()
        raise AssertionError(f"--role {role} did not refuse to start:\n{err.decode()}") from None
    assert process.returncode is not None
    return process.returncode, err.decode().splitlines()


def errors(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("Error:")]


async def test_a_single_process_refuses_to_start_beside_a_worker(env: dict[str, str]) -> None:
    worker = await RoleProcess("worker", env).start()
    try:
        code, lines = await refused("all", env)
        assert code == 2, lines
        [error] = errors(lines)
        assert "gateway or worker roles run on this database" in error
        assert "would poll and send a second time" in error
    finally:
        assert await worker.stop() == 0
    single = await RoleProcess("all", env).start()  # the stopped worker no longer counts
    assert await single.stop() == 0


async def test_a_role_refuses_to_start_beside_a_single_process(env: dict[str, str]) -> None:
    single = await RoleProcess("all", env).start()
    try:
        for role in ("worker", "gateway"):
            code, lines = await refused(role, env)
            assert code == 2, lines
            [error] = errors(lines)
            assert "a --role all process runs on this database" in error
    finally:
        single.kill()
        assert await single.stop() == -signal.SIGKILL
    worker = await RoleProcess("worker", env).start()  # a killed one holds nothing
    assert await worker.stop() == 0


async def test_kinds_on_other_databases_of_the_server_do_not_count(pg_url: str) -> None:
    """pg_locks lists the whole server: roles on one database (staging beside production,
    parallel test databases) must not stop a single process on another."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.store.deployment import ROLES, SINGLE, DeploymentConflictError, deployment_kind

    here, again = create_async_engine(pg_url), create_async_engine(pg_url)
    elsewhere = create_async_engine(make_url(pg_url).set(database="postgres"))
    try:
        async with deployment_kind(here, ROLES):
            async with deployment_kind(elsewhere, SINGLE):
                pass  # another database: no conflict
            with pytest.raises(DeploymentConflictError):
                async with deployment_kind(again, SINGLE):
                    pass
    finally:
        for engine in (here, again, elsewhere):
            await engine.dispose()
