"""Logging set-up: one line per event, no secrets, and no chatter from the libraries.

Why a redacting filter: python-telegram-bot and httpx log request URLs at DEBUG, and a Bot
API URL contains the bot's token; a traceback of a failed connection can carry it too.
Every record that reaches a handler passes through `SecretRedactor` first, so a token, a
webhook secret or a database password never reaches a log at any level.

Why JSON lines as an option (NEWSDIGEST_LOG_FORMAT=json): a log collector (Loki, the ELK
stack, a cloud's logging) reads one JSON object per line without a parsing rule of its
own, and a traceback stays one record instead of many lines. The redactor runs before
either format.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.engine import make_url

from bot.platforms.telegram.webhook import derived_secret
from config.settings import Settings

REDACTED = "***"
# Libraries whose INFO lines would drown the bot's own (APScheduler writes two per job and
# tick: about 11,500 a day; procrastinate two per job, one per deferred job: a worker's
# every feed poll); they speak at WARNING and above (a failed job is an ERROR) unless
# asked for DEBUG.
NOISY_LOGGERS = (
    "alembic",
    "apscheduler",
    "httpx",
    "httpcore",
    "aiosqlite",
    "asyncio",
    "procrastinate",
)


class SecretRedactor(logging.Filter):
    """Replaces every secret in a record's message (and its traceback) with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        record.msg = self.redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record, on one line: time (UTC, ISO 8601), level, logger,
    message, and exc (the traceback) when there is one.

    The message and traceback are those the redactor left; escaping non-ASCII keeps every
    line valid JSON whatever a feed put in a message (lone surrogates included).
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=True)


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value the settings hold or imply: tokens, the webhook secret (set, or
    derived from the token), a DB password."""
    found = [
        secret.get_secret_value()
        for secret in (
            settings.telegram_bot_token,
            settings.discord_bot_token,
            settings.telegram_webhook_secret,
        )
        if secret is not None
    ]
    try:
        password = make_url(settings.database_url).password
    except Exception:  # an unparsable URL carries no password we could find
        password = None
    if password:
        found.append(str(password))
    if settings.telegram_bot_token is not None:
        # Without TELEGRAM_WEBHOOK_SECRET the webhook's secret is derived from the token.
        found.append(derived_secret(settings.telegram_bot_token.get_secret_value()))
    return found


def configure_logging(settings: Settings | None, *, level: str, json_lines: bool = False) -> None:
    """Log to stderr at ``level``, secrets redacted, noisy libraries held at WARNING;
    ``json_lines`` writes one JSON object per line instead of text."""
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    root = logging.getLogger()
    if json_lines:
        for handler in root.handlers:
            handler.setFormatter(JsonLines())
    if settings is not None:
        redactor = SecretRedactor(secrets_of(settings))
        for handler in root.handlers:
            handler.addFilter(redactor)
    quiet_at = max(logging.WARNING, root.level) if root.level > logging.DEBUG else logging.DEBUG
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(quiet_at)
