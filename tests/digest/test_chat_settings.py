"""/settings through the console, and what each setting does to the digest.

The bot runs for real (store, fetcher against 127.0.0.1, parser, summariser, composer);
the Telegram and Discord wire formats are checked in
tests/platforms/telegram/test_settings_telegram.py and
tests/platforms/discord/test_settings_discord.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.app.wiring import open_app
from bot.chat_state import DIGEST_SETTINGS as SETTINGS_KEY
from bot.chat_state import digest_settings_changes
from bot.delivery.payloads import (
    digest_from_dict,
    digest_to_dict,
    payload_to_reply,
    reply_to_payload,
)
from bot.digest.chat_settings import ChatSettings
from bot.models import (
    LAYOUT_COMPACT,
    ChatTarget,
    Digest,
    DigestItem,
    DigestSection,
    StoredArticle,
)
from bot.news.summarise import ALGORITHMS, DEFAULT_ALGORITHM, Summariser
from bot.platforms.console.adapter import CONSOLE_TARGET, ConsolePlatform
from bot.platforms.discord.render import render_plain
from bot.platforms.discord.render import render_reply as render_discord
from bot.platforms.telegram.render import render_reply as render_telegram
from handlers.model import Command, Reply, User
from tests.support.clock import FakeClock
from tests.support.console import ConsoleBot, console_bot_with
from tests.support.feeds import SEED_TITLE, FeedServer, rss_feed, seed_items
from tests.support.settings import make_settings

NAMES = ("sentences", "items", "layout", "previews", "silent", "algorithm", "images")
OTHER_ALGORITHM = "lexrank" if DEFAULT_ALGORITHM != "lexrank" else "luhn"


async def subscribe_then_publish(bot: ConsoleBot, server: FeedServer, *numbers: int) -> None:
    """Subscribe to an empty feed, then publish stories: they are new for the digest."""
    url = server.serve("/feed.xml", rss_feed([], title="Seed News"))
    assert "Subscribed" in await bot.say(f"/subscribe {url}")
    server.serve("/feed.xml", rss_feed(seed_items(*numbers), title="Seed News"))


async def unseen_now(bot: ConsoleBot) -> list[StoredArticle]:
    """Poll the chat's feeds and return what its next digest would be made from."""
    services = bot.app.services
    chat = await services.store.get_or_create_chat(CONSOLE_TARGET)
    await services.poller.poll(
        [sub.feed for sub in await services.store.list_subscriptions(chat.pk)]
    )
    return await services.store.unseen_articles(chat.pk)


async def digest_reply(bot: ConsoleBot) -> Reply:
    reply = await bot.console.handle_line("/digest")
    assert reply is not None
    assert reply.digest is not None, reply.text
    return reply


# -- the command --------------------------------------------------------------------------


async def test_settings_shows_every_setting_with_its_default_and_valid_values(
    console_bot: ConsoleBot,
) -> None:
    out = await console_bot.say("/settings")
    assert "Settings for this chat's digests:" in out
    assert "sentences: 3 (default)" in out
    assert "items: 20 (default)" in out
    assert "1 to 20" in out
    assert "layout: full (default)" in out
    assert "full or compact" in out
    assert "previews: off (default)" in out
    assert "silent: off (default)" in out
    assert f"algorithm: {DEFAULT_ALGORITHM} (default)" in out
    assert ", ".join(sorted(ALGORITHMS)) in out
    assert "images: on (default)" in out
    assert "/settings <name> <value>" in out


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("sentences", "1", "sentences: 1"),
        ("sentences", "5", "sentences: 5"),
        ("items", "7", "items: 7"),
        ("layout", "COMPACT", "layout: compact"),
        ("previews", "on", "previews: on"),
        ("silent", "yes", "silent: on"),
        ("algorithm", "LuHn", "algorithm: luhn"),
        ("images", "OFF", "images: off"),
    ],
)
async def test_each_setting_can_be_changed_and_reset(
    console_bot: ConsoleBot, name: str, value: str, shown: str
) -> None:
    changed = await console_bot.say(f"/settings {name} {value}")
    assert f"{name} set to {shown.split(': ')[1]}." in changed
    listing = await console_bot.say("/settings")
    assert f"{shown} —" in listing  # no "(default)" marker
    assert f"{shown} (default)" not in listing
    assert f"{shown} —" in await console_bot.say(f"/settings {name}")
    reset = await console_bot.say(f"/settings {name} default")
    assert "(the default)" in reset
    assert "(default)" in (await console_bot.say(f"/settings {name}")).splitlines()[0]


async def test_unknown_setting_lists_the_settings(console_bot: ConsoleBot) -> None:
    for line in ("/settings colour blue", "/settings colour"):
        out = await console_bot.say(line)
        assert out.startswith("Error: There is no setting called 'colour'.")
        assert "Settings: " + ", ".join(NAMES) in out


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("sentences", "0", "sentences must be from 1 to 5; 0 is out of range."),
        ("sentences", "6", "sentences must be from 1 to 5; 6 is out of range."),
        ("sentences", "two", "sentences must be a whole number from 1 to 5."),
        ("items", "21", "items must be from 1 to 20; 21 is out of range."),
        ("items", "0", "items must be from 1 to 20"),
        ("layout", "tiny", "layout must be one of: full, compact."),
        ("previews", "maybe", "previews must be on or off."),
        ("silent", "sometimes", "silent must be on or off."),
        ("images", "some", "images must be on or off."),
        ("algorithm", "gpt", "algorithm must be one of: " + ", ".join(sorted(ALGORITHMS))),
    ],
)
async def test_bad_values_are_refused_with_the_valid_ones(
    console_bot: ConsoleBot, name: str, value: str, complaint: str
) -> None:
    out = await console_bot.say(f"/settings {name} {value}")
    assert out.startswith("Error: ")
    assert complaint in out
    chat = await console_bot.app.services.store.get_or_create_chat(CONSOLE_TARGET)
    assert SETTINGS_KEY not in chat.settings  # nothing was stored


async def test_too_many_words_show_the_usage(console_bot: ConsoleBot) -> None:
    out = await console_bot.say("/settings layout compact please")
    assert "Too many arguments." in out
    assert "Usage: /settings [setting] [value]" in out


async def test_items_range_follows_the_operators_maximum(
    database_url: str, clock: FakeClock
) -> None:
    async with open_app(make_settings(database_url, digest_max_items=8), clock=clock) as app:
        console = ConsolePlatform(
            app.registry, app.services, stdin=io.StringIO(), stdout=io.StringIO()
        )
        refused = await console.handle_line("/settings items 9")
        assert refused is not None
        assert refused.is_error
        assert "items must be from 1 to 8; 9 is out of range." in refused.text
        accepted = await console.handle_line("/settings items 8")
        assert accepted is not None
        assert accepted.text == "items set to 8 (the default)."


async def test_non_admins_may_look_but_not_change(console_bot: ConsoleBot) -> None:
    app = console_bot.app
    target = ChatTarget("telegram", "-100")

    def command(*args: str) -> Command:
        return Command("telegram", target, User("5"), "settings", args=args, is_admin=False)

    refused = await app.registry.dispatch(app.services, command("layout", "compact"))
    assert refused.is_error
    assert "Only administrators of this chat can change its settings." in refused.text
    shown = await app.registry.dispatch(app.services, command())
    assert not shown.is_error
    assert any(line.startswith("layout: full (default) — ") for line in shown.lines)
    admin = Command("telegram", target, User("1"), "settings", ("layout", "compact"), True)
    assert not (await app.registry.dispatch(app.services, admin)).is_error
    chat = await app.services.store.get_or_create_chat(target)
    assert chat.settings[SETTINGS_KEY] == {"layout": "compact"}


async def test_changing_settings_keeps_the_schedule_and_other_keys(
    console_bot: ConsoleBot,
) -> None:
    store = console_bot.app.services.store
    chat = await store.get_or_create_chat(CONSOLE_TARGET)
    await store.update_chat_settings(chat.pk, changes={"paused": True})
    assert "Schedule set: every 6 hours." in await console_bot.say("/schedule every 6h")
    await console_bot.say("/settings silent on")
    await console_bot.say("/settings sentences 2")
    chat = await store.get_or_create_chat(CONSOLE_TARGET)
    assert chat.settings["paused"] is True
    assert chat.settings[SETTINGS_KEY] == {"silent": True, "sentences": 2}
    assert "Schedule: every 6 hours." in await console_bot.say("/schedule")


async def test_operator_configuration_gives_the_defaults(
    database_url: str, clock: FakeClock, feed_server: FeedServer, tmp_path: Path
) -> None:
    async with console_bot_with(
        database_url,
        clock,
        tmp_path,
        digest_layout="compact",
        silent_digests=True,
        link_previews=True,
        summary_sentences=2,
        summary_algorithm="lexrank",
    ) as bot:
        out = await bot.say("/settings")
        for shown in ("layout: compact", "silent: on", "previews: on", "sentences: 2"):
            assert f"{shown} (default)" in out
        assert "algorithm: lexrank (default)" in out
        await subscribe_then_publish(bot, feed_server, 1)
        reply = await digest_reply(bot)
        assert reply.silent is True
        assert reply.previews is True
        assert reply.digest is not None
        assert reply.digest.layout == LAYOUT_COMPACT


# -- the effects on digests ---------------------------------------------------------------


async def test_items_cap_limits_the_digest_and_the_rest_lead_the_next(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await subscribe_then_publish(console_bot, feed_server, 1, 2, 3)
    await console_bot.say("/settings items 2")
    first = await digest_reply(console_bot)
    assert first.digest is not None
    assert len(first.digest.items) == 2
    assert first.digest.more_count == 1
    second = await digest_reply(console_bot)
    assert second.digest is not None
    assert len(second.digest.items) == 1


async def test_sentences_setting_gives_summaries_of_that_length(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await subscribe_then_publish(console_bot, feed_server, 1, 2)
    stored = await unseen_now(console_bot)
    assert {len(article.summary) for article in stored} == {3}  # the operator's default
    await console_bot.say("/settings sentences 1")
    reply = await digest_reply(console_bot)
    assert reply.digest is not None
    summaries = [item.summary for item in reply.digest.items]
    assert [len(summary) for summary in summaries] == [1, 1]
    texts = {article.title: article.text for article in stored}
    for item in reply.digest.items:
        assert item.summary[0] in texts[item.title]


async def test_algorithm_setting_resummarises_with_that_algorithm(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await subscribe_then_publish(console_bot, feed_server, 1)
    [stored] = await unseen_now(console_bot)
    await console_bot.say(f"/settings algorithm {OTHER_ALGORITHM}")
    reply = await digest_reply(console_bot)
    assert reply.digest is not None
    [item] = reply.digest.items
    expected = Summariser().summarise(
        stored.text, title=stored.title, algorithm=OTHER_ALGORITHM, language=stored.language
    )
    assert item.summary == expected
    assert item.summary != stored.summary  # the default algorithm picks other sentences


async def test_compact_layout_shows_titles_and_links_only_in_the_console(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await subscribe_then_publish(console_bot, feed_server, 1, 2)
    stored = await unseen_now(console_bot)
    await console_bot.say("/settings layout compact")
    out = await console_bot.say("/digest")
    assert f"* {SEED_TITLE} (2) — https://news.example/seed-2" in out
    assert f"* {SEED_TITLE} (1) — https://news.example/seed-1" in out
    for article in stored:
        assert article.summary
        assert article.summary[0][:25] not in out  # no summaries


async def test_silent_and_previews_ride_on_the_digest_reply(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await subscribe_then_publish(console_bot, feed_server, 1)
    await console_bot.say("/settings silent on")
    await console_bot.say("/settings previews on")
    reply = await digest_reply(console_bot)
    assert (reply.silent, reply.previews) == (True, True)
    info = await console_bot.console.handle_line("/list")
    assert info is not None
    assert (info.silent, info.previews) == (False, False)  # only digests


# -- the model, the outbox payload, the renderers ----------------------------------------


DEFAULTS = ChatSettings(
    sentences=3, items=20, layout="full", previews=False, silent=False, algorithm=DEFAULT_ALGORITHM
)


def test_stored_values_outside_todays_limits_fall_back() -> None:
    raw = {
        "schedule": {"kind": "off"},
        SETTINGS_KEY: {
            "items": 500,  # the operator lowered the maximum since
            "sentences": 4,
            "algorithm": "removed-algorithm",
            "silent": "yes",  # not a JSON boolean
            "layout": "compact",
            "unknown": 1,
        },
    }
    current = ChatSettings.from_json(raw, DEFAULTS)
    assert current == ChatSettings(
        sentences=4,
        items=20,
        layout="compact",
        previews=False,
        silent=False,
        algorithm=DEFAULT_ALGORITHM,
    )
    assert ChatSettings.from_json({}, DEFAULTS) == DEFAULTS
    assert ChatSettings.from_json({SETTINGS_KEY: "garbage"}, DEFAULTS) == DEFAULTS


def test_only_differences_are_stored_and_read_back_whole() -> None:
    raw = {"schedule": {"kind": "daily", "times": ["08:00"]}, "paused": True}
    chosen = DEFAULTS.changed("silent", "on", DEFAULTS).changed("sentences", "3", DEFAULTS)
    stored = {**raw, **digest_settings_changes(chosen.overrides(DEFAULTS))}
    assert stored == {**raw, SETTINGS_KEY: {"silent": True}}
    assert ChatSettings.from_json(stored, DEFAULTS) == chosen


def _digest(layout: str = "full") -> Digest:
    item = DigestItem(
        title="Tram line <approved>",
        link="https://news.example/a_(b)",
        source="City News",
        published=None,
        summary=["The council approved the tram line.", "Work starts in spring."],
    )
    return Digest("Your news digest", [DigestSection("City News", [item])], layout=layout)


def test_outbox_payload_keeps_layout_and_delivery_options() -> None:
    reply = Reply(text="1 new story.", digest=_digest(LAYOUT_COMPACT), silent=True, previews=True)
    again = payload_to_reply(reply_to_payload(reply))
    assert again == reply
    old_payload = reply_to_payload(Reply(text="1 new story.", digest=_digest()))
    for key in ("silent", "previews"):
        del old_payload[key]
    del old_payload["digest"]["layout"]
    old = payload_to_reply(old_payload)  # a row written before these settings existed
    assert (old.silent, old.previews) == (False, False)
    assert old.digest is not None
    assert old.digest.layout == "full"
    assert digest_from_dict(digest_to_dict(_digest(LAYOUT_COMPACT))).layout == LAYOUT_COMPACT


def test_compact_layout_renders_linked_titles_without_summaries() -> None:
    reply = Reply(text="1 new story.", digest=_digest(LAYOUT_COMPACT))
    [telegram] = render_telegram(reply)
    assert (
        '<b>City News</b>\n• <a href="https://news.example/a_(b)">Tram line &lt;approved&gt;</a>'
        in telegram.html
    )
    assert "council" not in telegram.html
    assert "council" not in telegram.plain
    assert "https://news.example/a_(b)" in telegram.plain
    [discord] = render_discord(reply)
    assert discord.embeds == []
    assert "• [Tram line \\<approved>](https://news.example/a_%28b%29)" in discord.content
    assert "council" not in discord.content
    assert render_plain(reply) == [discord]
    full = render_telegram(Reply(text="1 new story.", digest=_digest()))
    assert "council approved" in full[0].html
