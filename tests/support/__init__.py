"""Shared test harnesses: what more than one test module needs, imported from here.

- ``clock``: FakeClock, time the tests move by hand;
- ``feeds``: the local feed server, RSS documents and stories to serve, stored articles;
- ``settings``: settings for a test bot (local feeds allowed, no page fetching);
- ``console``: the console bot with settings of its own, other chats, the real scheduler;
- ``telegram`` / ``discord``: the real adapters started against the fake servers of
  tests/fakes, with their fixtures (registered for every test by tests/conftest.py);
- ``migrations``, ``opml``: migrating a test database, real OPML files served locally;
- ``crash_scenario``, ``race_worker``: bot processes that tests start with ``python -m``.

Fixtures live in tests/conftest.py (and in the platform modules above); nothing here is
imported from a test module.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
