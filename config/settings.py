"""Operator settings: environment variables, a `.env` file and an optional TOML file.

Why one module: every tunable the bot has lives here, validated once at start, so a typo in
a deployment fails loudly at `python main.py check-config` instead of at 3 a.m. inside a
scheduled job. The environment variable names are a contract with operators and tests;
change them only with a migration note in the README.

Precedence, highest first: explicit arguments, environment, `.env`, the TOML file named by
`NEWSDIGEST_CONFIG`. TOML keys are the field names below (``database_url = "..."``) or the
environment names.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

if TYPE_CHECKING:
    from config.catalogue import Catalogue

CONFIG_FILE_ENV = "NEWSDIGEST_CONFIG"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/newsdigest.db"
_PLATFORM_NAME = re.compile(r"[a-z][a-z0-9_-]*")


def _env(name: str, *more: str) -> AliasChoices:
    """Accept the environment name and the plain field name (used in TOML files)."""
    return AliasChoices(name, *more)


class Settings(BaseSettings):
    """Everything an operator can configure. Secrets are `SecretStr` so they never print."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        # `NAME=` (a line of config/example.env uncommented as it stands) means unset.
        env_ignore_empty=True,
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
    )

    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_env("TELEGRAM_BOT_TOKEN", "telegram_bot_token")
    )
    telegram_api_base_url: str | None = Field(
        default=None,
        validation_alias=_env("TELEGRAM_API_BASE_URL", "telegram_api_base_url"),
        description="Bot API server, e.g. a self-hosted one; defaults to Telegram's.",
    )
    telegram_webhook_url: str | None = Field(
        default=None,
        validation_alias=_env("TELEGRAM_WEBHOOK_URL", "telegram_webhook_url"),
        description="Public HTTPS URL Telegram posts updates to; unset means long polling.",
    )
    telegram_webhook_listen: str = Field(
        default="0.0.0.0",
        validation_alias=_env("TELEGRAM_WEBHOOK_LISTEN", "telegram_webhook_listen"),
    )
    telegram_webhook_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        validation_alias=_env("TELEGRAM_WEBHOOK_PORT", "telegram_webhook_port"),
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None,
        validation_alias=_env("TELEGRAM_WEBHOOK_SECRET", "telegram_webhook_secret"),
    )
    discord_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_env("DISCORD_BOT_TOKEN", "discord_bot_token")
    )
    discord_api_base_url: str | None = Field(
        default=None, validation_alias=_env("DISCORD_API_BASE_URL", "discord_api_base_url")
    )
    discord_gateway_url: str | None = Field(
        default=None, validation_alias=_env("DISCORD_GATEWAY_URL", "discord_gateway_url")
    )
    discord_dev_guild_id: int | None = Field(
        default=None,
        validation_alias=_env("DISCORD_DEV_GUILD_ID", "discord_dev_guild_id"),
        description="Sync slash commands to this guild only (instant, for development).",
    )
    discord_shard_count: int | None = Field(
        default=None,
        ge=1,
        validation_alias=_env("DISCORD_SHARD_COUNT", "discord_shard_count"),
        description="Gateway shards in all; unset: the count Discord recommends at start.",
    )
    discord_shard_ids: Annotated[list[int] | None, NoDecode] = Field(
        default=None,
        validation_alias=_env("DISCORD_SHARD_IDS", "discord_shard_ids"),
        description="The shards this process runs, comma-separated; unset: all of them.",
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL, validation_alias=_env("DATABASE_URL", "database_url")
    )
    allow_private_urls: bool = Field(
        default=False,
        validation_alias=_env("NEWSDIGEST_ALLOW_PRIVATE_URLS", "allow_private_urls"),
        description="Let users subscribe to feeds on loopback/private networks (off: SSRF guard).",
    )
    admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=_env("NEWSDIGEST_ADMINS", "admins"),
        description="Bot operators, comma-separated `platform:user_id`.",
    )
    # -- operator limits and the topic catalogue -------------------------------------------
    allowed_chats: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=_env("NEWSDIGEST_ALLOWED_CHATS", "allowed_chats"),
        description=(
            "Private deployments: the only chats served, comma-separated `telegram:<chat id>`, "
            "`discord:<channel id>` or `discord:<server id>`; empty serves everyone."
        ),
    )
    max_subscriptions_per_chat: int = Field(
        default=100,
        ge=1,
        le=10_000,
        validation_alias=_env(
            "NEWSDIGEST_MAX_SUBSCRIPTIONS_PER_CHAT", "max_subscriptions_per_chat"
        ),
        description="Most feeds one chat (thread, topic) may follow: each is polled for it.",
    )
    command_rate_per_minute: int = Field(
        default=6,
        ge=0,
        le=600,
        validation_alias=_env("NEWSDIGEST_COMMAND_RATE", "command_rate_per_minute"),
        description="Commands that fetch feeds, per chat and minute; 0 turns the limit off.",
    )
    command_burst: int = Field(
        default=6,
        ge=1,
        le=100,
        validation_alias=_env("NEWSDIGEST_COMMAND_BURST", "command_burst"),
        description="How many fetching commands a chat may send at once before the rate applies.",
    )
    catalogue_path: Path = Field(
        default=Path("config/catalogue.toml"),
        validation_alias=_env("NEWSDIGEST_CATALOGUE", "catalogue_path", "catalogue"),
        description="TOML file of topics for /browse; a missing file means no topics.",
    )
    _catalogue: Any = PrivateAttr(default=None)
    default_timezone: str = Field(
        default="UTC",
        validation_alias=_env("NEWSDIGEST_DEFAULT_TIMEZONE", "default_timezone"),
    )
    min_poll_seconds: int = Field(
        default=600,
        ge=1,
        validation_alias=_env("NEWSDIGEST_MIN_POLL_SECONDS", "min_poll_seconds"),
    )
    max_poll_seconds: int = Field(
        default=6 * 3600,
        ge=60,
        validation_alias=_env("NEWSDIGEST_MAX_POLL_SECONDS", "max_poll_seconds"),
        description="Longest interval between polls of a quiet feed.",
    )
    poll_concurrency: int = Field(
        default=32,
        ge=1,
        le=1000,
        validation_alias=_env("NEWSDIGEST_POLL_CONCURRENCY", "poll_concurrency"),
        description="Feeds polled at once (at most two per host); feeds/s = this / latency.",
    )
    worker_heartbeat_seconds: float = Field(
        default=10,
        gt=0,
        le=3600,
        validation_alias=_env("NEWSDIGEST_WORKER_HEARTBEAT_SECONDS", "worker_heartbeat_seconds"),
        description="Distributed roles: how often a process tells the job queue it is alive.",
    )
    stalled_worker_seconds: float = Field(
        default=60,
        gt=0,
        le=86400,
        validation_alias=_env("NEWSDIGEST_STALLED_WORKER_SECONDS", "stalled_worker_seconds"),
        description="Distributed roles: a process silent this long is presumed dead and "
        "the jobs it held run again elsewhere.",
    )
    health_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        validation_alias=_env("NEWSDIGEST_HEALTH_PORT", "health_port"),
        description="Serve /healthz and /metrics on this port (unset: off).",
    )
    health_host: str = Field(
        default="127.0.0.1",
        validation_alias=_env("NEWSDIGEST_HEALTH_HOST", "health_host"),
        description="Address the health and metrics server listens on.",
    )
    summary_algorithm: str | None = Field(
        default=None,
        validation_alias=_env("NEWSDIGEST_SUMMARY_ALGORITHM", "summary_algorithm"),
        description="sumy algorithm for summaries; unset means the measured default.",
    )
    summary_sentences: int = Field(
        default=3,
        ge=1,
        le=10,
        validation_alias=_env("NEWSDIGEST_SUMMARY_SENTENCES", "summary_sentences"),
    )
    summary_max_chars: int = Field(
        default=600,
        ge=0,
        validation_alias=_env("NEWSDIGEST_SUMMARY_MAX_CHARS", "summary_max_chars"),
        description="Longest summary in characters (whole sentences; 0: no limit).",
    )
    digest_max_items: int = Field(
        default=20,
        ge=1,
        le=200,
        validation_alias=_env("NEWSDIGEST_DIGEST_MAX_ITEMS", "digest_max_items"),
    )
    backlog_days: int = Field(
        default=7,
        ge=0,
        validation_alias=_env("NEWSDIGEST_BACKLOG_DAYS", "backlog_days"),
        description="Unseen stories older than this are marked read unshown (0: never).",
    )
    backlog_per_feed: int = Field(
        default=100,
        ge=0,
        validation_alias=_env("NEWSDIGEST_BACKLOG_PER_FEED", "backlog_per_feed"),
        description="Unseen stories kept per feed, newest first; older ones marked read (0: all).",
    )
    retention_days: int = Field(
        default=60,
        ge=0,
        validation_alias=_env("NEWSDIGEST_RETENTION_DAYS", "retention_days"),
        description="Forget feed items older than this that no chat can still be shown (0: never).",
    )
    retention_keep_per_feed: int = Field(
        default=1000,
        ge=100,
        validation_alias=_env("NEWSDIGEST_RETENTION_KEEP_PER_FEED", "retention_keep_per_feed"),
        description="Newest items remembered per feed whatever their age (none comes back as new).",
    )
    retention_sent_days: int = Field(
        default=30,
        ge=0,
        validation_alias=_env("NEWSDIGEST_RETENTION_SENT_DAYS", "retention_sent_days"),
        description="Sent deliveries are deleted after this many days (0: never).",
    )
    retention_failed_days: int = Field(
        default=90,
        ge=0,
        validation_alias=_env("NEWSDIGEST_RETENTION_FAILED_DAYS", "retention_failed_days"),
        description="Deliveries given up on are deleted after this many days (0: never).",
    )
    digest_layout: Literal["full", "compact"] = Field(
        default="full",
        validation_alias=_env("NEWSDIGEST_DIGEST_LAYOUT", "digest_layout"),
        description="Default digest layout: full (titles and summaries) or compact (titles).",
    )
    link_previews: bool = Field(
        default=False,
        validation_alias=_env("NEWSDIGEST_LINK_PREVIEWS", "link_previews"),
        description="Default for link previews under digests (chats change it in /settings).",
    )
    silent_digests: bool = Field(
        default=False,
        validation_alias=_env("NEWSDIGEST_SILENT_DIGESTS", "silent_digests"),
        description="Default for posting digests without a notification sound.",
    )
    fetch_timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        validation_alias=_env("NEWSDIGEST_FETCH_TIMEOUT", "fetch_timeout_seconds"),
    )
    fetch_max_bytes: int = Field(
        default=5_000_000,
        ge=1024,
        validation_alias=_env("NEWSDIGEST_FETCH_MAX_BYTES", "fetch_max_bytes"),
    )
    fetch_max_redirects: int = Field(
        default=5,
        ge=0,
        le=20,
        validation_alias=_env("NEWSDIGEST_FETCH_MAX_REDIRECTS", "fetch_max_redirects"),
    )
    full_text: bool = Field(
        default=True,
        validation_alias=_env("NEWSDIGEST_FULL_TEXT", "full_text"),
        description="Fetch the article page of teaser items and summarise its main text.",
    )
    full_text_min_words: int = Field(
        default=60,
        ge=1,
        le=10_000,
        validation_alias=_env("NEWSDIGEST_FULL_TEXT_MIN_WORDS", "full_text_min_words"),
        description="Items with fewer words than this count as teasers.",
    )
    log_level: str = Field(
        default="INFO", validation_alias=_env("NEWSDIGEST_LOG_LEVEL", "log_level")
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        validation_alias=_env("NEWSDIGEST_LOG_FORMAT", "log_format"),
        description="text: one readable line per event; json: one JSON object per line.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        config_path = os.environ.get(CONFIG_FILE_ENV)
        if config_path:
            path = Path(config_path)
            if not path.is_file():
                raise ConfigError(f"{CONFIG_FILE_ENV}={config_path}: no such file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @field_validator("admins", "allowed_chats", mode="before")
    @classmethod
    def _split_entries(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("admins", "allowed_chats")
    @classmethod
    def _check_entries(cls, value: list[str], info: ValidationInfo) -> list[str]:
        """Both lists name things per platform: `telegram:<id>`, `discord:<id>`, …

        The shape is checked here; whether the platform exists is the platform registry's
        to say (`bot.app.wiring.check_choices`), so config needs no list of platforms.
        """
        what = "user_id" if info.field_name == "admins" else "chat_id"
        for entry in value:
            platform, sep, ident = entry.partition(":")
            if not sep or not _PLATFORM_NAME.fullmatch(platform) or not ident:
                raise ValueError(f"{entry!r} is not `platform:{what}` (e.g. telegram:12345)")
        return value

    @model_validator(mode="after")
    def _load_catalogue(self) -> Settings:
        """Read the catalogue now, so a broken file stops the bot at start, not mid-chat."""
        from config.catalogue import CatalogueError, load_catalogue

        try:
            self._catalogue = load_catalogue(self.catalogue_path)
        except CatalogueError as exc:
            raise ValueError(f"NEWSDIGEST_CATALOGUE={exc}") from exc
        return self

    @field_validator("default_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"{value!r} is not an IANA time zone name (e.g. UTC, Europe/Berlin)"
            ) from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("summary_algorithm")
    @classmethod
    def _normalise_algorithm(cls, value: str | None) -> str | None:
        """Lower-case; empty means unset. Whether the name exists is the summariser's to say:
        `bot.app.wiring.check_choices` asks it when the bot (or check-config) starts."""
        if value is None:
            return None
        return value.strip().lower() or None

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"{value!r} is not a log level (DEBUG, INFO, WARNING, ERROR)")
        return level

    @model_validator(mode="after")
    def _check_webhook(self) -> Settings:
        if self.telegram_webhook_url and self.telegram_webhook_port is None:
            raise ValueError(
                "TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_PORT (the port to listen on)"
            )
        return self

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()] or None
        if isinstance(value, int):
            return [value]
        return value

    @model_validator(mode="after")
    def _check_shards(self) -> Settings:
        """Shard ids mean something only against a total every gateway process agrees on.

        Discord's recommended count can change between two processes' starts, so a process
        running some of the shards must be told the total rather than ask for it.
        """
        ids = self.discord_shard_ids
        if ids is None:
            return self
        count = self.discord_shard_count
        if count is None:
            raise ValueError(
                "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT: every gateway process must use "
                "the same total number of shards"
            )
        wrong = [n for n in ids if not 0 <= n < count]
        if wrong:
            raise ValueError(
                f"DISCORD_SHARD_IDS: {', '.join(map(str, wrong))} not between 0 and "
                f"{count - 1} (DISCORD_SHARD_COUNT={count})"
            )
        if len(set(ids)) != len(ids):
            raise ValueError("DISCORD_SHARD_IDS names a shard twice")
        self.discord_shard_ids = sorted(ids)
        return self

    @model_validator(mode="after")
    def _check_poll_range(self) -> Settings:
        if self.min_poll_seconds > self.max_poll_seconds:
            raise ValueError(
                f"NEWSDIGEST_MIN_POLL_SECONDS ({self.min_poll_seconds}) is more than "
                f"NEWSDIGEST_MAX_POLL_SECONDS ({self.max_poll_seconds}): the shortest interval "
                "between polls must not exceed the longest"
            )
        return self

    @model_validator(mode="after")
    def _check_heartbeat(self) -> Settings:
        if self.stalled_worker_seconds <= self.worker_heartbeat_seconds:
            raise ValueError(
                f"NEWSDIGEST_STALLED_WORKER_SECONDS ({self.stalled_worker_seconds:g}) must be "
                f"more than NEWSDIGEST_WORKER_HEARTBEAT_SECONDS "
                f"({self.worker_heartbeat_seconds:g}): a live process would look dead"
            )
        return self

    def is_bot_admin(self, platform: str, user_id: str) -> bool:
        """Operators named in NEWSDIGEST_ADMINS may administer every chat."""
        return f"{platform}:{user_id}" in self.admins

    def is_chat_allowed(self, platform: str, chat_id: str, space_id: str | None = None) -> bool:
        """NEWSDIGEST_ALLOWED_CHATS: empty serves everyone; else the chat or its server."""
        if not self.allowed_chats:
            return True
        if f"{platform}:{chat_id}" in self.allowed_chats:
            return True
        return bool(space_id) and f"{platform}:{space_id}" in self.allowed_chats

    @property
    def catalogue(self) -> Catalogue:
        """The topics from NEWSDIGEST_CATALOGUE, validated when the settings loaded."""
        if self._catalogue is None:  # built without validation (model_construct)
            from config.catalogue import Catalogue

            return Catalogue()
        return self._catalogue

    def masked(self) -> dict[str, str]:
        """The effective settings with secrets shown only as their last characters."""
        shown: dict[str, str] = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            label = _env_name(field.validation_alias) or name
            if isinstance(value, SecretStr):
                secret = value.get_secret_value()
                shown[label] = f"***{secret[-4:]}" if len(secret) > 8 else "***"
            elif value is None:
                shown[label] = "(not set)"
            elif isinstance(value, list):
                shown[label] = ",".join(value) or "(none)"
            elif label == "DATABASE_URL":
                shown[label] = mask_database_url(value)
            else:
                shown[label] = str(value)
        return shown


class ConfigError(Exception):
    """Settings could not be loaded; the message is meant for the operator as is."""


def _env_name(alias: Any) -> str | None:
    if isinstance(alias, AliasChoices):
        first = alias.choices[0]
        return first if isinstance(first, str) else None
    return None


def normalise_database_url(url: str) -> str:
    """Pick the async driver for plain URLs so operators can paste the usual forms."""
    url = url.strip()
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError(
            "DATABASE_URL must be sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db"
        )
    return url


def mask_database_url(url: str) -> str:
    """Hide a password embedded in a database URL."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


def load_settings(**overrides: Any) -> Settings:
    """Load and validate settings, turning pydantic's report into one readable message."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"  {where}: {message}")
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from exc
