"""Clear errors, never a traceback: bad input to the command line, a bad configuration, a
token the platform refuses. One line naming the problem and the fix, a non-zero exit, and
never a secret in the output.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.news.opml import OPMLFeed, build_opml
from tests.app.test_cli import run_main
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support import REPO
from tests.support.telegram import free_port

ARTICLE = "The council met on Monday. It approved the budget. The mayor was pleased."


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed command printed (stderr), checked to be one line."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--sentences", "-2"), "--sentences must be between 1 and 10, not -2"),
        (("--sentences", "0"), "--sentences must be between 1 and 10, not 0"),
        (("--language", "klingon"), "--language 'klingon' is not a language"),
        (("--algorithm", "magic"), "magic"),
    ],
)
def test_summarise_refuses_bad_options_in_one_line(
    args: tuple[str, ...], says: str, tmp_path: Path
) -> None:
    result = run_main("summarise", *args, "-", cwd=tmp_path, stdin=ARTICLE)
    assert result.returncode == 2
    assert says in error_line(result)


def test_summarise_accepts_a_language_it_cannot_stem(tmp_path: Path) -> None:
    """Vietnamese is summarised without stemming: known, so accepted."""
    result = run_main("summarise", "--language", "vi", "-", cwd=tmp_path, stdin=ARTICLE)
    assert result.returncode == 0, result.stderr


def test_summarise_refuses_a_binary_file(tmp_path: Path) -> None:
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)))
    result = run_main("summarise", str(binary), cwd=tmp_path)
    assert result.returncode == 2
    assert "is not UTF-8 text" in error_line(result)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('{"id": 1, "article": 123}', 'line 1: "article" must be text, not int'),
        ('{"id": 1}', 'line 1: expected {"id"'),
        ("not json", "line 1: not JSON"),
    ],
)
def test_summarise_jsonl_names_the_bad_line(line: str, says: str, tmp_path: Path) -> None:
    result = run_main("summarise", "--jsonl", "-", cwd=tmp_path, stdin=line + "\n")
    assert result.returncode == 2
    assert says in error_line(result)


def test_digest_of_an_opml_file_says_what_it_is(tmp_path: Path) -> None:
    opml = tmp_path / "subscriptions.opml"
    opml.write_bytes(build_opml([OPMLFeed("https://a.example/feed", "A")], title="mine"))
    result = run_main("digest", str(opml), cwd=tmp_path)
    assert result.returncode == 1
    line = error_line(result)
    assert "OPML list of feeds" in line
    assert "HTML" not in line


def environment(**settings: str) -> dict[str, str]:
    """This process's environment without any bot setting, plus ``settings``."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DISCORD_", "NEWSDIGEST_", "DATABASE_URL"))
    }
    return {**base, **settings}


def run_with_env(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment(**env),
        timeout=120,
        check=False,
    )


def test_check_config_refuses_a_poll_range_upside_down(tmp_path: Path) -> None:
    env = {"NEWSDIGEST_MIN_POLL_SECONDS": "7200", "NEWSDIGEST_MAX_POLL_SECONDS": "600"}
    result = run_with_env("check-config", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "NEWSDIGEST_MIN_POLL_SECONDS (7200) is more than NEWSDIGEST_MAX_POLL_SECONDS (600)" in (
        result.stderr
    )
    assert "Value error" not in result.stderr


def test_the_example_env_uncommented_as_it_stands_is_a_valid_configuration(
    tmp_path: Path,
) -> None:
    """`NAME=` lines (config/example.env with its comment marks removed) mean unset."""
    example = (REPO / "config" / "example.env").read_text(encoding="utf-8")
    uncommented = "\n".join(
        line.removeprefix("# ") if line.startswith("# ") and "=" in line.split()[1] else line
        for line in example.splitlines()
        if line.strip()
    )
    (tmp_path / ".env").write_text(uncommented + "\n", encoding="utf-8")
    assert "NEWSDIGEST_SUMMARY_ALGORITHM=" in uncommented
    result = run_with_env("check-config", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout


def test_an_unknown_platform_in_the_admin_list_is_a_config_error(tmp_path: Path) -> None:
    result = run_with_env("check-config", env={"NEWSDIGEST_ADMINS": "slack:1"}, cwd=tmp_path)
    assert result.returncode == 1
    assert "'slack:1' names no platform" in result.stderr


async def test_a_refused_telegram_token_is_one_line_and_never_printed(tmp_path: Path) -> None:
    async with FakeTelegramAPI() as api:
        wrong = "999999:this-token-is-wrong-and-secret"
        env = {
            "TELEGRAM_BOT_TOKEN": wrong,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            "NEWSDIGEST_LOG_LEVEL": "DEBUG",  # even at DEBUG the token stays out of the log
        }
        result = await _run_async("run", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Error: TELEGRAM_BOT_TOKEN was refused by Telegram" in result.stderr
    assert wrong not in result.stderr + result.stdout
    assert "this-token-is-wrong" not in result.stderr


async def test_an_unreachable_telegram_api_is_one_line(tmp_path: Path) -> None:
    token = "123456:ABCdefGhIJKlmnoPQRstuvWXyz0123456789"
    env = {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "NEWSDIGEST_LOG_LEVEL": "WARNING",
    }
    result = await _run_async("run", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "Error: could not reach the Telegram Bot API at 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr
    assert token not in result.stderr


async def _run_async(
    *args: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """main.py in a subprocess while this event loop keeps serving the fake API."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(REPO / "main.py"),
        *args,
        cwd=cwd,
        env=environment(**env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return subprocess.CompletedProcess(
        list(args), process.returncode or 0, out.decode(), err.decode()
    )
