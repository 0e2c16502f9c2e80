"""Slash-command autocomplete on Discord, end to end through discord.py and the fake.

The fake sends APPLICATION_COMMAND_AUTOCOMPLETE interactions as Discord's client does
while an option is typed; what is checked is the choices the bot answered (callback 8).
"""

from __future__ import annotations

from bot.models import ChatTarget
from tests.support.discord import CHANNEL, THREAD, DiscordHarness

TARGET = ChatTarget("discord", str(CHANNEL))


async def suggested(
    dc: DiscordHarness, command: str, option: str, typed: str, **kwargs: object
) -> list[tuple[str, object]]:
    interaction = await dc.fake.autocomplete(command, option, typed, **kwargs)  # type: ignore[arg-type]
    await interaction.wait_response()
    assert interaction.callback is not None
    assert interaction.callback["type"] == 8
    return [(choice["name"], choice["value"]) for choice in interaction.choices]


async def follow(dc: DiscordHarness, target: ChatTarget, *titles: str) -> None:
    store = dc.app.services.store
    chat = await store.get_or_create_chat(target)
    for title in titles:
        feed = await store.get_or_create_feed(f"https://example.org/{title.replace(' ', '')}.xml")
        await store.subscribe(chat.pk, feed.id, custom_title=title)


async def test_options_with_suggestions_are_registered_as_autocomplete(dc: DiscordHarness) -> None:
    registered = {command["name"]: command for command in dc.fake.registered_commands()}
    options = {o["name"]: o for o in registered["unsubscribe"]["options"]}
    assert options["target"].get("autocomplete") is True
    assert {o["name"]: o.get("autocomplete") for o in registered["timezone"]["options"]} == {
        "zone": True
    }
    assert not registered["schedule"]["options"][0].get("autocomplete")


async def test_a_topic_is_offered_where_a_feed_address_is_typed(dc: DiscordHarness) -> None:
    assert await suggested(dc, "subscribe", "url", "tech") == [
        ("topic:technology — Technology", "topic:technology")
    ]
    assert await suggested(dc, "subscribe", "url", "https://example.org/feed") == []


async def test_a_feed_is_offered_by_its_title_and_number(dc: DiscordHarness) -> None:
    await follow(dc, TARGET, "City News", "Tech Daily", "BBC News")
    await follow(dc, ChatTarget("discord", "9999"), "BBC Secret Other Chat")
    assert await suggested(dc, "unsubscribe", "target", "bb") == [("3 · BBC News", "3")]
    assert await suggested(dc, "unsubscribe", "target", "NEWS") == [
        ("1 · City News", "1"),
        ("3 · BBC News", "3"),
    ]
    assert [value for _, value in await suggested(dc, "unsubscribe", "target", "")] == [
        "1",
        "2",
        "3",
    ]
    assert await suggested(dc, "unsubscribe", "target", "2") == [("2 · Tech Daily", "2")]


async def test_a_number_option_is_offered_numbers(dc: DiscordHarness) -> None:
    await follow(dc, TARGET, "City News", "BBC News")
    assert await suggested(dc, "rename", "number", "bbc") == [("2 · BBC News", 2)]


async def test_a_chat_without_feeds_is_offered_nothing_and_not_created(dc: DiscordHarness) -> None:
    thread = ChatTarget("discord", str(CHANNEL), str(THREAD))
    assert await suggested(dc, "unsubscribe", "target", "", channel_id=THREAD) == []
    assert await dc.app.services.store.find_chat(thread) is None


async def test_time_zones_by_prefix_and_city_in_any_case(dc: DiscordHarness) -> None:
    berlin = await suggested(dc, "timezone", "zone", "europe/BER")
    assert berlin == [("Europe/Berlin", "Europe/Berlin")]
    by_city = [value for _, value in await suggested(dc, "timezone", "zone", "ber")]
    assert "Europe/Berlin" in by_city
    assert len(await suggested(dc, "timezone", "zone", "a")) == 25


async def test_setting_values_follow_the_setting_chosen(dc: DiscordHarness) -> None:
    names = [value for _, value in await suggested(dc, "settings", "setting", "la")]
    assert names == ["layout"]
    values = await suggested(dc, "settings", "value", "", options={"setting": "layout"})
    assert [value for _, value in values] == ["full", "compact", "default"]
