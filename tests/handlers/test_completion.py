"""Suggestions while an argument is typed: only the chat's own feeds, valid zones and values.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL: the feed suggestions read the
store, and titles may be anything a feed or a user wrote.
"""

from __future__ import annotations

from bot.models import ChatTarget
from handlers import completion
from handlers.completion import MAX_SUGGESTIONS, complete
from handlers.services import Services
from tests.support.console import ConsoleBot

HERE = ChatTarget("discord", "2000")
ELSEWHERE = ChatTarget("discord", "3000")


async def follow(services: Services, target: ChatTarget, *titles: str) -> None:
    chat = await services.store.get_or_create_chat(target)
    for number, title in enumerate(titles):
        feed = await services.store.get_or_create_feed(f"https://{target.chat_id}.example/{number}")
        await services.store.subscribe(chat.pk, feed.id, custom_title=title)


async def test_feeds_of_this_chat_only_by_title_or_number(console_bot: ConsoleBot) -> None:
    services = console_bot.app.services
    await follow(services, HERE, "City News", "BBC News")
    await follow(services, ELSEWHERE, "BBC Private")
    found = await complete(completion.SUBSCRIPTIONS, services, HERE, "bb")
    assert found == [("2 · BBC News", "2")]
    assert await complete(completion.SUBSCRIPTIONS, services, HERE, "#1") == [
        ("1 · City News", "1")
    ]
    assert await complete(completion.SUBSCRIPTIONS, services, HERE, "private") == []
    unknown = ChatTarget("discord", "4000")
    assert await complete(completion.SUBSCRIPTIONS, services, unknown, "") == []
    assert await services.store.find_chat(unknown) is None  # typing creates no chat


async def test_hostile_titles_are_offered_safely(console_bot: ConsoleBot) -> None:
    services = console_bot.app.services
    await follow(services, HERE, "Nul\x00Title", "\u202eevil\u200b ☃ " + "x" * 5000, "𝔘𝔫𝔦")
    found = await complete(completion.SUBSCRIPTIONS, services, HERE, "")
    assert [value for _, value in found] == ["1", "2", "3"]
    assert all("\x00" not in label for label, _ in found)
    assert await complete(completion.SUBSCRIPTIONS, services, HERE, "☃") == [found[1]]
    assert await complete(completion.SUBSCRIPTIONS, services, HERE, "\x00") == []
    assert await complete(completion.SUBSCRIPTIONS, services, HERE, "𝔫𝔦") == [found[2]]


async def test_many_feeds_are_cut_to_what_discord_shows(console_bot: ConsoleBot) -> None:
    services = console_bot.app.services
    await follow(services, HERE, *(f"Feed {n}" for n in range(30)))
    found = await complete(completion.SUBSCRIPTIONS, services, HERE, "feed")
    assert len(found) == MAX_SUGGESTIONS
    assert found[0] == ("1 · Feed 0", "1")
    # A number typed offers those starting with it first: 1, then 10-19.
    by_number = await complete(completion.SUBSCRIPTIONS, services, HERE, "1")
    assert [value for _, value in by_number][:3] == ["1", "10", "11"]


async def test_zones_topics_and_settings(console_bot: ConsoleBot) -> None:
    services = console_bot.app.services
    zones = await complete(completion.TIMEZONES, services, HERE, "new_y")
    assert ("America/New_York", "America/New_York") in zones
    assert await complete(completion.TIMEZONES, services, HERE, "Mars/") == []
    assert await complete(completion.TIMEZONES, services, HERE, "\x00" * 3) == []
    assert len(await complete(completion.TIMEZONES, services, HERE, "")) == MAX_SUGGESTIONS
    settings = await complete(completion.SETTINGS, services, HERE, "s")
    assert [value for _, value in settings] == [
        "sentences",
        "silent",
        "items",
        "previews",
        "images",
    ]
    assert [v for _, v in await complete(completion.SETTING_VALUES, services, HERE, "o", {})] == []
    switch = await complete(completion.SETTING_VALUES, services, HERE, "", {"setting": "silent"})
    assert [value for _, value in switch] == ["on", "off", "default"]
    sentences = await complete(
        completion.SETTING_VALUES, services, HERE, "", {"setting": "SENTENCES"}
    )
    assert [value for _, value in sentences] == ["1", "2", "3", "4", "5", "default"]
    topics = await complete(completion.TOPICS, services, HERE, "")
    assert [value for _, value in topics] == services.settings.catalogue.names
    assert [v for _, v in await complete(completion.TOPICS, services, HERE, "SCI")] == ["science"]
    forms = await complete(completion.SUBSCRIBE_TOPICS, services, HERE, "topic:w")
    assert [value for _, value in forms] == ["topic:world"]


def test_every_argument_names_a_known_provider(console_bot: ConsoleBot) -> None:
    named = {
        (spec.name, arg.name): arg.completes
        for spec in console_bot.app.registry.all()
        for arg in spec.args
        if arg.completes
    }
    assert set(named.values()) <= set(completion.PROVIDERS)
    assert named[("unsubscribe", "target")] == completion.SUBSCRIPTIONS
    assert named[("timezone", "zone")] == completion.TIMEZONES
