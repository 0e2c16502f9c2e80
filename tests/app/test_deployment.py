"""The container image and the compose file say what the code accepts.

Nothing here builds an image (that needs a container registry); what can rot silently is
checked instead: every command the files run parses with main.py's own parser and suits
the database it is given, every setting they set exists, every package the bot imports is
copied into the image, and the health check asks the port the server listens on.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

from config.settings import Settings
from main import build_parser, role_needs_postgresql
from tests.support import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))


def known_settings() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        for choice in getattr(alias, "choices", [alias]):
            if isinstance(choice, str):
                names.add(choice)
    return names


def dockerfile_env() -> dict[str, str]:
    """ENV instructions (with continuation lines) as a mapping."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    env: dict[str, str] = {}
    for line in joined.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def json_instruction(name: str) -> list[str]:
    [line] = [line for line in DOCKERFILE.splitlines() if line.startswith(name + " ")]
    return json.loads(line[len(name) + 1 :])


def bot_services() -> dict[str, dict]:
    return {name: spec for name, spec in COMPOSE["services"].items() if "build" in spec}


def test_the_image_runs_main_py_and_its_default_command_suits_its_default_database() -> None:
    assert json_instruction("ENTRYPOINT") == ["python", "main.py"]
    args = build_parser().parse_args(json_instruction("CMD"))
    assert args.command == "run"
    assert role_needs_postgresql(args.role, dockerfile_env()["DATABASE_URL"]) is None


def test_the_image_sets_only_settings_that_exist() -> None:
    bot_settings = {name for name in dockerfile_env() if not name.startswith(("PYTHON", "PIP"))}
    assert bot_settings <= known_settings()


def test_the_image_copies_every_package_the_bot_imports() -> None:
    copied = set(re.findall(r"^COPY (\S+) ", DOCKERFILE, re.MULTILINE))
    packages = {path.name for path in REPO.iterdir() if (path / "__init__.py").exists()}
    assert packages - {"tests", "bench"} <= copied
    assert "main.py" in copied


def test_the_health_check_asks_the_port_the_server_listens_on() -> None:
    env = dockerfile_env()
    [check] = [line for line in DOCKERFILE.splitlines() if "/healthz" in line]
    assert f"127.0.0.1:{env['NEWSDIGEST_HEALTH_PORT']}/healthz" in check
    assert env["NEWSDIGEST_HEALTH_HOST"] == "0.0.0.0"
    assert f"EXPOSE {env['NEWSDIGEST_HEALTH_PORT']}" in DOCKERFILE


def test_compose_runs_one_gateway_and_workers_on_postgresql() -> None:
    services = bot_services()
    roles = {}
    for name, spec in services.items():
        args = build_parser().parse_args(spec["command"])
        database_url = spec["environment"]["DATABASE_URL"]
        assert role_needs_postgresql(args.role, database_url) is None, name
        assert set(spec["environment"]) <= known_settings(), name
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
        roles[args.role] = spec
    assert set(roles) == {"gateway", "worker"}
    assert "deploy" not in roles["gateway"]  # one gateway: it owns the bot tokens
    assert roles["worker"]["deploy"]["replicas"] >= 2
    postgres = COMPOSE["services"]["postgres"]["environment"]
    url = roles["worker"]["environment"]["DATABASE_URL"]
    expected = (
        f"postgresql://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{postgres['POSTGRES_DB']}"
    )
    assert url == expected


def compose_command() -> list[str] | None:
    """``docker compose`` (the plugin) or ``docker-compose``, whichever is installed."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False, timeout=60
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy is not None else None


def test_docker_compose_accepts_the_compose_file() -> None:
    """Compose's own validation (no daemon needed), where Compose is installed."""
    command = compose_command()
    if command is None:
        pytest.skip("Docker Compose is not installed")
    result = subprocess.run(
        [*command, "-f", str(REPO / "compose.yaml"), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
