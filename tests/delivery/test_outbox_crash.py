"""A bot killed between composing a digest and sending it delivers it once after restart."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from tests.support import REPO
from tests.support.feeds import FeedServer, rss_feed


async def run_phase(phase: str, database_url: str, feed_url: str, sent: Path) -> int:
    """Run one bot process; the feed server keeps serving from this event loop meanwhile."""
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.crash_scenario",
        phase,
        database_url,
        feed_url,
        str(sent),
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode in (0, -signal.SIGKILL), stderr.decode()
    return process.returncode


async def test_sigkill_after_enqueue_delivers_exactly_once(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    sent = tmp_path / "sent.jsonl"
    item = {"guid": "old", "title": "Old story", "link": "https://news.example/old"}
    url = feed_server.serve("/feed.xml", rss_feed([item]))
    assert await run_phase("prepare", database_url, url, sent) == 0
    new = {"guid": "new", "title": "Fresh story", "link": "https://news.example/new"}
    feed_server.serve("/feed.xml", rss_feed([new, item]))
    assert await run_phase("enqueue-then-die", database_url, url, sent) == -signal.SIGKILL
    assert not sent.exists()  # composed and stored, never sent
    assert await run_phase("restart", database_url, url, sent) == 0
    assert await run_phase("restart", database_url, url, sent) == 0
    deliveries = [json.loads(line) for line in sent.read_text().splitlines()]
    assert deliveries == [
        {"chat": "console:local", "text": "1 new story.", "titles": ["Fresh story"]}
    ]
