"""Telegram in the reader's language: the command menu per language, replies in the user's
language (Telegram's language_code) until the chat chooses, digests rendered in theirs."""

from __future__ import annotations

import json
from pathlib import Path

from bot.delivery.payloads import payload_to_reply, reply_to_payload
from bot.i18n import TELEGRAM_CODES, translate
from bot.models import Action, AlsoLink, ChatTarget, Digest, DigestItem, DigestSection, Reply
from bot.platforms.callbacks import TELEGRAM_LIMIT, action_key, encode_action
from bot.platforms.telegram.render import render_reply
from tests.fakes.telegram_api import FakeTelegramAPI, RecordedCall
from tests.support.clock import FakeClock
from tests.support.feeds import FeedServer, rss_feed, stories
from tests.support.telegram import ADMIN, GROUP, TelegramHarness, settings_for, started

DEFAULT_SCOPE = json.dumps({"type": "default"}, sort_keys=True)


async def test_the_menu_is_published_once_per_language(tg: TelegramHarness) -> None:
    menus = tg.fake.commands
    assert set(menus) == {
        (DEFAULT_SCOPE, ""),
        *((DEFAULT_SCOPE, c) for c in TELEGRAM_CODES.values()),
    }
    english = {c["command"]: c["description"] for c in menus[(DEFAULT_SCOPE, "")]}
    german = {c["command"]: c["description"] for c in menus[(DEFAULT_SCOPE, "de")]}
    russian = {c["command"]: c["description"] for c in menus[(DEFAULT_SCOPE, "ru")]}
    chinese = {c["command"]: c["description"] for c in menus[(DEFAULT_SCOPE, "zh")]}
    assert list(german) == list(english)  # command names are never translated
    assert english["subscribe"].startswith("Follow a feed")
    assert german["subscribe"].startswith("Einem Feed")
    assert russian["language"] == "Показать или выбрать язык бота в этом чате"
    assert chinese["list"] == "显示本聊天的订阅源"
    spanish = {c["command"]: c["description"] for c in menus[(DEFAULT_SCOPE, "es")]}
    assert spanish["digest"] == translate("Post the stories you have not seen yet, now", "es")


async def test_a_user_is_answered_in_their_apps_language(tg: TelegramHarness) -> None:
    tg.fake.user_languages[42] = "ru"
    [answer] = await tg.command("/start")
    assert answer["text"].startswith("Привет! Я собираю новости")
    tg.fake.user_languages[7] = "de-CH"
    [other] = await tg.command("/start", user_id=7, username="bruno", chat_id=2002)
    assert other["text"].startswith("Hallo! Ich sammle Nachrichten")
    # The chat's choice wins over the user's language.
    [chosen] = await tg.command("/language es")
    assert "Idioma cambiado a Español." in chosen["text"]
    [after] = await tg.command("/list")
    assert "Aún no hay suscripciones" in after["text"]


def _digest() -> Digest:
    item = DigestItem(
        title="Harbour <bridge> reopens",
        link="https://news.example/1",
        source="City",
        published=None,
        summary=["The bridge reopened."],
        also=[AlsoLink(source="Other", link="https://other.example/1")],
    )
    return Digest(
        title="Ваш дайджест новостей", sections=[DigestSection("City", [item])], more_count=21
    )


def test_a_stored_digest_renders_in_the_language_it_was_composed_in() -> None:
    reply = Reply(text="1 новая новость.", digest=_digest(), locale="ru")
    stored = payload_to_reply(json.loads(json.dumps(reply_to_payload(reply))))
    assert stored.locale == "ru"
    [message] = render_reply(stored)
    # 21 takes the singular form in Russian ("её", not "их").
    assert "<i>… и ещё 21: отправьте /digest, чтобы её увидеть.</i>" in message.html
    assert "\nтакже: <a href" in message.html
    assert "Harbour &lt;bridge&gt; reopens" in message.html
    # Rows written before translations have no language: English, as they were composed.
    old = reply_to_payload(reply)
    del old["locale"]
    [english] = render_reply(payload_to_reply(old))
    assert "… and 21 more: send /digest to see them." in english.plain


async def test_a_chat_outside_the_allow_list_is_refused_in_the_users_language(
    fake: FakeTelegramAPI,
    tmp_path: Path,
    clock: FakeClock,
) -> None:
    settings = settings_for(fake, tmp_path, allowed_chats=["telegram:-5005"])
    async with started(fake, settings, clock) as harness:
        fake.user_languages[42] = "de"
        [refusal] = await harness.command("/start")
        assert refusal["text"].startswith("⚠️ Entschuldigung, dieser Bot ist privat")
        assert "NEWSDIGEST_ALLOWED_CHATS" in refusal["text"]


def _answer(calls: list[RecordedCall]) -> dict:
    [answer] = [call for call in calls if call.method == "answerCallbackQuery"]
    assert answer.ok, answer.response
    return answer.params


def _edited(calls: list[RecordedCall]) -> str:
    [edit] = [call for call in calls if call.method == "editMessageText"]
    assert edit.ok, edit.response
    return str(edit.params["text"])


async def test_buttons_and_presses_in_a_german_chat(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    """The labels are German, and so is what a press answers, whoever presses."""
    await tg.command("/language de")
    for name in ("Alpha", "Beta"):
        url = feed_server.serve(f"/{name}.xml", rss_feed(stories(1, prefix=name), title=name))
        [answer] = await tg.command(f"/subscribe {url}")
        assert f"{name} abonniert." in answer["text"]
    await tg.command("/list")
    listing = tg.last_message_id()
    card = _edited(await tg.press(listing, "1. Alpha"))
    assert "In Digests; letzte neue Meldung" in card
    assert {"Abbestellen…", "Stummschalten", "Zurück zur Liste"} <= set(tg.buttons(listing))
    asked = _edited(await tg.press(listing, "Abbestellen…"))
    assert "Alpha abbestellen?" in asked
    assert set(tg.buttons(listing)) == {"Abbestellen", "Abbrechen"}
    assert "Alpha abbestellt." in _edited(await tg.press(listing, "Abbestellen"))
    await tg.command("/feed 1")  # Beta is number 1 now
    muted = _edited(await tg.press(tg.last_message_id(), "Stummschalten"))
    assert "Beta stummgeschaltet" in muted
    assert "Stummschaltung aufheben" in tg.buttons(tg.last_message_id())
    tg.fake.user_languages[ADMIN] = "es"  # the chat's choice beats the presser's language
    back = _edited(await tg.press(tg.last_message_id(), "Zurück zur Liste"))
    assert back.startswith("Abos (1):")
    assert "1. Beta (stumm) — " in back
    await tg.command("/settings")
    settings = tg.last_message_id()
    assert "Previews: off → on" in tg.buttons(settings)
    text = _edited(await tg.press(settings, "layout: compact"))
    assert text.startswith("layout auf compact gesetzt.")
    assert "images: on (Standard) — Bilder der Meldungen in Digests (Layout full)" in text
    [images] = await tg.command("/settings images off")
    assert "images auf off gesetzt." in images["text"]


async def test_a_press_follows_the_pressers_language_until_the_chat_chooses(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/a.xml", rss_feed(stories(1, prefix="Alpha"), title="Alpha"))
    await tg.command(f"/subscribe {url}")
    await tg.command("/list")
    listing = tg.last_message_id()
    await tg.command("/unsubscribe 1")
    tg.fake.user_languages[ADMIN] = "es"
    gone = _answer(await tg.press(listing, "1. Alpha"))
    assert gone["show_alert"] is True
    assert gone["text"].startswith("Este chat ya no sigue ese feed.")


async def test_a_forged_press_is_answered_in_the_chats_language(tg: TelegramHarness) -> None:
    """In Russian where the chat chose Russian, whatever the presser's app says; in the
    presser's language where the bot does not know the chat."""
    await tg.command("/language ru")
    await tg.command("/start")
    tg.fake.user_languages[ADMIN] = "en"
    answer = _answer(await tg.press_data("garbage", message_id=tg.last_message_id()))
    assert answer["text"] == "Эта кнопка больше не действует."
    assert answer["show_alert"] is True
    tg.fake.user_languages[ADMIN] = "de"
    elsewhere = _answer(await tg.press_data("x" * 64, message_id=1, chat_id=3003))
    assert elsewhere["text"] == "Dieser Knopf ist nicht mehr gültig."
    unknown = await tg.app.services.store.find_chat(ChatTarget("telegram", "3003"))
    assert unknown is None  # a forged press creates no chat


async def test_a_press_in_a_chat_not_allowed_is_refused_in_the_pressers_language(
    fake: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> None:
    settings = settings_for(fake, tmp_path, allowed_chats=["telegram:1001"])
    async with started(fake, settings, clock) as tg:
        data = encode_action(Action("x", "list"), action_key(fake.token), limit=TELEGRAM_LIMIT)
        fake.user_languages[ADMIN] = "ru"
        answer = _answer(await tg.press_data(data, message_id=1, chat_id=GROUP))
        assert answer["show_alert"] is True
        assert answer["text"].startswith("Извините, это частный бот")


async def test_a_press_with_a_language_code_nobody_speaks_is_answered_in_english(
    tg: TelegramHarness,
) -> None:
    """A modified client's language_code (NUL, over-long, odd Unicode) neither breaks a
    press nor is remembered for the chat."""
    await tg.command("/settings")
    settings = tg.last_message_id()
    for code in ("\x00de", "x" * 300, "\ud7ff\u202e", "zh-TW"):
        tg.fake.user_languages[ADMIN] = code
        forged = _answer(await tg.press_data("garbage", message_id=settings))
        assert forged["text"] == "This button is no longer valid."
        text = _edited(await tg.press(settings, "Silent"))
        assert text.startswith("silent set to")
    chat = await tg.app.services.store.find_chat(ChatTarget("telegram", "1001"))
    assert chat is not None
    assert "language_hint" not in chat.settings
