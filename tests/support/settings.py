"""Settings for a bot under test."""

from __future__ import annotations

from config.settings import Settings


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "allow_private_urls": True,  # test feeds are served from 127.0.0.1
        "fetch_timeout_seconds": 5.0,
        # Test items link to made-up hosts; tests/news/test_fulltext.py turns page fetching on.
        "full_text": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
