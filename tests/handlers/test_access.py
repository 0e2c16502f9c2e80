"""Access is declared on each command and checked once by the registry, never by handlers.

A group member may look at the schedule, the settings and the filters, but only the chat's
administrators may change them; operators' commands refuse everyone else; /help says who
may do what, from the same declarations.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import ChatTarget
from handlers.model import Command, User
from handlers.registry import Access
from tests.support.clock import FakeClock
from tests.support.console import console_bot_with

GROUP = ChatTarget("telegram", "-100")


def member(name: str, *args: str) -> Command:
    return Command("telegram", GROUP, User("5"), name, args=args, is_admin=False)


@pytest.mark.parametrize(
    ("name", "look", "change", "refusal"),
    [
        ("schedule", (), ("08:00",), "can change the schedule"),
        ("timezone", (), ("Europe/Berlin",), "can change the time zone"),
        ("settings", ("layout",), ("layout", "compact"), "can change its settings"),
        ("filter", ("list",), ("add", "exclude", "sport"), "can change the filters"),
        ("filter", (), ("exclude", "sport"), "can change the filters"),
    ],
)
async def test_members_may_look_but_not_change(
    name: str,
    look: tuple[str, ...],
    change: tuple[str, ...],
    refusal: str,
    database_url: str,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    async with console_bot_with(database_url, clock, tmp_path) as bot:
        app = bot.app
        shown = await app.registry.dispatch(app.services, member(name, *look))
        assert not shown.is_error, shown
        refused = await app.registry.dispatch(app.services, member(name, *change))
        assert refused.is_error
        assert f"Only administrators of this chat {refusal}" in refused.text
        chat = await app.services.store.find_chat(GROUP)
        assert chat is not None
        assert chat.settings == {}  # nothing changed


@pytest.mark.parametrize("name", ["stats", "fulltext"])
async def test_operator_commands_refuse_chat_admins(
    name: str, database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    async with console_bot_with(database_url, clock, tmp_path) as bot:
        app = bot.app
        admin = Command("telegram", GROUP, User("5"), name, args=("1",), is_admin=True)
        refused = await app.registry.dispatch(app.services, admin)
        assert refused.is_error
        assert "for the operators of this bot only" in refused.text
        assert await app.services.store.find_chat(GROUP) is None  # refused before loading


async def test_help_says_who_may_use_each_command(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    async with console_bot_with(database_url, clock, tmp_path) as bot:
        for spec in bot.app.registry.all():
            out = await bot.say(f"/help {spec.name}")
            note = spec.access_note()
            if note is None:  # anyone may do anything it does: no restriction is claimed
                assert "can use it" not in out
                assert "can change it" not in out
            else:
                assert note in out
        assert "Anyone can see the schedule; in groups, only chat administrators" in (
            await bot.say("/help schedule")
        )
        specs = {spec.name: spec for spec in bot.app.registry.all()}
        assert specs["subscribe"].access is Access.CHAT_ADMIN
        assert specs["stats"].access is Access.OPERATOR
        assert specs["list"].access is Access.ANYONE
