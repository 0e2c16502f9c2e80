"""/language and the reader's language, end to end through the console.

A whole session in Russian (three plural forms) and in German: every reply, the digest's
headings, notes and "… and N more" line, dates, /help; the language a chat follows before
it chooses one (the user's), and who may change it.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.platforms.console.adapter import ConsolePlatform
from bot.platforms.console.render import render_reply_text
from handlers.model import Command, User
from tests.support.clock import FakeClock
from tests.support.console import ConsoleBot, console_bot_with, harness
from tests.support.feeds import FeedServer, rss_feed, stories

# Distinct words per story, so that no two are taken for the same event and grouped.
WORDS = [
    *("harbour", "bridge", "tram", "budget", "vote", "election", "festival", "museum"),
    *("river", "storm", "school", "hospital", "airport", "library", "stadium", "market"),
    *("forest", "railway", "theatre", "orchestra", "glacier", "volcano", "desert"),
    *("satellite", "vaccine", "reactor", "canal", "vineyard", "bakery", "lighthouse"),
]


def item(n: int) -> dict[str, str]:
    word, other = WORDS[n % len(WORDS)], WORDS[(n * 7 + 3) % len(WORDS)]
    body = (
        f"The {word} report number {n} describes the {other} in detail. "
        f"Officials said the {word} plan {n} would change how the {other} works. "
        f"Critics of the {word} answered that the {other} deserved a different approach."
    )
    return {
        "guid": f"story-{n}",
        "title": f"{word.capitalize()} {other} story {n}",
        "link": f"https://news.example/{n}",
        "description": f"<p>{body}</p>",
    }


def feed(numbers: range | list[int]) -> str:
    return rss_feed([item(n) for n in reversed(list(numbers))], title="Городские новости")


def assert_no_english(text: str, *phrases: str) -> None:
    for phrase in phrases:
        assert phrase not in text, f"{phrase!r} left in English:\n{text}"


ENGLISH = (
    "Subscribed",
    "new stories",
    "new story",
    "Your news digest",
    "Settings for",
    "Commands:",
    "send /digest to see",
    "Usage:",
    "last new story",
    "Subscriptions (",
)


async def test_a_whole_session_in_russian(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    async with console_bot_with(database_url, clock, tmp_path, digest_max_items=21) as bot:
        start = await bot.say("/start")
        assert "collect news" in start  # English until the chat chooses

        chosen = await bot.say("/language ru")
        assert "Язык изменён: Русский." in chosen

        assert "Привет! Я собираю новости" in await bot.say("/start")

        url = feed_server.serve("/feed.xml", feed(range(1, 6)))
        subscribed = await bot.say(f"/subscribe {url}")
        assert "Подписка на Городские новости оформлена." in subscribed
        assert "Сейчас в ней 5 новостей; они отмечены как прочитанные. Последние:" in subscribed

        listing = await bot.say("/list")
        assert "Подписки (1):" in listing
        assert "последняя новость 15 янв. 2026\u202fг. 09:00" in listing

        settings = await bot.say("/settings")
        assert "Настройки дайджестов этого чата:" in settings
        assert "sentences: 3 (по умолчанию) — предложений в пересказе каждой новости" in settings
        assert "от 1 до 5" in settings

        helped = await bot.say("/help")
        assert "Команды:" in helped
        assert "/subscribe <url> — Подписаться на ленту" in helped
        assert "Подробнее: /help <команда>." in helped
        detail = await bot.say("/help schedule")
        assert "Использование: /schedule [when]" in detail
        assert "Любой может посмотреть расписание" in detail

        # Plural forms: 1, 2, 5 and 21 stories (and "… and 2 more" past the cap of 21).
        headlines = {}
        shown = 5
        for count in (1, 5, 23):
            feed_server.serve("/feed.xml", feed(range(1, shown + count + 1)))
            shown += count
            headlines[count] = await bot.say("/digest")
        second = await bot.say("/digest")  # the two left over from the capped one

        assert "1 новая новость." in headlines[1]
        assert "5 новых новостей." in headlines[5]
        assert "21 новая новость." in headlines[23]
        assert "… и ещё 2: отправьте /digest, чтобы их увидеть." in headlines[23]
        assert "2 новые новости." in second
        for out in (*headlines.values(), second):
            assert "Ваш дайджест новостей" in out
            assert "(15 янв. 2026\u202fг. 08:00 UTC)" in out
            assert_no_english(out, *ENGLISH)

        nothing = await bot.say("/digest")
        assert "Новых новостей с последнего дайджеста нет." in nothing

        wrong = await bot.say("/settings items 99")
        assert "items должно быть от 1 до 21; 99 вне диапазона." in wrong
        assert wrong.startswith("Ошибка: ")
        unknown = await bot.say("/nosuch")
        assert "Неизвестная команда /nosuch." in unknown

        for out in (subscribed, listing, settings, helped, detail, nothing, wrong):
            assert_no_english(out, *ENGLISH)


async def test_german_dates_schedule_and_pause(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    async with console_bot_with(database_url, clock, tmp_path) as bot:
        await bot.say("/language de")
        schedule = await bot.say("/schedule 08:00 18:30")
        assert "Zeitplan gesetzt: täglich um 08:00, 18:30." in schedule
        assert "Nächster Digest: Do., 15. Jan. 2026 18:30 (UTC)." in schedule
        every = await bot.say("/schedule every 1h")
        assert "Zeitplan gesetzt: jede Stunde." in every
        assert "alle 6 Stunden" in await bot.say("/schedule every 6h")
        paused = await bot.say("/pause")
        assert "Geplante Digests sind pausiert." in paused
        assert "seit 15. Jan. 2026 09:00 (UTC)" in await bot.say("/schedule")
        assert "Neue Meldungen" not in await bot.say("/resume")


async def test_the_users_language_until_the_chat_chooses(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    async with console_bot_with(database_url, clock, tmp_path) as bot:
        output = io.StringIO()
        spanish = ConsolePlatform(
            bot.app.registry,
            bot.app.services,
            stdin=io.StringIO(),
            stdout=output,
            locale="es_ES",
        )
        reply = await spanish.handle_line("/language")
        assert reply is not None
        assert reply.text == "Idioma: Español (es)."
        assert "Este chat no ha elegido ninguno" in reply.lines[0]
        assert reply.locale == "es"
        assert "Idioma: Español (es)." in output.getvalue()

        # The chat's choice beats the user's language; "auto" goes back to the user's.
        await spanish.handle_line("/language zh-CN")
        chosen = await spanish.handle_line("/start")
        assert chosen is not None
        assert chosen.text.startswith("你好！")
        back = await spanish.handle_line("/language auto")
        assert back is not None
        assert back.text == "Este chat sigue ahora el idioma de tu aplicación: Español."


async def test_unknown_languages_are_answered_with_the_list(console_bot: ConsoleBot) -> None:
    out = await console_bot.say("/language tlh")
    assert "Error: I do not speak 'tlh' yet." in out
    assert "Available: en (English), de (Deutsch), es (Español), ru (Русский)" in out
    hostile = await console_bot.say("/language \x00" + "x" * 500)
    assert "I do not speak" in hostile
    assert "x" * 41 not in hostile  # the echo is bounded


@pytest.mark.parametrize(
    ("code", "expected"),
    [("de-AT", "Sprache auf Deutsch gestellt."), ("RU", "Язык изменён: Русский.")],
)
async def test_codes_are_matched_loosely(console_bot: ConsoleBot, code: str, expected: str) -> None:
    assert expected in await console_bot.say(f"/language {code}")


async def test_only_admins_change_the_language_in_groups(console_bot: ConsoleBot) -> None:
    services, registry = console_bot.app.services, console_bot.app.registry
    target = console_bot.console.target

    def command(*args: str, admin: bool) -> Command:
        return Command(
            platform="console",
            target=target,
            user=User("member"),
            name="language",
            args=args,
            is_admin=admin,
            locale="de",
        )

    refused = await registry.dispatch(services, command("ru", admin=False))
    assert refused.is_error
    assert refused.text == "Nur Admins dieses Chats können die Sprache ändern."
    assert refused.locale == "de"
    shown = await registry.dispatch(services, command(admin=False))
    assert shown.text == "Sprache: Deutsch (de)."
    changed = await registry.dispatch(services, command("ru", admin=True))
    assert changed.text == "Язык изменён: Русский."
    chat = await services.store.get_or_create_chat(target)
    assert chat.settings["language"] == "ru"


async def test_scheduled_digests_and_notices_are_in_the_chats_language(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    """The scheduler composes in the chat's language and the outbox keeps it: what the
    platform renders (here the console's words) is in that language too."""
    url = feed_server.serve("/feed.xml", feed(range(1, 3)))
    async with harness(database_url, clock, tmp_path) as h:
        await h.say(f"/subscribe {url}")
        await h.say("/language de")
        await h.say("/schedule 10:00")
        feed_server.serve("/feed.xml", feed(range(1, 5)))
        await h.scheduler.poll_feeds()
        clock.advance(hours=1)
        await h.scheduler.digest_tick()
        [digest] = h.platform.digests()
        assert digest.locale == "de"
        assert digest.text == "2 neue Meldungen."
        assert digest.digest is not None
        assert digest.digest.title == "Dein Nachrichten-Digest"
        rendered = render_reply_text(digest)
        assert "(15. Jan. 2026 08:00 UTC)" in rendered

        await h.say("/language ru")  # a notice goes out in the language of the moment
        await h.scheduler.notify_feed_disabled(await h.feed(), "HTTP 410")
        await h.scheduler.deliver()
        notice = h.platform.sent[-1][1]
        assert notice.locale == "ru"
        assert notice.text == "Я перестал проверять Городские новости: HTTP 410."
        assert render_reply_text(notice).startswith("Ошибка: Я перестал проверять")


async def test_digests_follow_the_last_users_language_until_the_chat_chooses(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", feed(range(1, 3)))
    async with harness(database_url, clock, tmp_path) as h:
        services, registry, target = h.app.services, h.app.registry, h.console.target

        async def say(line: str, locale: str) -> str:
            name, *args = line.lstrip("/").split()
            command = Command(
                platform="console",
                target=target,
                user=User("someone"),
                name=name,
                args=tuple(args),
                is_admin=True,
                locale=locale,
            )
            return (await registry.dispatch(services, command)).text

        assert await say(f"/subscribe {url}", "en-US") == "Subscribed to Городские новости."
        chat = await services.store.get_or_create_chat(target)
        assert "language_hint" not in chat.settings  # English speakers write nothing
        assert await say("/schedule 10:00", "es-419") == "Horario establecido: diario a las 10:00."
        feed_server.serve("/feed.xml", feed(range(1, 4)))
        await h.scheduler.poll_feeds()
        clock.advance(hours=1)
        await h.scheduler.digest_tick()
        [digest] = h.platform.digests()
        assert (digest.locale, digest.text) == ("es", "1 noticia nueva.")


@pytest.mark.parametrize("stored", ["\x00tlh", "x" * 5000, "\ud800", 42, "zh-TW", ""])
async def test_a_stored_language_nobody_speaks_reads_as_english(
    console_bot: ConsoleBot, stored: object
) -> None:
    """Values the store cleaned, or a version of the bot never wrote, cannot break a chat."""
    store, target = console_bot.app.services.store, console_bot.console.target
    chat = await store.get_or_create_chat(target)
    await store.update_chat_settings(chat.pk, changes={"language": stored, "language_hint": stored})
    out = await console_bot.say("/language")
    assert "Language: English (en)." in out
    assert "Subscriptions" not in out


def _option(out: str, label: str) -> str:
    """The number the console printed for the option ``label`` ("[3] Abbestellen…")."""
    for part in out.replace("\n", "  ").split("  "):
        part = part.strip()
        if part.startswith("[") and "] " in part and part.split("] ", 1)[1].startswith(label):
            return part[1 : part.index("]")]
    raise AssertionError(f"no option {label!r} in:\n{out}")


BUTTONS_IN_ENGLISH = (
    "Manage feed",
    "Type a number",
    "Unsubscribe",
    "Mute",
    "Back to the list",
    "Cancel",
    "In digests",
    "Full text of short items",
    "Rename it",
    "(muted)",
    "stories' pictures",
    "[image]",
    "There is no option",
    "no longer followed",
)


async def test_buttons_and_what_they_answer_in_german(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    """/list, a feed's card, its buttons and what pressing them answers, /mute, /unsubscribe
    all and the images setting, in German; no English word of those features is left."""
    async with console_bot_with(database_url, clock, tmp_path) as bot:
        await bot.say("/language de")
        for name in ("Alpha", "Beta"):
            url = feed_server.serve(f"/{name}.xml", rss_feed(stories(1, prefix=name), title=name))
            assert f"{name} abonniert." in await bot.say(f"/subscribe {url}")

        listing = await bot.say("/list")
        assert "Feed verwalten…" in listing
        assert "Tipp eine Nummer, um zu wählen." in listing
        card = await bot.say(_option(listing, "2. Beta"))
        assert "In Digests; letzte neue Meldung" in card
        assert "Volltext kurzer Einträge: an." in card  # short items: on by default
        assert "Umbenennen: /rename 2 <new name>" in card
        assert "Zurück zur Liste" in card
        assert "Stummschalten" in card
        asked = await bot.say(_option(card, "Abbestellen…"))
        assert "Beta abbestellen?" in asked
        assert "Abbrechen" in asked
        wrong = await bot.say("9")
        assert "Fehler: Es gibt keine Option 9: Wähle 1 bis 2." in wrong
        done = await bot.say(_option(asked, "Abbestellen"))
        assert "Beta abbestellt." in done
        back = await bot.say(_option(done, "Zurück zur Liste"))
        assert "Abos (1):" in back

        muted = await bot.say("/mute 1")
        assert "Alpha stummgeschaltet: Seine Meldungen bleiben bis /unmute 1" in muted
        assert "1. Alpha (stumm) — " in await bot.say("/list")
        assert "Alpha ist schon stummgeschaltet." in await bot.say("/mute 1")
        assert "Stummschaltung von Alpha aufgehoben" in await bot.say("/unmute 1")
        usage = await bot.say("/mute x")
        assert "Verwendung: /mute <Nummer> (die Nummer des Feeds in /list)" in usage

        images = await bot.say("/settings images")
        assert "images: on (Standard) — Bilder der Meldungen in Digests (Layout full)" in images
        assert "on oder off" in images

        everything = await bot.say("/unsubscribe all")
        assert "Alle Feeds dieses Chats abbestellen (1 Feed)?" in everything
        removed = await bot.say(_option(everything, "Alle abbestellen"))
        assert "Alle Feeds abbestellt (1 Feed)." in removed
        assert "Füge mit /subscribe <url> wieder Feeds hinzu." in removed

        for out in (listing, card, asked, wrong, done, back, muted, usage, images, removed):
            assert_no_english(out, *BUTTONS_IN_ENGLISH)


async def test_unsubscribing_many_and_a_pictured_digest_in_russian(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    """Russian's three plural forms on the bulk replies, and the console's [image] line."""
    async with console_bot_with(database_url, clock, tmp_path) as bot:
        await bot.say("/language ru")
        for n in range(1, 6):  # and one /digest: within the 6 fetches a minute
            url = feed_server.serve(
                f"/{n}.xml", rss_feed(stories(1, prefix=f"F{n}"), title=f"F{n}")
            )
            await bot.say(f"/subscribe {url}")
        two = await bot.say("/unsubscribe 1 2 9")
        assert "Отменена подписка на 2 ленты:" in two
        assert "Не найдено, поэтому ничего не удалено для: 9." in two
        one = await bot.say("/unsubscribe 3")
        assert "Подписка на F5 отменена." in one  # 3 is F5 once 1 and 2 went
        assert "Подписки 8, 9 нет: в этом чате 2 подписки." in await bot.say("/unsubscribe 8 9")

        item = stories(2, prefix="F4")[0] | {"thumbnail": "https://img.example.com/p.jpg"}
        feed_server.serve("/4.xml", rss_feed([item], title="F4"))
        digest = await bot.say("/digest")
        assert "  [изображение] https://img.example.com/p.jpg" in digest

        everything = await bot.say("/unsubscribe all confirm")
        assert "Вы отписались от всех лент (2 ленты)." in everything
        for out in (two, one, digest, everything):
            assert_no_english(out, *BUTTONS_IN_ENGLISH)


async def test_a_refused_press_is_worded_and_marked_in_the_chats_language(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    """A member pressing an administrator's button in a German chat: the refusal and its
    "Error:" mark are German, whatever the presser's own language."""
    services, registry = console_bot.app.services, console_bot.app.registry
    url = feed_server.serve("/a.xml", rss_feed(stories(1, prefix="A"), title="A"))
    await console_bot.say(f"/subscribe {url}")
    await console_bot.say("/language de")
    press = Command(
        platform="console",
        target=console_bot.console.target,
        user=User("member"),
        name="unsubscribe",
        args=("1",),
        is_admin=False,
        pressed=True,
        locale="en-US",
    )
    refused = await registry.dispatch(services, press)
    assert refused.locale == "de"
    assert render_reply_text(refused).startswith("Fehler: Nur Admins dieses Chats")
