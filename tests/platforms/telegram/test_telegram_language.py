"""Telegram in the reader's language: the command menu per language, replies in the user's
language (Telegram's language_code) until the chat chooses, digests rendered in theirs."""

from __future__ import annotations

import json
from pathlib import Path

from bot.delivery.payloads import payload_to_reply, reply_to_payload
from bot.i18n import TELEGRAM_CODES, translate
from bot.models import AlsoLink, Digest, DigestItem, DigestSection, Reply
from bot.platforms.telegram.render import render_reply
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support.clock import FakeClock
from tests.support.telegram import TelegramHarness, settings_for, started

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
