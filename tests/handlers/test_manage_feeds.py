"""Managing a chat's feeds: several at once, all of them, muting one, and the console's
numbered options (pressing a button by typing its number), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from tests.support.clock import FakeClock
from tests.support.console import ConsoleBot, console_bot_with
from tests.support.feeds import FeedServer, rss_feed, stories


async def _follow(bot: ConsoleBot, server: FeedServer, *names: str) -> dict[str, str]:
    urls = {}
    for name in names:
        urls[name] = server.serve(f"/{name}.xml", rss_feed(stories(1, prefix=name), title=name))
        assert "Subscribed to" in await bot.say(f"/subscribe {urls[name]}")
    return urls


async def _titles(bot: ConsoleBot) -> list[str]:
    subs = await bot.app.services.store.list_subscriptions(
        (await bot.app.services.store.get_or_create_chat(bot.console.target)).pk
    )
    return [sub.display_title for sub in subs]


def _option(out: str, label: str) -> str:
    """The number the console printed for the option ``label``."""
    for part in out.replace("\n", "  ").split("  "):
        part = part.strip()
        if part.startswith("[") and part.split("] ", 1)[1].startswith(label):
            return part[1 : part.index("]")]
    raise AssertionError(f"no option {label!r} in:\n{out}")


async def test_unsubscribe_several_reports_removed_and_unknown(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await _follow(console_bot, feed_server, "Alpha", "Beta", "Gamma", "Delta")
    out = await console_bot.say("/unsubscribe 1 3 9 3")
    assert "Unsubscribed from 2 feeds:" in out
    assert "• Alpha" in out
    assert "• Gamma" in out
    assert "Not found, so nothing removed for: 9." in out
    assert await _titles(console_bot) == ["Beta", "Delta"]  # 3 was Gamma, not what shifted
    out = await console_bot.say("/unsubscribe 7 8")
    assert out.startswith("Error: There is no subscription 7, 8: this chat has 2.")
    assert "is not a subscription number" in await console_bot.say("/unsubscribe 1 x")
    assert await _titles(console_bot) == ["Beta", "Delta"]


async def test_unsubscribe_all_needs_confirmation(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await _follow(console_bot, feed_server, "Alpha", "Beta")
    out = await console_bot.say("/unsubscribe all")
    assert "Unsubscribe from all 2 feeds of this chat?" in out
    assert await _titles(console_bot) == ["Alpha", "Beta"]
    out = await console_bot.say(_option(out, "Cancel"))  # back to the list, nothing removed
    assert "Subscriptions (2):" in out
    out = await console_bot.say("/unsubscribe all")
    assert "There is no option 3: choose 1 to 2." in await console_bot.say("3")
    assert await _titles(console_bot) == ["Alpha", "Beta"]
    out = await console_bot.say(_option(out, "Unsubscribe from all"))
    assert "Unsubscribed from all 2 feeds." in out
    assert await _titles(console_bot) == []


async def test_mute_keeps_the_feed_out_of_digests_and_unmute_does_not_flood(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    urls = await _follow(console_bot, feed_server, "Loud", "Quiet")
    assert "Muted Loud" in await console_bot.say("/mute 1")
    assert "1. Loud (muted)" in await console_bot.say("/list")
    assert "already muted" in await console_bot.say("/mute 1")
    feed_server.serve("/Loud.xml", rss_feed(stories(1, 2, 3, prefix="Loud"), title="Loud"))
    feed_server.serve("/Quiet.xml", rss_feed(stories(1, 2, prefix="Quiet"), title="Quiet"))
    out = await console_bot.say("/digest")
    assert "Quiet 2" in out
    assert "Loud" not in out.split("new stor", 1)[1]  # polled, but not shown
    assert "Unmuted Loud" in await console_bot.say("/unmute 1")
    assert "No new stories" in await console_bot.say("/digest")  # what came meanwhile: skipped
    feed_server.serve("/Loud.xml", rss_feed(stories(1, 2, 3, 4, prefix="Loud"), title="Loud"))
    out = await console_bot.say("/digest")
    assert "Loud 4" in out
    assert "Loud 3" not in out
    assert urls


async def test_mute_refuses_what_is_not_a_feed(console_bot: ConsoleBot) -> None:
    assert "not a subscription number" in await console_bot.say("/mute abc")
    assert "no subscriptions" in await console_bot.say("/unmute 1")
    assert "no longer followed" in await console_bot.say("/feed id:99")


async def test_list_pages_and_manages_a_feed_by_number_choices(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    async with console_bot_with(database_url, clock, tmp_path, command_rate_per_minute=0) as bot:
        await _pages_and_cards(bot, feed_server)


async def _pages_and_cards(console_bot: ConsoleBot, feed_server: FeedServer) -> None:
    names = [f"Feed{n:02d}" for n in range(1, 13)]
    await _follow(console_bot, feed_server, *names)
    out = await console_bot.say("/list")
    assert "Subscriptions (12):" in out
    assert "Page 1 of 2." in out
    assert "10. Feed10" in out
    assert "11. Feed11" not in out
    assert "Manage feed…" in out
    page2 = await console_bot.say(_option(out, "Next"))
    assert "11. Feed11" in page2
    assert "1. Feed01 " not in page2
    card = await console_bot.say(_option(page2, "12. Feed12"))
    assert card.startswith("12. Feed12")
    assert "Rename it: /rename 12 <new name>" in card
    assert "/filter 3 add include" in await console_bot.say(_option(card, "Filters"))
    card = await console_bot.say("/feed 12")
    muted = await console_bot.say(_option(card, "Mute"))
    assert "Muted Feed12" in muted
    assert "Unmute" in muted
    ask = await console_bot.say(_option(muted, "Unsubscribe"))
    assert "Unsubscribe from Feed12?" in ask
    assert "Feed12" in await _titles(console_bot)  # a question first, nothing removed
    done = await console_bot.say(_option(ask, "Unsubscribe"))
    assert "Unsubscribed from Feed12." in done
    assert "Feed12" not in await _titles(console_bot)
    assert "Page 2 of 2" in await console_bot.say("/list 5")  # past the end: the last page


async def test_a_stale_confirmation_never_removes_another_feed(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await _follow(console_bot, feed_server, "Alpha", "Beta", "Gamma")
    card = await console_bot.say("/feed 2")  # Beta's card, made while Beta is number 2
    ask = await console_bot.say(_option(card, "Unsubscribe"))
    assert "Unsubscribe from Beta?" in ask
    confirm = console_bot.console.options[int(_option(ask, "Unsubscribe")) - 1]
    await console_bot.say("/unsubscribe 1")  # Alpha goes: Gamma is number 2 now
    pressed = f"/{confirm.command} {' '.join(confirm.args)}"
    assert "Unsubscribed from Beta." in await console_bot.say(pressed)
    assert await _titles(console_bot) == ["Gamma"]
    again = await console_bot.say(pressed)  # pressed twice: Beta is gone, Gamma stays
    assert "no longer followed in this chat" in again
    assert await _titles(console_bot) == ["Gamma"]


async def test_settings_options_change_the_setting(console_bot: ConsoleBot) -> None:
    out = await console_bot.say("/settings")
    assert "Previews: off → on" in out
    out = await console_bot.say(_option(out, "Previews: off → on"))
    assert out.startswith("previews set to on.")
    assert "Previews: on → off" in out  # the settings again, updated
    out = await console_bot.say(_option(out, "layout: compact"))
    assert "layout: compact" in out.splitlines()[1] or "layout set to compact" in out
    chat = await console_bot.app.services.store.get_or_create_chat(console_bot.console.target)
    prefs = console_bot.app.services.composer.settings_for(chat)
    assert prefs.previews is True
    assert prefs.layout == "compact"
    out = await console_bot.say(_option(out, "Images: on → off"))
    assert out.startswith("images set to off.")
    chat = await console_bot.app.services.store.get_or_create_chat(console_bot.console.target)
    assert console_bot.app.services.composer.settings_for(chat).images is False


async def test_hostile_feed_references_are_refused_and_change_nothing(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await _follow(console_bot, feed_server, "Alpha")
    for word in ("id:9223372036854775807", "id:0", "id:" + "9" * 18):
        for command in ("/mute", "/unmute", "/feed", "/unsubscribe"):
            assert "no longer followed in this chat" in await console_bot.say(f"{command} {word}")
    for word in ("id:" + "9" * 20, "id:-1", "id:①", "\x00", "#" * 5000, "id:1\u202e"):
        for command in ("/mute", "/feed", "/unsubscribe"):
            out = await console_bot.say(f"{command} {word}")
            assert out.startswith("Error:"), out
    out = await console_bot.say("/unsubscribe 1 id:9223372036854775807 " + "9" * 18)
    assert "Unsubscribed from Alpha." not in out
    assert "Unsubscribed from 1 feed:" in out
    assert f"Not found, so nothing removed for: id:9223372036854775807, {'9' * 18}." in out
    assert await _titles(console_bot) == []


async def test_a_huge_number_typed_under_options_is_a_complaint_not_a_crash(
    console_bot: ConsoleBot,
) -> None:
    out = await console_bot.say("/settings")
    assert "[1]" in out
    out = await console_bot.say("9" * 5000)  # int() refuses more than 4,300 digits
    assert out.startswith("Error:")
    assert "[1]" in await console_bot.say("/settings")  # the console still answers
