"""Discord in the reader's language: slash-command descriptions localized per Discord
locale, and answers in the user's client language until the chat chooses one."""

from __future__ import annotations

from bot.i18n import translate
from tests.support.discord import DiscordHarness, text_of


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
