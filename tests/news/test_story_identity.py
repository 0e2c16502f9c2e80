"""Which items are the same story: within a feed by id, across feeds by article URL.

Real feeds broke the old rule (merge by normalised link, fragment dropped, everywhere): a
podcast whose episodes all link to the show's home page showed one story, a micro-blog
whose posts are ``day.html#anchor`` permalinks one story a day, and a new episode with a
known link was stored but never delivered. These tests run the whole pipeline (local feed
server, parser, store, composer) on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from bot.models import ChatTarget
from bot.news.parse import parse_feed
from tests.support import FIXTURES
from tests.support.clock import FakeClock
from tests.support.console import ConsoleBot
from tests.support.feeds import FeedServer, rss_feed

PODCAST = FIXTURES / "feeds" / "podcast_derived_night-vale_episodes-link-home.xml"
MICROBLOG = FIXTURES / "feeds" / "rss2_scripting-news_derived_anchor-permalinks.xml"
EMPTY = rss_feed([], title="Not yet")
BODY = (
    "The harbour authority opened the new ferry terminal on Monday after two years of work. "
    "Passengers can now board from both sides of the quay. "
    "The old terminal will become a market hall next year."
)


def item(guid: str | None, title: str, link: str, body: str = BODY) -> dict[str, str]:
    entry = {"title": title, "link": link, "description": f"<p>{title}. {body}</p>"}
    if guid is not None:
        entry["guid"] = guid
    return entry


async def unseen_titles(bot: ConsoleBot) -> list[str]:
    store = bot.app.services.store
    chat = await store.get_or_create_chat(bot.console.target)
    return sorted(article.title for article in await store.unseen_articles(chat.pk))


async def follow_empty(bot: ConsoleBot, server: FeedServer, path: str) -> str:
    """Subscribe while the feed is empty, so everything it publishes later is new."""
    url = server.serve(path, EMPTY)
    assert "Subscribed" in await bot.say(f"/subscribe {url}")
    return url


async def poll_all(bot: ConsoleBot) -> None:
    services = bot.app.services
    await services.poller.poll(await services.store.list_feeds())


async def test_podcast_episodes_linking_to_the_home_page_are_separate_stories(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await follow_empty(console_bot, feed_server, "/podcast.xml")
    feed_server.serve("/podcast.xml", PODCAST.read_bytes())
    await poll_all(console_bot)
    titles = await unseen_titles(console_bot)
    assert len(titles) == 3
    assert "234 - The Boy" in titles
    out = await console_bot.say("/digest")
    assert "3 new stories." in out


async def test_a_new_episode_with_a_known_link_is_delivered(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    home = "http://welcometonightvale.com"
    old = [item(f"ep-{n}", f"Episode {n}", home) for n in (1, 2)]
    url = feed_server.serve("/show.xml", rss_feed(old, title="Night Show"))
    await console_bot.say(f"/subscribe {url}")
    assert "No new stories" in await console_bot.say("/digest")
    feed_server.serve("/show.xml", rss_feed([item("ep-3", "Episode 3", home), *old]))
    out = await console_bot.say("/digest")
    assert "1 new story." in out
    assert "Episode 3" in out


async def test_micro_blog_posts_on_one_day_page_are_separate_stories(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    document = MICROBLOG.read_bytes()
    parsed = parse_feed(document, "http://scripting.com/rss.xml").articles
    assert len(parsed) == 50
    assert len({article.guid for article in parsed}) == 48  # the feed repeats two ids
    await follow_empty(console_bot, feed_server, "/scripting.xml")
    feed_server.serve("/scripting.xml", document)
    await poll_all(console_bot)
    store = console_bot.app.services.store
    chat = await store.get_or_create_chat(console_bot.console.target)
    unseen = await store.unseen_articles(chat.pk)
    assert len(unseen) == 48  # one story per id, 7 day pages between them
    assert len({article.link for article in unseen}) == 48  # anchors kept


async def test_items_without_ids_sharing_a_link_are_told_apart_by_title(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await follow_empty(console_bot, feed_server, "/noids.xml")
    page = "https://radio.example/listen"
    items = [item(None, f"Bulletin at {hour}:00", page) for hour in (7, 8, 9)]
    feed_server.serve("/noids.xml", rss_feed(items))
    await poll_all(console_bot)
    assert len(await unseen_titles(console_bot)) == 3
    await poll_all(console_bot)  # the same document again: nothing new, nothing twice
    assert len(await unseen_titles(console_bot)) == 3


async def test_a_link_shared_with_an_earlier_item_of_the_feed_is_a_new_story(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await follow_empty(console_bot, feed_server, "/live.xml")
    live = "https://news.example/live-blog"
    first = item("update-1", "Live: polls open", live)
    feed_server.serve("/live.xml", rss_feed([first]))
    assert "1 new story." in await console_bot.say("/digest")
    second = item("update-2", "Live: first results", live, body="Counting has begun in the north.")
    feed_server.serve("/live.xml", rss_feed([second, first]))
    out = await console_bot.say("/digest")
    assert "1 new story." in out
    assert "Live: first results" in out


async def test_the_same_article_in_two_feeds_is_one_story(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    for path in ("/world.xml", "/europe.xml"):
        await follow_empty(console_bot, feed_server, path)
    article = "https://news.example/2026/01/15/ferry-terminal?utm_source=rss"
    feed_server.serve(
        "/world.xml", rss_feed([item("w-1", "Ferry terminal opens", article)], title="World")
    )
    feed_server.serve(
        "/europe.xml",
        rss_feed(
            [item("e-9", "Ferry terminal opens", article.replace("?utm_source=rss", ""))],
            title="Europe",
        ),
    )
    await poll_all(console_bot)
    assert await unseen_titles(console_bot) == ["Ferry terminal opens"]
    # A chat that follows only the second feed still gets the story.
    europe_only = ChatTarget("console", "europe")
    store = console_bot.app.services.store
    chat = await store.get_or_create_chat(europe_only)
    [europe] = [feed for feed in await store.list_feeds() if feed.url.endswith("/europe.xml")]
    await store.subscribe(chat.pk, europe.id)
    feed_server.serve(
        "/europe.xml",
        rss_feed(
            [
                item("e-10", "Market hall plans", "https://news.example/2026/01/16/market"),
                item("e-9", "Ferry terminal opens", article),
            ],
            title="Europe",
        ),
    )
    feed_server.serve(
        "/world.xml",
        rss_feed(
            [
                item("w-2", "Market hall plans", "https://news.example/2026/01/16/market#top"),
                item("w-1", "Ferry terminal opens", article),
            ],
            title="World",
        ),
    )
    await poll_all(console_bot)
    # "#top" is another address: fragments count, so the two are not merged by link...
    assert (await unseen_titles(console_bot)).count("Market hall plans") == 2
    # ...but the digest still shows the event once, the other outlet as an "also" link.
    out = await console_bot.say("/digest")
    assert "2 new stories." in out  # the ferry terminal and the market hall, once each
    assert out.count("* Market hall plans") == 1
    assert "also: " in out
    assert [a.title for a in await store.unseen_articles(chat.pk)] == ["Market hall plans"]


async def test_home_page_links_never_merge_two_feeds(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    for path in ("/a.xml", "/b.xml"):
        await follow_empty(console_bot, feed_server, path)
    home = "https://www.news.example/"
    feed_server.serve("/a.xml", rss_feed([item("a-1", "Tram line approved", home)]))
    feed_server.serve(
        "/b.xml",
        rss_feed([item("b-1", "Storm warning", home, body="Winds of 120 km/h are expected.")]),
    )
    await poll_all(console_bot)
    assert await unseen_titles(console_bot) == ["Storm warning", "Tram line approved"]


async def test_backlog_at_subscribe_is_still_marked_read(
    console_bot: ConsoleBot, feed_server: FeedServer, tmp_path: Path
) -> None:
    """The new identity rules must not turn the backlog into a flood of "new" stories."""
    url = feed_server.serve("/podcast.xml", PODCAST.read_bytes())
    await console_bot.say(f"/subscribe {url}")
    await poll_all(console_bot)
    assert await unseen_titles(console_bot) == []


async def test_an_edited_headline_without_an_id_is_the_same_story(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await follow_empty(console_bot, feed_server, "/typo.xml")
    link = "https://news.example/2026/01/15/ferry"
    feed_server.serve("/typo.xml", rss_feed([item(None, "Ferry termnial opens", link)]))
    assert "1 new story." in await console_bot.say("/digest")
    feed_server.serve("/typo.xml", rss_feed([item(None, "Ferry Terminal opens", link)]))
    assert "No new stories" in await console_bot.say("/digest")
    # The corrected item next to a new one with a link of its own: only the new one is new.
    other = item(None, "Market hall plans", "https://news.example/2026/01/16/market")
    feed_server.serve("/typo.xml", rss_feed([other, item(None, "Ferry terminal opens", link)]))
    out = await console_bot.say("/digest")
    assert "1 new story." in out
    assert "Market hall plans" in out


async def test_episodes_without_ids_sharing_a_show_link_are_each_sent_once(
    console_bot: ConsoleBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    """The show page is not a home page, so only the feed's own history says it is shared:
    the first episode arrives alone, and each later one next to those before it."""
    await follow_empty(console_bot, feed_server, "/show.xml")
    show = "https://radio.example/shows/night-talk"
    episodes = [item(None, f"Night Talk, episode {n:02}", show) for n in range(1, 11)]
    for n in range(1, 11):
        feed_server.serve("/show.xml", rss_feed(list(reversed(episodes[:n]))))
        clock.advance(minutes=1)  # /digest fetches feeds: a few a minute per chat
        out = await console_bot.say("/digest")
        assert "1 new story." in out, f"episode {n}: {out}"
        assert f"episode {n:02}" in out
    clock.advance(minutes=1)
    assert "No new stories" in await console_bot.say("/digest")  # all ten polled again
    # An older window of the feed brings nothing back either.
    feed_server.serve("/show.xml", rss_feed(list(reversed(episodes[:5]))))
    clock.advance(minutes=1)
    assert "No new stories" in await console_bot.say("/digest")


async def test_a_second_item_on_a_known_link_is_new_and_the_first_is_not_resent(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await follow_empty(console_bot, feed_server, "/live.xml")
    live = "https://news.example/live/election"
    first = item(None, "Live: polls open", live)
    feed_server.serve("/live.xml", rss_feed([first]))
    assert "1 new story." in await console_bot.say("/digest")
    second = item(None, "Live: first results", live, body="Counting has begun in the north.")
    feed_server.serve("/live.xml", rss_feed([second, first]))
    out = await console_bot.say("/digest")
    assert "1 new story." in out
    assert "Live: first results" in out
    # The first item drops out of the feed; the second alone is still known.
    feed_server.serve("/live.xml", rss_feed([second]))
    assert "No new stories" in await console_bot.say("/digest")


async def test_episodes_without_ids_linking_to_the_home_page_one_at_a_time_are_new(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    """A feed that only ever shows its latest episode, linked to the site's front page: a
    home page names no article, so a new title on it is a new story, never an edit."""
    await follow_empty(console_bot, feed_server, "/latest.xml")
    home = "https://podcast.example/"
    for n in (1, 2, 3):
        feed_server.serve("/latest.xml", rss_feed([item(None, f"Episode {n}", home)]))
        out = await console_bot.say("/digest")
        assert "1 new story." in out
        assert f"Episode {n}" in out


async def test_a_link_a_feed_reuses_no_longer_merges_another_feeds_item(
    console_bot: ConsoleBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    """Feed A's first item with a link stores its article under it; when A carries a second
    item with the same link, the link names no one article any more, so feed B's own item
    with that link is B's story, not A's first one again."""
    for path in ("/a.xml", "/b.xml"):
        await follow_empty(console_bot, feed_server, path)
    page = "https://city.example/news/roadworks"
    first = item("a-1", "Roadworks on Main Street", page)
    feed_server.serve("/a.xml", rss_feed([first], title="City A"))
    assert "1 new story." in await console_bot.say("/digest")
    second = item("a-2", "Roadworks: week two", page, body="The bridge lane reopens on Friday.")
    feed_server.serve("/a.xml", rss_feed([second, first], title="City A"))
    clock.advance(minutes=1)
    assert "1 new story." in await console_bot.say("/digest")
    own = item(None, "Bus routes change for the roadworks", page, body="Lines 4 and 7 divert.")
    feed_server.serve("/b.xml", rss_feed([own], title="Buses B"))
    clock.advance(minutes=1)
    out = await console_bot.say("/digest")
    assert "1 new story." in out
    assert "Bus routes change for the roadworks" in out


async def test_an_article_another_feed_carries_too_stays_merged(
    console_bot: ConsoleBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    """Only what a feed alone brought stops being a merge target: an article two feeds
    already share keeps its link, and a third feed's copy is still the same story."""
    for path in ("/a.xml", "/b.xml", "/c.xml"):
        await follow_empty(console_bot, feed_server, path)
    page = "https://city.example/news/budget"
    first = item("a-1", "Budget approved", page)
    feed_server.serve("/a.xml", rss_feed([first], title="City A"))
    feed_server.serve("/b.xml", rss_feed([item("b-1", "Budget approved", page)], title="B"))
    assert "1 new story." in await console_bot.say("/digest")
    second = item("a-2", "Budget: what changes", page, body="Parks get more money.")
    feed_server.serve("/a.xml", rss_feed([second, first], title="City A"))
    feed_server.serve("/c.xml", rss_feed([item("c-1", "Budget approved", page)], title="C"))
    clock.advance(minutes=1)
    out = await console_bot.say("/digest")
    assert "1 new story." in out
    assert "Budget: what changes" in out


async def test_a_corrected_item_stays_known_when_its_link_turns_shared(
    console_bot: ConsoleBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    await follow_empty(console_bot, feed_server, "/typo.xml")
    link = "https://news.example/live/storm"
    feed_server.serve("/typo.xml", rss_feed([item(None, "Strom warning", link)]))
    assert "1 new story." in await console_bot.say("/digest")
    corrected = item(None, "Storm warning", link)
    feed_server.serve("/typo.xml", rss_feed([corrected]))
    clock.advance(minutes=1)
    assert "No new stories" in await console_bot.say("/digest")
    update = item(None, "Storm warning: schools closed", link, body="All schools close today.")
    feed_server.serve("/typo.xml", rss_feed([update, corrected]))
    clock.advance(minutes=1)
    out = await console_bot.say("/digest")
    assert "1 new story." in out
    assert "schools closed" in out
