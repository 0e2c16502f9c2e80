"""The console's numbered options: what a reply's actions look like in a terminal."""

from __future__ import annotations

from bot.models import Action, ActionRow
from bot.platforms.console.render import numbered_actions


def test_actions_are_numbered_across_rows_and_choice_lists_sit_under_their_placeholder() -> None:
    choice = ActionRow(
        (Action("1. Alpha", "feed", ("id:4",)), Action("2. Beta", "feed", ("id:9",))),
        placeholder="Manage feed…",
    )
    paging = ActionRow((Action("Next ▶", "list", ("2",)),))
    actions, lines = numbered_actions((choice, ActionRow(()), paging))
    assert [a.args for a in actions] == [("id:4",), ("id:9",), ("2",)]
    assert lines == ["Manage feed…", "  [1] 1. Alpha", "  [2] 2. Beta", "[3] Next ▶"]
    assert numbered_actions(()) == ([], [])
