"""A reply's actions as Discord components, within Discord's limits (pure rendering)."""

from __future__ import annotations

from bot.models import Action, ActionRow, ActionStyle
from bot.platforms.callbacks import action_key, decode_action
from bot.platforms.discord.render import DiscordMessage, attach_actions, render_components

KEY = action_key("discord-token")


def buttons(count: int, command: str = "list") -> ActionRow:
    return ActionRow(tuple(Action(f"B{n}", command, (str(n),)) for n in range(count)))


def test_a_row_of_more_than_five_buttons_continues_on_the_next_row() -> None:
    rows = render_components((buttons(7),), KEY)
    assert [len(row["components"]) for row in rows] == [5, 2]
    assert all(row["type"] == 1 for row in rows)


def test_no_more_than_five_rows_and_twenty_five_options() -> None:
    menu = ActionRow(tuple(Action(f"O{n}", "settings", (str(n),)) for n in range(30)), "Pick")
    rows = render_components((buttons(20), menu, buttons(1, "help")), KEY)
    assert len(rows) == 5
    # The 20 buttons fill 4 rows, the menu the fifth: the last row is left out.
    assert rows[-1]["components"][0]["type"] == 3
    assert all(item.get("label") != "B0" for item in rows[-1]["components"])
    rows = render_components((menu,), KEY)
    assert len(rows[0]["components"][0]["options"]) == 25


def test_styles_labels_and_signed_ids() -> None:
    row = ActionRow(
        (
            Action("Delete " * 30, "unsubscribe", ("1",), ActionStyle.DANGER),
            Action("Next", "list", ("2",), ActionStyle.PRIMARY),
            Action("", "help"),
        )
    )
    [rendered] = render_components((row,), KEY)
    danger, primary, plain = rendered["components"]
    assert (danger["style"], primary["style"], plain["style"]) == (4, 1, 2)
    assert len(danger["label"]) <= 80
    assert plain["label"]  # Discord refuses a button without a label
    pressed = decode_action(danger["custom_id"], KEY)
    assert pressed is not None
    assert (pressed.command, pressed.args) == ("unsubscribe", ("1",))


def test_an_action_too_long_or_repeated_is_left_out_not_the_reply() -> None:
    row = ActionRow(
        (
            Action("Long", "filter", ("add", "w" * 200)),
            Action("Same", "list"),
            Action("Same again", "list"),
            Action("Unit\x1fseparator", "filter", ("a\x1fb",)),
        )
    )
    [rendered] = render_components((row,), KEY)
    assert [item["label"] for item in rendered["components"]] == ["Same"]
    assert render_components((ActionRow((Action("Long", "x", ("y" * 200,)),)),), KEY) == []


def test_components_go_under_the_last_message_only() -> None:
    messages = [DiscordMessage(content="one"), DiscordMessage(content="two")]
    out = attach_actions(messages, (buttons(1),), KEY)
    assert out[0].components == []
    assert out[1].components[0]["components"][0]["label"] == "B0"
    assert attach_actions(messages, (), KEY) == messages
