"""Buttons and menus on Discord, pressed end to end: the real discord.py against the fake.

A reply's actions are posted as components; a press reaches the bot as a
MESSAGE_COMPONENT interaction over the fake gateway and runs the command it stands for,
as the presser, through the same checks as typing it. What is checked is what the chat
and the store show afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.models import Action, ActionRow, ActionStyle, ChatTarget
from bot.platforms.callbacks import action_key, decode_action, encode_action
from handlers.context import CommandContext
from handlers.model import Reply
from handlers.registry import ArgKind, ArgSpec, CommandSpec
from tests.fakes.discord_api import SEND_MESSAGES, FakeDiscordAPI
from tests.support.clock import FakeClock
from tests.support.discord import (
    CHANNEL,
    MANAGE_CHANNELS,
    NO_PERMISSIONS,
    DiscordHarness,
    component,
    settings_for,
    started,
    text_of,
)

TARGET = ChatTarget("discord", str(CHANNEL))
EPHEMERAL = 1 << 6


async def page(ctx: CommandContext) -> Reply:
    """A paged answer, as /list's pages will be: each page replaces the one pressed."""
    number = int(ctx.args[0]) if ctx.args else 1
    return Reply(
        text=f"Page {number}, pressed: {ctx.command.pressed}",
        actions=(ActionRow((Action("Next", "page", (str(number + 1),), ActionStyle.PRIMARY),)),),
        replaces_pressed=True,
    )


PAGE = CommandSpec(
    name="page",
    summary="Show a page",
    handler=page,
    args=(ArgSpec("number", "the page", ArgKind.INTEGER, required=False),),
)


async def slow_page(ctx: CommandContext) -> Reply:
    """/page for a command that fetches (acknowledged first, answered after)."""
    reply = await page(ctx)
    replaces = bool(ctx.args) and ctx.args[-1] == "in-place"
    return Reply(text=f"Slow {reply.text}", actions=reply.actions, replaces_pressed=replaces)


SLOW_PAGE = CommandSpec(
    name="slowpage",
    summary="Show a page after fetching",
    handler=slow_page,
    args=(ArgSpec("how", "the page", required=False, rest=True),),
    fetches=True,
)


@pytest.fixture
async def dcx(tmp_path: Path, clock: FakeClock) -> AsyncIterator[DiscordHarness]:
    """The bot with one command of the test's own (/page) that answers with a button."""
    async with (
        FakeDiscordAPI() as fake,
        started(fake, settings_for(fake, tmp_path), clock, extra=[PAGE, SLOW_PAGE]) as h,
    ):
        yield h


async def subscribed(h: DiscordHarness, *titles: str) -> None:
    store = h.app.services.store
    chat = await store.get_or_create_chat(TARGET)
    for number, title in enumerate(titles):
        feed = await store.get_or_create_feed(f"https://example.org/{number}.xml")
        await store.subscribe(chat.pk, feed.id, custom_title=title)


async def titles(h: DiscordHarness) -> list[str]:
    store = h.app.services.store
    chat = await store.get_or_create_chat(TARGET)
    return [sub.display_title for sub in await store.list_subscriptions(chat.pk)]


CONFIRM = Reply(
    text="Unsubscribe from BBC News?",
    actions=(
        ActionRow(
            (
                Action("Unsubscribe", "unsubscribe", ("1", "confirm"), ActionStyle.DANGER),
                Action("Keep it", "list"),
            )
        ),
        ActionRow(
            (
                Action("Full", "settings", ("layout", "full")),
                Action("Compact", "settings", ("layout", "compact")),
            ),
            placeholder="Layout",
        ),
    ),
)


async def posted(h: DiscordHarness, reply: Reply) -> dict:
    """``reply`` posted to the channel as the outbox posts a digest; the message."""
    [message_id] = await h.platform.send(TARGET, reply)
    message = h.fake.message(CHANNEL, int(message_id))
    assert message is not None
    return message


async def test_actions_are_buttons_and_a_menu_under_the_last_message(dc: DiscordHarness) -> None:
    message = await posted(dc, CONFIRM)
    buttons, menu = message["components"]
    assert [(b["label"], b["style"]) for b in buttons["components"]] == [
        ("Unsubscribe", 4),  # danger
        ("Keep it", 2),  # secondary
    ]
    key = action_key(dc.fake.token)
    pressed = decode_action(buttons["components"][0]["custom_id"], key)
    assert pressed is not None
    assert (pressed.command, pressed.args) == ("unsubscribe", ("1", "confirm"))
    [select] = menu["components"]
    assert select["type"] == 3
    assert select["placeholder"] == "Layout"
    assert [o["label"] for o in select["options"]] == ["Full", "Compact"]
    assert all(len(o["value"]) <= 100 for o in select["options"])


async def test_a_long_reply_carries_its_buttons_on_its_last_message(dc: DiscordHarness) -> None:
    lines = tuple(f"line {n} " + "x" * 90 for n in range(60))
    reply = Reply(text="Many lines", lines=lines, actions=CONFIRM.actions)
    ids = await dc.platform.send(TARGET, reply)
    messages = [dc.fake.message(CHANNEL, int(i)) for i in ids]
    assert len(messages) > 1
    assert all(not m["components"] for m in messages[:-1])  # type: ignore[index]
    assert messages[-1]["components"]  # type: ignore[index]


async def test_pressing_a_confirmation_runs_the_command_as_the_presser(
    dc: DiscordHarness,
) -> None:
    await subscribed(dc, "BBC News", "City News")
    message = await posted(dc, CONFIRM)
    [answer] = await dc.press(message, "Unsubscribe", permissions=MANAGE_CHANNELS)
    assert answer["type"] == 7  # the confirmation is replaced by its outcome
    assert not answer["ephemeral"]
    assert "Unsubscribed from BBC News" in text_of([answer])
    assert await titles(dc) == ["City News"]


async def test_picking_from_a_menu_changes_the_setting(dc: DiscordHarness) -> None:
    message = await posted(dc, CONFIRM)
    [answer] = await dc.press(message, "Layout", option="Compact", permissions=MANAGE_CHANNELS)
    assert "layout set to compact" in text_of([answer])
    services = dc.app.services
    chat = await services.store.get_or_create_chat(TARGET)
    assert services.composer.settings_for(chat).layout == "compact"


async def test_a_member_may_not_press_an_admin_action(dc: DiscordHarness) -> None:
    await subscribed(dc, "BBC News")
    message = await posted(dc, CONFIRM)
    [answer] = await dc.press(message, "Unsubscribe", user_id=43, permissions=SEND_MESSAGES)
    assert answer["ephemeral"]
    assert "Only administrators of this chat" in text_of([answer])
    assert await titles(dc) == ["BBC News"]
    # ... while anyone may press what anyone may type.
    [shown] = await dc.press(message, "Keep it", user_id=43, permissions=SEND_MESSAGES)
    assert "BBC News" in text_of([shown])


async def test_a_reader_who_cannot_post_here_cannot_make_the_bot_post(
    dc: DiscordHarness,
) -> None:
    """An announcement channel's readers see the buttons; a press must not post for them."""
    await subscribed(dc, "BBC News")
    message = await posted(dc, CONFIRM)
    before = len(dc.fake.channel_messages(CHANNEL))
    [answer] = await dc.press(message, "Keep it", user_id=43, permissions=NO_PERMISSIONS)
    assert answer["ephemeral"]
    assert "Only those who can post here can use these buttons." in text_of([answer])
    assert len(dc.fake.channel_messages(CHANNEL)) == before


@pytest.mark.parametrize(
    "forge",
    [
        lambda good: "unsubscribe 1",  # not ours at all
        lambda good: good[:-1] + ("x" if good[-1] != "x" else "y"),  # an argument altered
        lambda good: encode_action(
            Action("x", "unsubscribe", ("1",)), action_key("another token"), limit=100
        ),
    ],
    ids=["plain", "altered", "other-bot"],
)
async def test_a_forged_button_is_answered_politely_and_runs_nothing(
    dc: DiscordHarness, forge: object
) -> None:
    await subscribed(dc, "BBC News")
    message = await posted(dc, CONFIRM)
    good = component(message, "Unsubscribe")["custom_id"]
    forged = forge(good)  # type: ignore[operator]
    interaction = await dc.fake.press(message, forged, permissions=MANAGE_CHANNELS, check=False)
    [answer] = await interaction.wait_response()
    assert answer["ephemeral"]
    assert text_of([answer]).endswith("This button is no longer valid.")
    assert await titles(dc) == ["BBC News"]


async def test_a_page_replaces_the_message_pressed(dcx: DiscordHarness) -> None:
    first = await dcx.slash("page")
    assert "Page 1, pressed: False" in text_of(first)
    message = first[0]["message"]
    before = len(dcx.fake.channel_messages(CHANNEL))
    [update] = await dcx.press(message, "Next", user_id=43, permissions=SEND_MESSAGES)
    assert update["type"] == 7  # UPDATE_MESSAGE
    now = dcx.fake.message(CHANNEL, int(message["id"]))
    assert now is not None
    assert now["content"] == "Page 2, pressed: True"
    # ... with the next page's button, which works in turn.
    [again] = await dcx.press(now, "Next", user_id=43, permissions=SEND_MESSAGES)
    assert again["type"] == 7
    assert dcx.fake.message(CHANNEL, int(message["id"]))["content"].startswith("Page 3")  # type: ignore[index]
    assert len(dcx.fake.channel_messages(CHANNEL)) == before


async def test_buttons_of_a_digest_sent_before_a_restart_still_work(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with FakeDiscordAPI() as fake:
        settings = settings_for(fake, tmp_path)
        async with started(fake, settings, clock) as before:
            await subscribed(before, "BBC News", "City News")
            message = await posted(before, CONFIRM)
        async with started(fake, settings, clock) as after:  # a new process, nothing in memory
            [answer] = await after.press(message, "Unsubscribe", permissions=MANAGE_CHANNELS)
            assert "Unsubscribed from BBC News" in text_of([answer])
            assert await titles(after) == ["City News"]


async def test_a_press_whose_interaction_expired_is_answered_in_the_channel(
    dc: DiscordHarness,
) -> None:
    await subscribed(dc, "BBC News", "City News")
    message = await posted(dc, CONFIRM)
    dc.fake.fail_next(
        "POST", r"/interactions/\d+/[^/]+/callback", status=404, code=10062, message="Unknown"
    )
    before = len(dc.fake.channel_messages(CHANNEL))
    interaction = await dc.fake.press(
        message, component(message, "Unsubscribe")["custom_id"], permissions=MANAGE_CHANNELS
    )
    await dc.fake.wait_until(lambda: len(dc.fake.channel_messages(CHANNEL)) > before)
    assert not interaction.acknowledged
    assert "Unsubscribed from BBC News" in dc.fake.channel_messages(CHANNEL)[-1]["content"]
    assert await titles(dc) == ["City News"]
    chat = await dc.app.services.store.find_chat(TARGET)
    assert chat is not None
    assert chat.active


@pytest.mark.parametrize("in_place", [False, True])
async def test_a_press_that_fetches_is_acknowledged_first(
    dcx: DiscordHarness, in_place: bool
) -> None:
    how = ("1", "in-place") if in_place else ("1",)
    reply = Reply(text="Refresh?", actions=(ActionRow((Action("Refresh", "slowpage", how),)),))
    message = await posted(dcx, reply)
    before = len(dcx.fake.channel_messages(CHANNEL))
    responses = await dcx.press(message, "Refresh", permissions=MANAGE_CHANNELS)
    assert responses[0]["type"] == 6  # DEFERRED_UPDATE_MESSAGE: no "thinking" placeholder
    pressed = dcx.fake.message(CHANNEL, int(message["id"]))
    assert pressed is not None
    if in_place:
        assert [r["kind"] for r in responses] == ["callback", "edit_original"]
        assert pressed["content"] == "Slow Page 1, pressed: True"
        assert component(pressed, "Next")
    else:
        assert [r["kind"] for r in responses] == ["callback", "followup"]
        assert pressed["content"] == "Refresh?"
        assert responses[1]["message"]["content"] == "Slow Page 1, pressed: True"
    assert len(dcx.fake.channel_messages(CHANNEL)) == before


async def test_a_channel_the_operator_did_not_allow_runs_no_press_and_gets_no_suggestions(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with FakeDiscordAPI() as fake:
        settings = settings_for(fake, tmp_path, allowed_chats=["discord:7777"])
        async with started(fake, settings, clock) as h:
            await subscribed(h, "BBC News")
            message = await posted(h, CONFIRM)  # sent before the operator narrowed the list
            [answer] = await h.press(message, "Unsubscribe", permissions=MANAGE_CHANNELS)
            assert answer["ephemeral"]
            assert "Unsubscribed" not in text_of([answer])
            assert await titles(h) == ["BBC News"]
            suggestions = await fake.autocomplete("unsubscribe", "target", "bb")
            await suggestions.wait_response()
            assert suggestions.choices == []
