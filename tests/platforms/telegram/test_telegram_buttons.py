"""Inline buttons end to end: the real python-telegram-bot against the fake Bot API.

Each test presses buttons the bot sent (the fake keeps every message's inline keyboard and
delivers the press as a callback query) and checks what the chat then shows (an edited
message, a new one, an alert) and what the store holds.
"""

from __future__ import annotations

from pathlib import Path

from bot.models import Action, ChatTarget
from bot.platforms.callbacks import TELEGRAM_LIMIT, action_key, encode_action
from tests.fakes.telegram_api import FakeTelegramAPI, RecordedCall
from tests.support.clock import FakeClock
from tests.support.feeds import FeedServer, rss_feed, stories
from tests.support.telegram import (
    ADMIN,
    GROUP,
    MEMBER,
    TelegramHarness,
    settings_for,
    started,
)


def _methods(calls: list[RecordedCall]) -> list[str]:
    return [call.method for call in calls if call.method != "getUpdates"]


def _edited(calls: list[RecordedCall]) -> str:
    [edit] = [call for call in calls if call.method == "editMessageText"]
    assert edit.ok, edit.response
    return str(edit.params["text"])


def _answer(calls: list[RecordedCall]) -> dict:
    [answer] = [call for call in calls if call.method == "answerCallbackQuery"]
    assert answer.ok, answer.response
    return answer.params


async def _follow(tg: TelegramHarness, server: FeedServer, *names: str, **where: int) -> None:
    for name in names:
        url = server.serve(f"/{name}.xml", rss_feed(stories(1, prefix=name), title=name))
        [answer] = await tg.command(f"/subscribe {url}", **where)
        assert "Subscribed to" in answer["text"]


async def _titles(tg: TelegramHarness, chat_id: int = 1001) -> list[str]:
    store = tg.app.services.store
    chat = await store.get_or_create_chat(ChatTarget("telegram", str(chat_id)))
    return [sub.display_title for sub in await store.list_subscriptions(chat.pk)]


async def test_unsubscribe_from_the_list_asks_then_removes(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    await _follow(tg, feed_server, "Alpha", "Beta")
    [listing] = await tg.command("/list")
    assert listing["reply_markup"]["inline_keyboard"][0][0]["text"] == "1. Alpha"
    message_id = tg.last_message_id()
    card = _edited(await tg.press(message_id, "2. Beta"))
    assert card.startswith("2. Beta")
    calls = await tg.press(message_id, "Unsubscribe…")
    assert "Unsubscribe from Beta?" in _edited(calls)
    assert "sendMessage" not in _methods(calls)  # the question replaced the card
    assert await _titles(tg) == ["Alpha", "Beta"]
    assert set(tg.buttons(message_id)) == {"Unsubscribe", "Cancel"}
    calls = await tg.press(message_id, "Unsubscribe")
    assert "Unsubscribed from Beta." in _edited(calls)
    assert _answer(calls).get("show_alert") is not True
    assert await _titles(tg) == ["Alpha"]


async def test_a_settings_toggle_edits_the_message_and_changes_the_setting(
    tg: TelegramHarness,
) -> None:
    await tg.command("/settings")
    message_id = tg.last_message_id()
    calls = await tg.press(message_id, "Previews: off → on")
    text = _edited(calls)
    assert text.startswith("previews set to on.")
    assert "previews: on" in text
    assert "Previews: on → off" in tg.buttons(message_id)
    chat = await tg.app.services.store.get_or_create_chat(ChatTarget("telegram", "1001"))
    assert tg.app.services.composer.settings_for(chat).previews is True
    _edited(await tg.press(message_id, "layout: compact"))
    chat = await tg.app.services.store.get_or_create_chat(ChatTarget("telegram", "1001"))
    assert tg.app.services.composer.settings_for(chat).layout == "compact"


async def test_list_pages_with_previous_and_next(
    fake: FakeTelegramAPI, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    settings = settings_for(fake, tmp_path, command_rate_per_minute=0)
    async with started(fake, settings, clock) as tg:
        await _follow(tg, feed_server, *[f"Feed{n:02d}" for n in range(1, 13)])
        [listing] = await tg.command("/list")
        assert "Page 1 of 2." in listing["text"]
        message_id = tg.last_message_id()
        assert "11. Feed11" not in tg.buttons(message_id)
        page2 = _edited(await tg.press(message_id, "Next"))
        assert "11. Feed11" in page2
        assert "Page 2 of 2." in page2
        assert "11. Feed11" in tg.buttons(message_id)
        assert "Next ▶" not in tg.buttons(message_id)
        page1 = _edited(await tg.press(message_id, "◀ Previous"))
        assert "1. Feed01" in page1


async def test_show_more_under_a_capped_digest_posts_the_rest(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    await _follow(tg, feed_server, "Busy")  # Busy 1 is the backlog, marked read
    cap = tg.app.settings.digest_max_items
    numbers = range(1, cap + 3)  # one page of stories and two more, long enough to split
    feed_server.serve(
        "/Busy.xml", rss_feed(stories(*numbers, prefix="Busy", words=70), title="Busy")
    )
    first = await tg.command("/digest")
    assert "… and 1 more" in first[-1]["text"]
    assert len(first) > 1
    assert all("reply_markup" not in message for message in first[:-1])  # under the last
    assert "Show more" in tg.buttons(tg.last_message_id())
    calls = await tg.press(tg.last_message_id(), "Show more")
    sent = [call.params["text"] for call in calls if call.method == "sendMessage"]
    assert any(">Busy 2</a>" in text for text in sent), sent  # the oldest, left over
    assert not any(f">Busy {cap + 2}</a>" in text for text in sent)
    assert "editMessageText" not in _methods(calls)  # a digest is a new message


async def test_a_member_pressing_an_admin_button_is_refused(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    tg.fake.chat_admins[GROUP] = [ADMIN]
    await _follow(tg, feed_server, "Alpha", chat_id=GROUP, chat_type="group")
    await tg.command("/feed 1", chat_id=GROUP, chat_type="group")
    message_id = tg.last_message_id(GROUP)
    calls = await tg.press(message_id, "Unsubscribe…", chat_id=GROUP, user_id=MEMBER)
    answer = _answer(calls)
    assert answer["show_alert"] is True
    assert "Only administrators of this chat" in answer["text"]
    assert _methods(calls).count("sendMessage") == 0  # the group sees nothing
    assert "editMessageText" not in _methods(calls)
    assert await _titles(tg, GROUP) == ["Alpha"]
    calls = await tg.press(message_id, "Mute", chat_id=GROUP, user_id=MEMBER)
    assert _answer(calls)["show_alert"] is True
    [sub] = await tg.app.services.store.list_subscriptions(
        (await tg.app.services.store.get_or_create_chat(ChatTarget("telegram", str(GROUP)))).pk
    )
    assert sub.muted is False
    calls = await tg.press(message_id, "Mute", chat_id=GROUP, user_id=ADMIN)
    assert "Muted Alpha" in _edited(calls)


async def test_a_forged_press_is_answered_politely_and_runs_nothing(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    await _follow(tg, feed_server, "Alpha")
    await tg.command("/list")
    message_id = tg.last_message_id()
    other_key = action_key("999:ANOTHER-BOT")
    forged = encode_action(
        Action("x", "unsubscribe", ("all", "confirm")), other_key, limit=TELEGRAM_LIMIT
    )
    for data in (forged, "garbage", "x" * 64, "é" * 8 + "settings", "\udc80" * 9):
        calls = await tg.press_data(data, message_id=message_id)
        answer = _answer(calls)
        assert answer["text"] == "This button is no longer valid."
        assert answer["show_alert"] is True
        assert _methods(calls) == ["answerCallbackQuery"]
    assert await _titles(tg) == ["Alpha"]


async def test_a_stale_button_never_acts_on_another_feed(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    await _follow(tg, feed_server, "Alpha", "Beta", "Gamma")
    await tg.command("/list")
    listing = tg.last_message_id()
    await tg.command("/feed 2")  # Beta's card while Beta is number 2
    card = tg.last_message_id()
    await tg.command("/unsubscribe 1")  # Alpha goes: Gamma is number 2 now
    ask = _edited(await tg.press(card, "Unsubscribe…"))
    assert "Unsubscribe from Beta?" in ask
    assert "Unsubscribed from Beta." in _edited(await tg.press(card, "Unsubscribe"))
    assert await _titles(tg) == ["Gamma"]
    calls = await tg.press(listing, "2. Beta")  # the old list still offers Beta
    answer = _answer(calls)
    assert "no longer followed in this chat" in answer["text"]
    assert await _titles(tg) == ["Gamma"]


async def test_a_press_in_a_chat_the_operator_did_not_allow_runs_nothing(
    fake: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> None:
    settings = settings_for(fake, tmp_path, allowed_chats=["telegram:1001"])
    async with started(fake, settings, clock) as tg:
        key = action_key(fake.token)
        data = encode_action(Action("x", "settings", ("previews", "on")), key, limit=TELEGRAM_LIMIT)
        calls = await tg.press_data(data, message_id=1, chat_id=GROUP)  # a signed button
        answer = _answer(calls)
        assert answer["show_alert"] is True
        assert _methods(calls) == ["answerCallbackQuery"]  # no admin look-up, no message
        chat = await tg.app.services.store.get_or_create_chat(ChatTarget("telegram", str(GROUP)))
        assert tg.app.services.composer.settings_for(chat).previews is False
        calls = await tg.press_data(data, message_id=1)  # allowed, on a message too old to see
        assert "previews set to on." in " ".join(
            str(c.params.get("text")) for c in calls if c.method == "sendMessage"
        )


FORUM = -1_000_000_000_777
CHANNEL = -1_001_234_000_000


async def test_a_press_on_a_topic_message_too_old_to_read_runs_nothing(
    tg: TelegramHarness,
) -> None:
    """Telegram sends such a message without its topic: running the press would change
    (or create) the group's General chat instead of the topic's."""
    tg.fake.chat_admins[FORUM] = [ADMIN]
    await tg.command(
        "/settings",
        chat_id=FORUM,
        chat_type="supergroup",
        message_thread_id=7,
        is_topic_message=True,
    )
    data = tg.buttons(tg.last_message_id(FORUM), FORUM)["Previews: off → on"]
    calls = await tg.press_data(data, message_id=999, chat_id=FORUM)  # no longer readable
    answer = _answer(calls)
    assert answer["text"].startswith("This message is too old for its buttons")
    assert _methods(calls) == ["answerCallbackQuery"]
    store = tg.app.services.store
    assert await store.find_chat(ChatTarget("telegram", str(FORUM))) is None
    topic = await store.find_chat(ChatTarget("telegram", str(FORUM), "7"))
    assert topic is not None
    assert "previews" not in topic.settings


async def test_a_channel_reader_cannot_make_the_bot_post(tg: TelegramHarness) -> None:
    tg.fake.chat_admins[CHANNEL] = [ADMIN]
    await tg.command("/settings", chat_id=CHANNEL, chat_type="channel")
    message_id = tg.last_message_id(CHANNEL)
    show_more = encode_action(
        Action("Show more", "digest"), action_key(tg.fake.token), limit=TELEGRAM_LIMIT
    )
    reader = 555
    for data in (show_more, tg.buttons(message_id, CHANNEL)["Previews: off → on"]):
        calls = await tg.press_data(data, message_id=message_id, chat_id=CHANNEL, user_id=reader)
        assert _answer(calls)["text"] == "Only those who can post here can use these buttons."
        assert "sendMessage" not in _methods(calls)
        assert "editMessageText" not in _methods(calls)
    calls = await tg.press(message_id, "Previews: off → on", chat_id=CHANNEL)  # its admin
    assert "editMessageText" in _methods(calls)
