"""What a reader of a serious news app expects from the commands, through the console:
feed health in /list, one clear error for a file that cannot be read, a note where the
console cannot do what a command is about, and an import report one can take in.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.news.opml import OPMLFeed, build_opml
from bot.store.tables import ArticleRow
from tests.support.clock import FakeClock
from tests.support.console import ConsoleBot, console_bot_with
from tests.support.feeds import FeedServer, rss_feed, stories


async def test_list_shows_each_feeds_health(
    console_bot: ConsoleBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    good = feed_server.serve("/good.xml", rss_feed(stories(1), title="Good"))
    bad = feed_server.serve("/bad.xml", rss_feed(stories(1), title="Bad"))
    await console_bot.say(f"/subscribe {good}")
    await console_bot.say(f"/subscribe {bad}")
    clock.advance(hours=2)
    feed_server.serve("/good.xml", rss_feed(stories(2, 1), title="Good"))
    feed_server.serve("/bad.xml", "down", content_type="text/plain", status=503)
    await console_bot.say("/digest")
    store = console_bot.app.services.store
    [_, bad_sub] = await store.list_subscriptions(
        (await store.get_or_create_chat(console_bot.console.target)).pk
    )
    lines = (await console_bot.say("/list")).splitlines()
    assert lines[1].startswith("1. Good — ")
    assert lines[2] == "   last new story 2026-01-15 11:00"
    assert lines[3].startswith("2. Bad — ")
    assert lines[4].startswith("   failing since 2026-01-15 11:00: the server answered HTTP 503")
    assert lines[4].endswith("last new story 2026-01-15 09:00")
    await store.disable_feed(bad_sub.feed.id, reason="it has failed for two days")
    lines = (await console_bot.say("/list")).splitlines()
    assert lines[4] == ("   disabled: it has failed for two days (/subscribe to it again to retry)")


async def test_console_import_of_a_missing_file_is_one_error(console_bot: ConsoleBot) -> None:
    out = await console_bot.say("/import /no/such/file.opml")
    assert out.splitlines() == ["Error: cannot read /no/such/file.opml: No such file or directory"]


async def test_the_console_says_it_sends_no_scheduled_digests(console_bot: ConsoleBot) -> None:
    for command in ("/schedule 08:00", "/pause", "/resume", "/timezone Europe/Berlin"):
        assert "the console runs no scheduler" in await console_bot.say(command)
    assert "runs no scheduler" not in await console_bot.say("/schedule 25:99")  # an error


async def test_a_long_import_is_announced_grouped_by_reason_and_filed(
    database_url: str, clock: FakeClock, tmp_path: Path, feed_server: FeedServer
) -> None:
    feeds = [
        OPMLFeed(feed_server.serve(f"/ok{n}.xml", rss_feed(stories(n), title=f"Ok {n}")), f"Ok {n}")
        for n in range(20)
    ]
    feeds += [OPMLFeed(f"{feed_server.base_url}/gone{n}.xml", f"Gone {n}") for n in range(5)]
    feeds += [
        OPMLFeed(feed_server.serve(f"/page{n}.xml", "<p>hello</p>", "text/plain"), f"Page {n}")
        for n in range(5)
    ]
    upload = tmp_path / "big.opml"
    upload.write_bytes(build_opml(feeds, title="big"))
    async with console_bot_with(database_url, clock, tmp_path, command_rate_per_minute=0) as bot:
        out = await bot.say(f"/import {upload}")
        lines = out.splitlines()
        assert lines[0] == "Checking 30 feeds; this may take a minute…"
        assert lines[1] == "Imported big.opml: 20 added, 0 already present, 10 failed."
        assert any(line.startswith("✗ HTTP 404 Not Found (5): Gone 0, Gone 1") for line in lines)
        assert any(line.startswith("✗ not a feed (5): Page 0") for line in lines)
        assert "send the same file again" in out
        assert "The full list of 30 feeds is in import-report.txt." in out
        report = (tmp_path / "import-report.txt").read_text(encoding="utf-8").splitlines()
        assert len(report) == 30
        assert report[0] == "+ Ok 0"
        # Retrying is sending the file again: the 20 added are not fetched a second time.
        hits = dict(feed_server.hits)
        again = await bot.say(f"/import {upload}")
        assert "0 added, 20 already present, 10 failed" in again
        assert all(feed_server.hits[f"/ok{n}.xml"] == hits[f"/ok{n}.xml"] for n in range(20))


async def test_digest_summaries_are_capped_in_characters(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/blog.xml", rss_feed([], title="Long Blog"))
    await console_bot.say(f"/subscribe {url}")
    run_on = " ".join(["the committee discussed the proposal at length and then again"] * 10)
    body = " ".join(f"Part {n} began when {run_on}." for n in range(6))
    item = {
        "guid": "p1",
        "title": "A long post",
        "link": "https://blog.example/p1",
        "description": f"<p>{body}</p>",
    }
    feed_server.serve("/blog.xml", rss_feed([item], title="Long Blog"))
    await console_bot.say("/digest")
    store = console_bot.app.services.store
    async with store.session() as session:
        [summary] = (await session.scalars(select(ArticleRow.summary))).all()
    assert 0 < len(summary) <= 600  # NEWSDIGEST_SUMMARY_MAX_CHARS
    assert summary.endswith(("…", "."))
