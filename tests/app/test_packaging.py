"""`pip install .` gives a working bot: every module, the migrations, the bundled data and a
``newsdigest`` command, runnable from any directory.

The wheel is built from this tree without fetching anything (no build isolation; the
build backend is already installed), installed into a folder of its own without its
dependencies (they are this environment's), and run from outside the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        cwd=build,
        capture_output=True,
        env={**os.environ, "TMPDIR": str(build)},
    )
    [built] = out.glob("newsdigest-*.whl")
    return built


def test_the_wheel_carries_code_migrations_data_and_the_command(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "main.py",
        "bot/store/migrations/env.py",
        "bot/store/migrations/script.py.mako",
        "bot/store/migrations/versions/0001_initial_schema.py",
        "bot/platforms/telegram/adapter.py",
        "handlers/commands/subscriptions.py",
        "config/sample-feed.xml",
        "config/catalogue.toml",
        "bot/i18n/locales/ru/LC_MESSAGES/newsdigest.po",
        "bot/i18n/locales/zh_Hans/LC_MESSAGES/newsdigest.po",
    ):
        assert needed in names, needed
    assert not any(name.startswith("tests/") for name in names)
    [entry_points] = [n for n in names if n.endswith("entry_points.txt")]
    assert "newsdigest = main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    [metadata] = [n for n in names if n.endswith("METADATA")]
    requires = zipfile.ZipFile(wheel).read(metadata).decode()
    for direct in ("numpy==", "yarl==", "sumy==", "discord.py==", "APScheduler==", "babel=="):
        assert f"Requires-Dist: {direct}" in requires


def test_the_installed_command_runs_the_demo_from_anywhere(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, str(target / "bin" / "newsdigest"), "demo"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "new stories" in result.stdout or "News digest" in result.stdout
    assert str(REPO) not in result.stdout
