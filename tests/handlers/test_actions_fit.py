"""Every action a handler can produce fits Telegram's 64 bytes of callback_data, names a
registered command with arguments that command accepts, and survives the outbox."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from bot.delivery.payloads import payload_to_reply, reply_to_payload
from bot.digest.chat_settings import ChatSettings
from bot.digest.composer import show_more
from bot.models import Action, ActionRow, ActionStyle, Feed, Reply, Subscription
from bot.platforms.callbacks import TELEGRAM_LIMIT, action_key, decode_action, encode_action
from handlers.builtin import build_registry
from handlers.commands.manage import feed_actions
from handlers.commands.settings import ALGORITHM_CHOICES, settings_actions
from handlers.commands.subscriptions import (
    confirm_all_actions,
    confirm_one_actions,
    list_actions,
)

BIGGEST_ID = 2**63 - 1  # the largest id a BIGINT column holds
BIGGEST_PAGE = 10**18 - 1  # the largest number a command reads (handlers.lookup)


def _worst_subscription(muted: bool, full_text: bool) -> Subscription:
    feed = Feed(
        id=BIGGEST_ID,
        url="https://" + "x" * 2000 + ".example/feed",
        title="\u202e" + "Ж" * 500 + "\x00",
        site_url=None,
        language=None,
        etag=None,
        last_modified=None,
        disabled=False,
        last_error=None,
        full_text=full_text,
    )
    return Subscription(
        id=BIGGEST_ID, position=BIGGEST_PAGE, feed=feed, custom_title=None, muted=muted
    )


def _every_action() -> list[Action]:
    rows: list[ActionRow] = [*show_more("en"), *confirm_all_actions()]
    for muted, full_text in itertools.product((False, True), repeat=2):
        sub = _worst_subscription(muted, full_text)
        rows += list_actions([sub] * 10, page=BIGGEST_PAGE - 1, pages=BIGGEST_PAGE)
        rows += list_actions([sub], page=2, pages=3)
        rows += feed_actions(sub, may_fulltext=True, page=BIGGEST_PAGE)
        rows += confirm_one_actions(sub)
    for previews, silent, algorithm in itertools.product(
        (False, True), (False, True), ALGORITHM_CHOICES
    ):
        current = ChatSettings(
            sentences=5,
            items=10**6,
            layout="compact",
            previews=previews,
            silent=silent,
            algorithm=algorithm,
        )
        rows += settings_actions(current)
    unique = {(a.command, a.args, a.label): a for row in rows for a in row.actions}
    return list(unique.values())


def test_the_walk_covers_every_kind_of_action() -> None:
    commands = {action.command for action in _every_action()}
    assert commands == {"digest", "unsubscribe", "list", "feed", "mute", "unmute", "fulltext",
                        "filter", "settings"}  # fmt: skip


@pytest.mark.parametrize("action", _every_action(), ids=lambda a: f"{a.command}-{a.args}")
def test_every_action_fits_telegram_and_is_a_command_its_handler_accepts(action: Action) -> None:
    key = action_key("123456:" + "T" * 40)
    data = encode_action(action, key, limit=TELEGRAM_LIMIT)  # raises past 64 bytes
    pressed = decode_action(data, key)
    assert pressed is not None
    assert (pressed.command, pressed.args) == (action.command, action.args)
    spec = build_registry().get(action.command)
    assert spec is not None
    assert spec.check_args(action.args) is None
    assert 0 < len(action.label) <= 64


def test_actions_survive_the_outbox_and_old_rows_read_without_them() -> None:
    rows = (
        ActionRow((Action("Show more", "digest"),)),
        ActionRow(
            (Action("Drop", "unsubscribe", ("id:7", "confirm"), ActionStyle.DANGER),),
            placeholder="Manage feed…",
        ),
    )
    reply = Reply(text="3 new stories.", actions=rows)
    assert payload_to_reply(reply_to_payload(reply)).actions == rows
    old = reply_to_payload(replace(reply, actions=()))
    del old["actions"]  # a row written before replies had actions
    assert payload_to_reply(old).actions == ()
