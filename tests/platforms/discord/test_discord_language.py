"""Discord in the reader's language: slash-command descriptions localized per Discord
locale, and answers in the user's client language until the chat chooses one."""

from __future__ import annotations

from bot.i18n import translate
from bot.models import Action, ActionRow, ChatTarget, Reply
from tests.fakes.discord_api import SEND_MESSAGES
from tests.support.discord import (
    CHANNEL,
    MANAGE_CHANNELS,
    DiscordHarness,
    component,
    text_of,
)

MANAGE_GUILD = 0x20


async def test_descriptions_are_localized_and_names_are_not(dc: DiscordHarness) -> None:
    registered = {command["name"]: command for command in dc.fake.registered_commands()}
    subscribe = registered["subscribe"]
    localized = subscribe["description_localizations"]
    assert localized["de"].startswith("Einem Feed")
    assert localized["ru"].startswith("Подписаться на ленту")
    assert localized["zh-CN"] == "关注订阅源（RSS、Atom 或 JSON Feed）或提供订阅源的网站"
    assert localized["es-ES"] == localized["es-419"]
    assert all(len(text) <= 100 for text in localized.values())
    assert not subscribe.get("name_localizations")  # /subscribe is /subscribe everywhere
    option = subscribe["options"][0]
    assert option["name"] == "url"
    assert option["description_localizations"]["de"] == translate(
        "the feed's or the site's address, or topic:<name> from /browse", "de"
    )
    language = registered["language"]
    assert language["description_localizations"]["ru"] == (
        "Показать или выбрать язык бота в этом чате"
    )


async def test_a_user_is_answered_in_their_clients_language(dc: DiscordHarness) -> None:
    german = text_of(await dc.slash("list", locale="de"))
    assert "Noch keine Abos." in german
    chinese = text_of(await dc.slash("language", locale="zh-CN"))
    assert "语言：简体中文（zh）。" in chinese
    english = text_of(await dc.slash("list", locale="en-GB"))
    assert "No subscriptions yet." in english
    # Once the chat chooses, everyone there reads that language.
    await dc.slash("language", {"code": "ru"}, locale="de", permissions=0x20)
    assert "Подписок пока нет." in text_of(await dc.slash("list", locale="en-US"))


TARGET = ChatTarget("discord", str(CHANNEL))


async def _follow(dc: DiscordHarness, *titles: str) -> None:
    store = dc.app.services.store
    chat = await store.get_or_create_chat(TARGET)
    for number, title in enumerate(titles):
        feed = await store.get_or_create_feed(f"https://example.org/{number}.xml")
        await store.subscribe(chat.pk, feed.id, custom_title=title)


async def test_buttons_and_presses_in_a_german_chat(dc: DiscordHarness) -> None:
    """The menu and buttons of /list are German, and so is what pressing them answers,
    whatever the presser's client speaks."""
    await _follow(dc, "BBC News", "City News")
    await dc.slash("language", {"code": "de"}, permissions=MANAGE_GUILD)
    [listing] = await dc.slash("list", locale="en-US")
    message = listing["message"]
    assert component(message, "Feed verwalten…")
    [card] = await dc.press(
        message, "Feed verwalten…", option="1. BBC News", permissions=MANAGE_CHANNELS, locale="ru"
    )
    assert "In Digests; " in text_of([card])
    shown = dc.fake.message(CHANNEL, int(message["id"]))
    assert shown is not None
    assert component(shown, "Zurück zur Liste")
    [asked] = await dc.press(shown, "Abbestellen…", permissions=MANAGE_CHANNELS, locale="ru")
    assert "BBC News abbestellen?" in text_of([asked])
    shown = dc.fake.message(CHANNEL, int(message["id"]))
    assert shown is not None
    assert component(shown, "Abbrechen")
    [refused] = await dc.press(shown, "Abbestellen", user_id=43, permissions=SEND_MESSAGES)
    assert refused["ephemeral"]
    assert "Nur Admins dieses Chats" in text_of([refused])


async def test_a_forged_press_is_answered_in_the_chats_language_else_the_pressers(
    dc: DiscordHarness,
) -> None:
    [message_id] = await dc.platform.send(
        TARGET, Reply(text="x", actions=(ActionRow((Action("Go", "list"),)),))
    )
    message = dc.fake.message(CHANNEL, int(message_id))
    assert message is not None

    async def forged(locale: str) -> dict:
        interaction = await dc.fake.press(message, "forged", check=False, locale=locale)
        [answer] = await interaction.wait_response()
        assert answer["ephemeral"]
        return answer

    assert text_of([await forged("ru")]).endswith("Эта кнопка больше не действует.")
    assert await dc.app.services.store.find_chat(TARGET) is None  # nothing created
    await dc.slash("language", {"code": "de"}, permissions=MANAGE_GUILD)
    assert text_of([await forged("ru")]).endswith("Dieser Knopf ist nicht mehr gültig.")


async def test_setting_suggestions_are_in_the_typists_language(dc: DiscordHarness) -> None:
    interaction = await dc.fake.autocomplete("settings", "setting", "im", locale="de")
    await interaction.wait_response()
    names = [choice["name"] for choice in interaction.choices]
    assert names == ["images — Bilder der Meldungen in Digests (Layout full)"]
