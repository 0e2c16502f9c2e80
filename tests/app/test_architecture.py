"""The import contract: which package may depend on which, pinned so the tree stays honest.

Read every module's imports (top level and inside functions) with ``ast`` and check:

- ``bot.news`` (fetch, parse, clean, summarise…) depends on nothing of the bot but
  ``bot.models``: it is a library the rest of the bot uses;
- ``bot.store`` depends only on ``bot.models`` (its migrations may use ``bot.news.links``
  to re-key stored rows);
- only ``bot.platforms`` talks to telegram or discord;
- the bot never imports the command layer, except where it is wired together
  (``bot.app``) and where commands arrive (``bot.platforms``);
- ``config`` depends on no code of the bot or the command layer;
- only ``bot.distributed`` talks to the job queue (procrastinate, psycopg), and the single
  process never loads it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import REPO

PACKAGES = ("bot", "handlers", "config")
PLATFORM_LIBRARIES = ("telegram", "discord")
QUEUE_LIBRARIES = ("procrastinate", "psycopg", "psycopg_pool")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            yield module_name(path), path
    yield "main", REPO / "main.py"


def imports_of(path: Path, name: str) -> set[str]:
    """Every module ``path`` imports, relative imports resolved."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
    return found


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


IMPORTS = {name: imports_of(path, name) for name, path in modules()}


def violations(rule) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(
        f"{module} imports {target}"
        for module, targets in IMPORTS.items()
        for target in targets
        if rule(module, target)
    )


def test_the_contract_sees_the_whole_tree() -> None:
    assert len(IMPORTS) > 60
    assert "bot.news.parse" in IMPORTS
    assert "bot.models" in IMPORTS["bot.news.parse"]


def test_news_pipeline_depends_only_on_the_models() -> None:
    def rule(module: str, target: str) -> bool:
        if not within(module, "bot.news"):
            return False
        ours = any(within(target, package) for package in PACKAGES)
        return ours and not (within(target, "bot.news") or target == "bot.models")

    assert violations(rule) == []


def test_the_store_depends_only_on_the_models() -> None:
    def rule(module: str, target: str) -> bool:
        if not within(module, "bot.store"):
            return False
        if within(module, "bot.store.migrations") and within(target, "bot.news.links"):
            return False
        ours = any(within(target, package) for package in PACKAGES)
        return ours and not (within(target, "bot.store") or target == "bot.models")

    assert violations(rule) == []


@pytest.mark.parametrize("library", PLATFORM_LIBRARIES)
def test_only_the_platform_adapters_import_the_chat_libraries(library: str) -> None:
    def rule(module: str, target: str) -> bool:
        return within(target, library) and not within(module, "bot.platforms")

    assert violations(rule) == []


def test_the_bot_core_never_imports_the_command_layer() -> None:
    def rule(module: str, target: str) -> bool:
        wiring = within(module, "bot.app") or within(module, "bot.platforms")
        return within(module, "bot") and not wiring and within(target, "handlers")

    assert violations(rule) == []


def test_configuration_imports_no_bot_code() -> None:
    def rule(module: str, target: str) -> bool:
        return within(module, "config") and (within(target, "bot") or within(target, "handlers"))

    assert violations(rule) == []


@pytest.mark.parametrize("library", QUEUE_LIBRARIES)
def test_only_the_distributed_roles_import_the_job_queue(library: str) -> None:
    def rule(module: str, target: str) -> bool:
        return within(target, library) and not within(module, "bot.distributed")

    assert violations(rule) == []


def test_the_single_process_never_loads_the_job_queue() -> None:
    """``python main.py`` (role all, SQLite) needs neither procrastinate nor psycopg."""
    code = (
        "import sys, main, bot.app.runner, bot.app.wiring\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {QUEUE_LIBRARIES!r})\n"
        "print(loaded)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_broken_rule_is_reported() -> None:
    """The checks can fail: a made-up import breaks the configuration rule."""
    IMPORTS["config.example_violation"] = {"bot.models"}
    try:
        assert violations(
            lambda module, target: within(module, "config") and within(target, "bot")
        ) == ["config.example_violation imports bot.models"]
    finally:
        del IMPORTS["config.example_violation"]
