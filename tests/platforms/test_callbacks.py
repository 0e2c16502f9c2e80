"""Actions survive the trip through a platform's callback string, and nothing else does."""

from __future__ import annotations

import pytest

from bot.models import Action
from bot.platforms.callbacks import (
    DISCORD_LIMIT,
    TELEGRAM_LIMIT,
    ActionTooLong,
    Pressed,
    action_key,
    decode_action,
    encode_action,
)

KEY = action_key("123:token")


def test_an_action_round_trips_with_spaces_and_unicode_in_its_arguments() -> None:
    action = Action(label="x", command="filter", args=("add", "élection results", "Ω"))
    data = encode_action(action, KEY, limit=TELEGRAM_LIMIT)
    assert decode_action(data, KEY) == Pressed("filter", ("add", "élection results", "Ω"))


def test_a_press_signed_with_another_token_or_altered_is_not_ours() -> None:
    data = encode_action(Action("x", "unsubscribe", ("3",)), KEY, limit=TELEGRAM_LIMIT)
    assert decode_action(data, action_key("other:token")) is None
    forged = data[:-1] + "4"
    assert decode_action(forged, KEY) is None
    assert decode_action("", KEY) is None
    assert decode_action("short", KEY) is None


def test_the_limit_counts_utf8_bytes_and_refuses_what_does_not_fit() -> None:
    fits = Action("x", "c", ("a" * (TELEGRAM_LIMIT - 8 - 2),))
    assert len(encode_action(fits, KEY, limit=TELEGRAM_LIMIT).encode()) == TELEGRAM_LIMIT
    with pytest.raises(ActionTooLong):
        encode_action(Action("x", "c", ("é" * 28,)), KEY, limit=TELEGRAM_LIMIT)
    encode_action(Action("x", "c", ("é" * 28,)), KEY, limit=DISCORD_LIMIT * 2)


def test_an_argument_holding_the_separator_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot carry"):
        encode_action(Action("x", "c", ("a\x1fb",)), KEY, limit=TELEGRAM_LIMIT)
