"""Settings: the environment names are a contract, secrets never print, bad values fail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import DEFAULT_DATABASE_URL, ConfigError, load_settings
from tests.support import REPO


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.allow_private_urls is False
    assert settings.default_timezone == "UTC"
    assert settings.min_poll_seconds == 600
    assert settings.telegram_bot_token is None


def test_contract_environment_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:secret-token-value")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "discord-secret-token")
    monkeypatch.setenv("DISCORD_API_BASE_URL", "http://127.0.0.1:9/api/v10")
    monkeypatch.setenv("DISCORD_GATEWAY_URL", "ws://127.0.0.1:9/")
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:pw@db.internal/news")
    monkeypatch.setenv("NEWSDIGEST_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("NEWSDIGEST_ADMINS", "telegram:42, discord:7")
    monkeypatch.setenv("NEWSDIGEST_DEFAULT_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("NEWSDIGEST_MIN_POLL_SECONDS", "2")
    settings = load_settings()
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123456:secret-token-value"
    assert settings.telegram_api_base_url == "http://127.0.0.1:9/bot"
    assert settings.discord_api_base_url == "http://127.0.0.1:9/api/v10"
    assert settings.discord_gateway_url == "ws://127.0.0.1:9/"
    assert settings.database_url == "postgresql+asyncpg://bot:pw@db.internal/news"
    assert settings.allow_private_urls is True
    assert settings.admins == ["telegram:42", "discord:7"]
    assert settings.is_bot_admin("telegram", "42")
    assert not settings.is_bot_admin("discord", "42")
    assert settings.default_timezone == "Europe/Berlin"
    assert settings.min_poll_seconds == 2
    masked = settings.masked()
    assert "secret-token" not in str(masked)
    assert masked["DATABASE_URL"] == "postgresql+asyncpg://bot:***@db.internal/news"


def test_toml_file_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "newsdigest.toml"
    config.write_text('default_timezone = "Asia/Tokyo"\nmin_poll_seconds = 900\n')
    monkeypatch.setenv("NEWSDIGEST_CONFIG", str(config))
    monkeypatch.setenv("NEWSDIGEST_MIN_POLL_SECONDS", "1200")
    settings = load_settings()
    assert settings.default_timezone == "Asia/Tokyo"
    assert settings.min_poll_seconds == 1200


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("NEWSDIGEST_DEFAULT_TIMEZONE=America/New_York\n")
    assert load_settings().default_timezone == "America/New_York"


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("NEWSDIGEST_DEFAULT_TIMEZONE", "Mars/Olympus", "IANA time zone"),
        ("NEWSDIGEST_MIN_POLL_SECONDS", "0", "greater than or equal to 1"),
        ("NEWSDIGEST_ADMINS", "someone", "platform:user_id"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL must be"),
        ("NEWSDIGEST_ALLOW_PRIVATE_URLS", "maybe", "valid boolean"),
        ("DISCORD_SHARD_IDS", "0", "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT"),
    ],
)
def test_invalid_values_fail_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, complaint: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert complaint in str(info.value)


def test_discord_shards_a_process_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings().discord_shard_ids is None  # all shards, counted by Discord
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "3, 1")
    settings = load_settings()
    assert (settings.discord_shard_count, settings.discord_shard_ids) == (4, [1, 3])
    for ids, complaint in (("1,4", "not between 0 and 3"), ("2,2", "names a shard twice")):
        monkeypatch.setenv("DISCORD_SHARD_IDS", ids)
        with pytest.raises(ConfigError, match=complaint):
            load_settings()


def test_missing_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSDIGEST_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="no such file"):
        load_settings()


def _run_check_config(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), "check-config"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=60,
        check=False,
    )


def test_check_config_masks_secrets(tmp_path: Path) -> None:
    result = _run_check_config({"TELEGRAM_BOT_TOKEN": "123456:very-secret-value"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "very-secret" not in result.stdout
    assert "TELEGRAM_BOT_TOKEN" in result.stdout
    assert "***alue" in result.stdout
    assert "configuration OK" in result.stdout


def test_check_config_rejects_invalid_values(tmp_path: Path) -> None:
    result = _run_check_config({"NEWSDIGEST_DEFAULT_TIMEZONE": "Nowhere/Land"}, tmp_path)
    assert result.returncode == 1
    assert "Configuration error" in result.stderr
    assert "Nowhere/Land" in result.stderr


def test_choices_only_the_bot_knows_are_checked_at_start() -> None:
    """Platform names come from the platform registry and algorithm names from the
    summariser, so config carries no copy of either list; the wiring checks them."""
    from bot.app.wiring import check_choices
    from bot.platforms.registry import platform_names

    settings = load_settings(
        _env_file=None, admins=["slack:1", "telegram:2"], summary_algorithm="Klingon"
    )
    with pytest.raises(ConfigError) as refused:
        check_choices(settings)
    message = str(refused.value)
    assert "NEWSDIGEST_ADMINS: 'slack:1' names no platform" in message
    assert "NEWSDIGEST_SUMMARY_ALGORITHM: 'klingon' is not one of" in message
    assert "telegram:2" not in message
    check_choices(load_settings(_env_file=None, admins=[f"{name}:1" for name in platform_names()]))


def test_an_empty_algorithm_setting_means_the_default() -> None:
    """`NEWSDIGEST_SUMMARY_ALGORITHM=` (uncommented from example.env) is unset, not an error."""
    assert load_settings(_env_file=None, summary_algorithm="  ").summary_algorithm is None
