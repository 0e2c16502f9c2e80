"""Logs an operator can read: no secret at any level, no chatter from the libraries."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.app.logs import SecretRedactor, configure_logging, secrets_of
from bot.platforms.telegram.webhook import derived_secret
from tests.app.test_clear_errors import _run_async
from tests.fakes.telegram_api import FakeTelegramAPI
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


def json_lines(err: str) -> list[dict[str, str]]:
    """Every line of ``err`` as the JSON object it must be."""
    return [json.loads(line) for line in err.splitlines()]


def test_json_lines_carry_time_level_logger_message_and_the_redacted_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings("sqlite+aiosqlite:///:memory:", telegram_bot_token=TOKEN)
    hostile = 'NUL\x00 newline\n quote" lone \udc80 emoji \U0001f600 ' + "x" * 20_000
    try:
        configure_logging(settings, level="INFO", json_lines=True)
        logging.getLogger("bot.feeds.polling").info("poll of bot%s: %s", TOKEN, hostile)
        try:
            raise RuntimeError(f"connection to /bot{TOKEN}/getMe failed")
        except RuntimeError:
            logging.getLogger("bot.delivery.outbox").exception("delivery %s failed", 7)
        logging.getLogger("apscheduler.scheduler").info("Running job")  # still held back
        err = capsys.readouterr().err
    finally:
        logging.basicConfig(force=True, level=logging.WARNING)
    assert TOKEN not in err
    first, second = json_lines(err)
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["level"] == "INFO"
    assert first["logger"] == "bot.feeds.polling"
    assert first["message"] == f"poll of bot***: {hostile}"
    assert datetime.fromisoformat(first["time"]).utcoffset() == timedelta(0)
    assert second["level"] == "ERROR"
    assert second["message"] == "delivery 7 failed"
    assert second["exc"].startswith("Traceback (most recent call last)")
    assert "RuntimeError: connection to /bot***/getMe failed" in second["exc"]


def test_text_stays_the_default_and_the_format_is_checked() -> None:
    url = "sqlite+aiosqlite:///:memory:"
    assert make_settings(url).log_format == "text"
    assert make_settings(url, log_format=" JSON ").log_format == "json"
    with pytest.raises(ValidationError, match="log_format"):
        make_settings(url, log_format="xml")


async def test_the_bot_writes_json_lines_when_configured(tmp_path: Path) -> None:
    async with FakeTelegramAPI() as api:
        wrong = "999999:this-token-is-wrong-and-secret"
        env = {
            "TELEGRAM_BOT_TOKEN": wrong,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            "NEWSDIGEST_LOG_LEVEL": "DEBUG",  # the Bot API URLs with the token are logged
            "NEWSDIGEST_LOG_FORMAT": "json",
        }
        result = await _run_async("run", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert wrong not in result.stderr
    # What the bot logs is JSON; its closing message to the operator is plain text.
    logged = [line for line in result.stderr.splitlines() if not line.startswith("Error: ")]
    records = json_lines("\n".join(logged))
    assert records, result.stderr
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any(record["message"].count("***") for record in records)  # a redacted URL
