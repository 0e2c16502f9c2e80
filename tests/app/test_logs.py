"""Logs an operator can read: no secret at any level, no chatter from the libraries."""

from __future__ import annotations

import logging
import sys

import pytest

from bot.app.logs import SecretRedactor, configure_logging, secrets_of
from bot.platforms.telegram.webhook import derived_secret
from tests.support.settings import make_settings

TOKEN = "123456:ABCdefGhIJKlmnoPQRstuvWXyz0123456789"


def test_secrets_are_replaced_in_messages_arguments_and_tracebacks() -> None:
    redactor = SecretRedactor([TOKEN, "hunter22"])
    record = logging.LogRecord(
        "httpx",
        logging.DEBUG,
        __file__,
        1,
        "POST %s",
        (f"https://api.example/bot{TOKEN}/getMe",),
        None,
    )
    try:
        raise RuntimeError(f"connection to /bot{TOKEN}/getMe failed; password hunter22")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    assert redactor.filter(record)
    assert TOKEN not in record.getMessage()
    assert "***" in record.getMessage()
    assert record.exc_text is not None
    assert TOKEN not in record.exc_text
    assert "hunter22" not in record.exc_text


def test_every_secret_of_the_settings_is_known(tmp_path: object) -> None:
    settings = make_settings(
        "postgresql+asyncpg://bot:s3cretpass@127.0.0.1/db",
        telegram_bot_token=TOKEN,
        discord_bot_token="discord-token-value",
        telegram_webhook_secret="webhook-secret-value",
    )
    assert set(secrets_of(settings)) == {
        TOKEN,
        "discord-token-value",
        "webhook-secret-value",
        "s3cretpass",
        derived_secret(TOKEN),  # what a webhook registers when no secret is configured
    }


def test_library_chatter_is_held_back_and_the_bot_logs_through_the_redactor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings("sqlite+aiosqlite:///:memory:", telegram_bot_token=TOKEN)
    try:
        configure_logging(settings, level="INFO")
        logging.getLogger("apscheduler.executors.default").info("Running job every 30 s")
        logging.getLogger("bot.feeds.polling").info("poll cycle with bot%s", TOKEN)
        err = capsys.readouterr().err
        assert "Running job" not in err  # two lines per job and tick: about 11,500 a day
        assert "poll cycle with bot***" in err
        assert TOKEN not in err
        configure_logging(settings, level="DEBUG")  # -v: everything, still redacted
        logging.getLogger("apscheduler.scheduler").debug("Looking for jobs to run")
        assert "Looking for jobs" in capsys.readouterr().err
    finally:
        logging.basicConfig(force=True, level=logging.WARNING)


def test_the_job_queues_chatter_is_held_back_but_not_its_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings("sqlite+aiosqlite:///:memory:")
    try:
        configure_logging(settings, level="INFO")
        worker = logging.getLogger("procrastinate.worker")
        worker.info("Starting job newsdigest.poll_feed[7](feed_id=3)")  # two lines per job
        worker.error("Job newsdigest.poll_feed[8](feed_id=4) failed")
        logging.getLogger("procrastinate.jobs").warning("No periodic task found")
        err = capsys.readouterr().err
        assert "Starting job" not in err
        assert "Job newsdigest.poll_feed[8](feed_id=4) failed" in err
        assert "No periodic task found" in err
        configure_logging(settings, level="DEBUG")  # NEWSDIGEST_LOG_LEVEL=DEBUG or -v
        worker.info("Starting job newsdigest.poll_feed[9](feed_id=5)")
        assert "Starting job" in capsys.readouterr().err
    finally:
        logging.basicConfig(force=True, level=logging.WARNING)
