"""The poll throughput benchmark (bench/polling.py) at a tiny size: it runs, its feeds
answer as described, and what it stores matches what was served.

With TEST_DATABASE_URL set it measures both set-ups (one process, two workers) on that
database, which it empties; without, the single process on SQLite.
"""

from __future__ import annotations

import os
import subprocess
import sys

import feedparser

from bench.polling import CHANGING, FIRST_ITEMS, document, items_served, new_items
from tests.support import REPO

FEEDS = 20


def test_about_one_feed_in_twenty_changes_in_a_steady_cycle() -> None:
    changes = [new_items(feed, cycle) for feed in range(2000) for cycle in (1, 2, 3)]
    changed = sum(1 for n in changes if n)
    assert set(changes) == {0, 1, 2}
    assert abs(changed / len(changes) - CHANGING) < 0.01
    assert all(new_items(feed, 0) == FIRST_ITEMS for feed in range(100))


def test_a_feed_lists_its_newest_ten_items() -> None:
    total = items_served(7, 40)
    parsed = feedparser.parse(document(7, total))
    ids = [entry.id for entry in parsed.entries]
    assert ids == [f"f7-{n}" for n in range(total, total - FIRST_ITEMS, -1)]


def test_the_benchmark_runs_and_stores_what_was_served() -> None:
    command = [sys.executable, "bench/polling.py", "--feeds", str(FEEDS), "--steady-cycles", "1"]
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        command += ["--database-url", url]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]
    assert "PROBLEM" not in result.stdout
    changed = sum(1 for feed in range(FEEDS) if new_items(feed, 1))
    throughput, memory = result.stdout.split("The single process's memory:")
    rows = {line.split("|")[1].strip(): line for line in throughput.splitlines() if "|" in line}
    memory_rows = [line for line in memory.splitlines() if line.startswith("| steady 1 |")]
    assert len(memory_rows) == 1
    assert "| – |" in memory_rows[0]  # no tracemalloc unless asked for
    assert f"| {FEEDS} / 0 |" in rows["first"]  # every feed answered 200
    assert f"| {changed} / {FEEDS - changed} |" in rows["steady 1"]  # the rest 304
    assert ("| two workers: s |" in result.stdout) == bool(url)
    assert "a steady cycle of 20,000 feeds takes" in result.stdout


def test_the_single_process_is_measured_again_with_fewer_malloc_arenas() -> None:
    command = [sys.executable, "bench/polling.py", "--feeds", "5", "--steady-cycles", "1"]
    command += ["--one-process", "--arena-max", "2"]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]
    assert "PROBLEM" not in result.stdout  # both set-ups stored what was served
    memory = result.stdout.split("The single process's memory:")[1]
    assert "| MALLOC_ARENA_MAX=2: RSS after MB |" in memory
    steady = next(line for line in memory.splitlines() if line.startswith("| steady 1 |"))
    assert len(steady.split("|")) == 12  # both set-ups' figures and the three ratios
    assert "one process, MALLOC_ARENA_MAX=2: a steady cycle" in result.stdout
