"""Keyword and regex filters: the rules themselves, then /filter through the console bot.

The console tests run the real store, fetcher (feeds on 127.0.0.1), parser, summariser and
composer; a hostile regex must cost a bounded time and never stop a digest.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.digest.filters import (
    EXCLUDE,
    INCLUDE,
    MAX_PATTERN_LENGTH,
    ArticleFilter,
    FilterError,
    FilterRule,
    parse_rule_text,
)
from bot.digest.pattern_cost import expansion_size
from bot.models import ChatTarget, StoredArticle
from handlers.model import Command, User
from tests.support import FIXTURES
from tests.support.console import ConsoleBot
from tests.support.feeds import FeedServer, rss_feed

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CATASTROPHIC = "(a+)+$"
TECHCRUNCH = FIXTURES / "feeds" / "rss2_techcrunch_content-encoded_blank-line-before-xml-decl.xml"


def article(n: int, title: str, text: str = "", *, subscription_id: int = 1) -> StoredArticle:
    return StoredArticle(
        id=n,
        title=title,
        link=f"https://news.example/{n}",
        source="Feed",
        published=NOW,
        first_seen=NOW,
        summary=[text] if text else [],
        text=text,
        subscription_id=subscription_id,
    )


def rule(n: int, kind: str, typed: str, *, subscription_id: int | None = None) -> FilterRule:
    pattern, is_regex = parse_rule_text(typed)
    return FilterRule(n, kind, pattern, is_regex, subscription_id)


def shown(rules: list[FilterRule], articles: list[StoredArticle]) -> list[str]:
    visible, _hidden = ArticleFilter(rules).split(articles)
    return [a.title for a in visible]


# -- the rules -------------------------------------------------------------------------------


def test_words_match_any_of_them_as_whole_words_ignoring_case() -> None:
    stories = [
        article(1, "Rust 1.80 released"),
        article(2, "Trust issues in the council"),
        article(3, "Ten PYTHON tips"),
        article(4, "Gardening"),
    ]
    assert shown([rule(1, INCLUDE, "rust python")], stories) == [
        "Rust 1.80 released",
        "Ten PYTHON tips",
    ]


def test_a_quoted_phrase_needs_its_words_together() -> None:
    stories = [
        article(1, "Machine  learning at scale"),
        article(2, "The learning machine"),
        article(3, "Weather", "New results in machine learning."),
    ]
    typed = "\u201cmachine learning\u201d"  # a phone keyboard's curly quotes
    assert parse_rule_text(typed) == ('"machine learning"', False)
    assert shown([rule(1, INCLUDE, typed)], stories) == ["Machine  learning at scale", "Weather"]


def test_exclude_wins_over_include_and_text_is_searched() -> None:
    stories = [
        article(1, "AI beats humans at chess"),
        article(2, "AI in sport: the new referee"),
        article(3, "Football results", "Scores of the sport weekend."),
        article(4, "Local bakery opens"),
    ]
    rules = [rule(1, INCLUDE, r"/\bAI\b/"), rule(2, EXCLUDE, "sport")]
    assert shown(rules, stories) == ["AI beats humans at chess"]
    assert shown([rule(2, EXCLUDE, "sport")], stories) == [
        "AI beats humans at chess",
        "Local bakery opens",
    ]


def test_rules_of_one_subscription_leave_the_others_alone() -> None:
    stories = [
        article(1, "AI news", subscription_id=1),
        article(2, "Cooking", subscription_id=1),
        article(3, "AI news too", subscription_id=2),
        article(4, "Gardening", subscription_id=2),
    ]
    only_second = [rule(1, INCLUDE, "ai", subscription_id=2)]
    assert shown(only_second, stories) == ["AI news", "Cooking", "AI news too"]
    chat_wide = [*only_second, rule(2, INCLUDE, "cooking")]
    # A chat-wide include applies to every feed: the first one now needs "cooking", the
    # second "cooking" or "ai".
    assert shown(chat_wide, stories) == ["Cooking", "AI news too"]
    assert shown([rule(1, INCLUDE, "gardening", subscription_id=1)], stories) == [
        "AI news too",
        "Gardening",
    ]


@pytest.mark.parametrize(
    ("typed", "complaint"),
    [
        ("", "Say what to match"),
        ('"unclosed phrase', "quote is not closed"),
        ('""', "phrase is empty"),
        ("/(unclosed/", "not valid"),
        ("/[z-a]/", "not valid"),
        ("/a{5000}/", "Repeat counts"),
        # Each count is small, the nesting multiplies them. (The same with {100} took
        # gigabytes to compile; see test_the_unrolled_size_of_a_pattern.)
        ("/(((a{10}){10}){10}){10}/", "repeats too much"),
        ("/(?:(?:[a-z]{10}){10}){10}/", "repeats too much"),
        ("/" + "(" * 10 + "a" + "){2}" * 10 + "/", "repeats too much"),
        # Side by side they add up.
        ("/" + "|".join(["(a{20}){20}"] * 3) + "/", "repeats too much"),
        ("/(?x)a b/", "verbose mode"),
        ("/" + "a" * (MAX_PATTERN_LENGTH + 1) + "/", "the limit is 200"),
        (" ".join(f"word{n}" for n in range(40)), "the limit is 200"),
    ],
)
def test_unusable_rules_are_refused_with_a_reason(typed: str, complaint: str) -> None:
    with pytest.raises(FilterError, match=complaint):
        parse_rule_text(typed)


@pytest.mark.parametrize(
    ("pattern", "size"),
    [
        ("abc", 3),
        ("a{5}", 5),
        ("a{2,7}b{3,}", 10),
        ("(a{10}){10}", 110),  # the group counts 1 and is copied with its contents
        ("(a|bc){4}", 16),
        ("a|bc", 3),
        ("[(]{100}", 100),  # a bracket in a class opens no group
        ("[]a(]{100}", 100),  # "]" first in a class is a member
        (r"\({100}", 100),
        (r"\p{L}{10}", 10),  # \p{L} is one character, {10} its count
        ("a*b+c?", 3),  # loops, not copies
        ("((a{10}){10}", 111),  # an unclosed group still counts in full
        ("(((a{100}){100}){100}){100}", 101010100),
    ],
)
def test_the_unrolled_size_of_a_pattern(pattern: str, size: int) -> None:
    assert expansion_size(pattern) == size


def test_ordinary_counted_patterns_are_accepted() -> None:
    for typed in (
        r"/\b(\d{1,3}\.){3}\d{1,3}\b/",
        r"/\b[A-Z]{2,5}-\d{4}\b/",
        "/(a{100}){9}/",
        "/" + "(" * 8 + "a" + "){2}" * 8 + "/",
    ):
        assert parse_rule_text(typed)[1] is True


@pytest.mark.timeout(60)
def test_a_regex_that_times_out_never_hides_a_story_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hostile = "a" * 5000 + "!"
    stories = [article(n, hostile) for n in range(1, 6)] + [article(9, "Normal news")]
    with caplog.at_level(logging.WARNING, logger="bot.digest.filters"):
        exclude = [FilterRule(1, EXCLUDE, CATASTROPHIC, True)]
        assert len(shown(exclude, stories)) == 6  # timed out: not excluded
        include = [FilterRule(2, INCLUDE, CATASTROPHIC, True)]
        assert len(shown(include, stories)) == 6  # timed out: not a reason to hide
    warnings = [r for r in caplog.records if "took longer" in r.getMessage()]
    assert len(warnings) == 2  # once per rule and digest, not once per story


@pytest.mark.timeout(60)
def test_an_include_rule_that_timed_out_fails_open_for_the_rest_of_the_digest() -> None:
    # Hidden stories are marked as read: a rule that could not answer must not hide any.
    stories = [
        article(1, "a" * 5000 + "!"),  # times the rule out
        article(2, "A match report"),  # would match, were the rule still tried
        article(3, "Gardening"),  # would not: shown all the same, the rule has no answer
        article(4, "Sport: the match"),
    ]
    rules = [FilterRule(1, INCLUDE, f"{CATASTROPHIC}|match", True)]
    visible, hidden = ArticleFilter(rules).split(stories)
    assert hidden == []
    assert [a.id for a in visible] == [1, 2, 3, 4]
    # An exclude rule that answers still hides, and an include rule that answers "no"
    # alone still hides too.
    rules += [rule(2, EXCLUDE, "sport"), rule(3, INCLUDE, "/nothing like this/", subscription_id=2)]
    other_feed = article(5, "Gardening", subscription_id=2)
    visible, hidden = ArticleFilter(rules).split([*stories, other_feed])
    assert [a.id for a in visible] == [1, 2, 3, 5]
    assert [a.id for a in hidden] == [4]
    alone = [rule(3, INCLUDE, "/nothing like this/", subscription_id=2)]
    assert ArticleFilter(alone).split([other_feed]) == ([], [other_feed])


# -- /filter in a chat -----------------------------------------------------------------------


def item(n: int, title: str, body: str) -> dict[str, str]:
    return {
        "guid": f"item-{n}",
        "title": title,
        "link": f"https://news.example/item-{n}",
        "description": f"<p>{body}</p>",
        "pubDate": f"Thu, 15 Jan 2026 0{n % 10}:00:00 +0000",
    }


async def subscribe_empty(bot: ConsoleBot, server: FeedServer, path: str, title: str) -> str:
    url = server.serve(path, rss_feed([], title=title))
    assert "Subscribed to" in await bot.say(f"/subscribe {url}")
    return url


async def test_filters_shape_a_digest_of_a_real_feed(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await subscribe_empty(console_bot, feed_server, "/tc.xml", "TechCrunch")
    feed_server.serve("/tc.xml", TECHCRUNCH.read_bytes())
    assert "Filter 1 added: exclude bbm (all feeds)" in await console_bot.say(
        "/filter add exclude BBM"
    )
    assert "Filter 2 added: include /\\blaunch(es)?\\b/" in await console_bot.say(
        "/filter add include /\\blaunch(es)?\\b/"
    )
    reply = await console_bot.console.handle_line("/digest")
    assert reply is not None
    assert reply.digest is not None
    titles = [story.title for story in reply.digest.items]
    gmail = (
        "Google Launches Native Gmail App For iPhone, iPad and iPod Touch, Faces Instant Backlash"
    )
    assert gmail in titles
    assert "Facebook Cofounder’s Productivity Startup Asana Launches To The Public" in titles
    assert not any("BBM" in title for title in titles)
    assert "Here’s The First GTA:V Trailer And It’s Spectacular" not in titles
    assert 2 <= len(titles) < 20
    # Everything else was marked as read: removing the rules brings nothing back.
    assert "Filter removed" in await console_bot.say("/filter remove 2")
    assert "Filter removed" in await console_bot.say("/filter remove 1")
    assert "No new stories since your last digest." in await console_bot.say("/digest")


async def test_chat_wide_and_per_subscription_rules_through_the_console(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await subscribe_empty(console_bot, feed_server, "/a.xml", "Daily A")
    await subscribe_empty(console_bot, feed_server, "/b.xml", "Tech B")
    feed_server.serve(
        "/a.xml",
        rss_feed(
            [
                item(1, "Council approves tram", "The vote was close."),
                item(2, "Weekend sport roundup", "All the scores."),
                item(3, "AI helps the library", "Catalogue work."),
            ],
            title="Daily A",
        ),
    )
    feed_server.serve(
        "/b.xml",
        rss_feed(
            [
                item(4, "New AI chip", "Faster inference."),
                item(5, "Keyboard review", "Clicky."),
                item(6, "AI referees in sport", "Controversy."),
            ],
            title="Tech B",
        ),
    )
    assert "(all feeds)" in await console_bot.say("/filter add exclude sport")
    out = await console_bot.say("/filter 2 add include /\\bAI\\b/")
    assert "(only 2. Tech B)" in out
    listing = await console_bot.say("/filter list")
    assert "1. exclude sport — all feeds" in listing
    assert "2. include /\\bAI\\b/ — only 2. Tech B" in listing
    only_b = await console_bot.say("/filter 1 list")
    assert "1. exclude sport" in only_b
    assert "include /\\bAI\\b/" not in only_b
    reply = await console_bot.console.handle_line("/digest")
    assert reply is not None
    assert reply.digest is not None
    by_source = {s.source: sorted(i.title for i in s.items) for s in reply.digest.sections}
    assert by_source == {
        "Daily A": ["AI helps the library", "Council approves tram"],
        "Tech B": ["New AI chip"],
    }


async def test_a_digest_where_every_story_is_filtered_marks_them_read(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await subscribe_empty(console_bot, feed_server, "/a.xml", "Daily A")
    feed_server.serve("/a.xml", rss_feed([item(1, "Sport today", "Goals.")], title="Daily A"))
    await console_bot.say("/filter exclude sport")  # "add" may be left out
    assert "No new stories since your last digest." in await console_bot.say("/digest")
    await console_bot.say("/filter remove 1")
    assert "No new stories since your last digest." in await console_bot.say("/digest")


@pytest.mark.timeout(60)
async def test_a_redos_pattern_does_not_stop_the_digest(
    console_bot: ConsoleBot, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    await subscribe_empty(console_bot, feed_server, "/a.xml", "Daily A")
    hostile = "a" * 900 + "!"
    feed_server.serve(
        "/a.xml",
        rss_feed(
            [item(1, hostile, hostile), item(2, "Calm news", "Nothing to see.")], title="Daily A"
        ),
    )
    assert "Filter 1 added" in await console_bot.say(f"/filter add exclude /{CATASTROPHIC}/")
    with caplog.at_level(logging.WARNING, logger="bot.digest.filters"):
        reply = await console_bot.console.handle_line("/digest")
    assert reply is not None
    assert reply.digest is not None
    assert sorted(i.title for i in reply.digest.items) == ["Calm news", hostile]
    assert any("took longer" in r.getMessage() for r in caplog.records)


@pytest.mark.timeout(60)
async def test_an_include_regex_that_times_out_hides_nothing_in_a_digest(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await subscribe_empty(console_bot, feed_server, "/a.xml", "Daily A")
    hostile = "a" * 900 + "!"
    feed_server.serve(
        "/a.xml",
        rss_feed(
            [item(1, hostile, hostile), item(2, "Cup final", "What a match it was.")],
            title="Daily A",
        ),
    )
    assert "Filter 1 added" in await console_bot.say(f"/filter add include /{CATASTROPHIC}|match/")
    reply = await console_bot.console.handle_line("/digest")
    assert reply is not None
    assert reply.digest is not None
    assert sorted(i.title for i in reply.digest.items) == ["Cup final", hostile]


async def test_a_nested_repeat_bomb_is_refused_and_not_stored(console_bot: ConsoleBot) -> None:
    out = await console_bot.say("/filter add include /(((a{10}){10}){10}){10}/")
    assert out.startswith("Error: That regular expression repeats too much")
    assert "the limit is 1000" in out
    assert "No filters" in await console_bot.say("/filter list")


async def test_numbers_that_are_not_plain_digits_get_a_clear_answer(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    # "²".isdigit() is True but int("²") fails: these once replied "failed unexpectedly".
    await subscribe_empty(console_bot, feed_server, "/a.xml", "Daily A")
    await console_bot.say("/filter add exclude sport")
    for line, answer in [
        ("/filter ²", "Error: /filter does not know '²'"),
        ("/filter ² add include x", "Error: /filter does not know '²'"),
        ("/filter remove ²", "Error: Say which rule: its number in /filter list."),
        ("/filter remove " + "9" * 5000, "Error: Say which rule"),
    ]:
        out = await console_bot.say(line)
        assert out.startswith(answer), (line, out)
        assert "unexpectedly" not in out
    assert "1. exclude sport" in await console_bot.say("/filter list")
    assert "Filter removed" in await console_bot.say("/filter remove #1")


async def test_invalid_rules_are_refused_and_nothing_is_stored(console_bot: ConsoleBot) -> None:
    out = await console_bot.say("/filter add include /(unclosed/")
    assert out.startswith("Error: That regular expression is not valid")
    assert "/filter add exclude sport" in out  # the examples
    out = await console_bot.say("/filter add maybe sport")
    assert out.startswith("Error: Say include or exclude")
    assert "Error: /filter does not know 'frobnicate'" in await console_bot.say(
        "/filter frobnicate"
    )
    assert "This chat has no subscriptions." in await console_bot.say("/filter 4 add include x")
    assert "No filters: every new story is shown." in await console_bot.say("/filter")


async def test_list_remove_renumber_and_permissions(
    console_bot: ConsoleBot, feed_server: FeedServer
) -> None:
    await subscribe_empty(console_bot, feed_server, "/a.xml", "Daily A")
    await console_bot.say("/filter add exclude sport")
    await console_bot.say('/filter add include rust "machine learning"')
    await console_bot.say("/filter 1 add exclude /^ad:/")
    again = await console_bot.say("/filter add exclude Sport")
    assert again.startswith("Error: That rule is already there: 1. exclude sport")
    listing = await console_bot.say("/filter list")
    assert "Filters (3):" in listing
    assert '2. include rust "machine learning" — all feeds' in listing
    assert "3. exclude /^ad:/ — only 1. Daily A" in listing
    assert "There is no filter number 7: this chat has 3." in await console_bot.say(
        "/filter remove 7"
    )
    removed = await console_bot.say("/filter remove 2")
    assert 'Filter removed: include rust "machine learning" (all feeds).' in removed
    listing = await console_bot.say("/filter list")
    assert "2. exclude /^ad:/ — only 1. Daily A" in listing
    assert "rust" not in listing

    app = console_bot.app
    target = ChatTarget("console", "local")

    async def as_member(*args: str):  # type: ignore[no-untyped-def]
        command = Command("console", target, User("guest"), "filter", args, is_admin=False)
        return await app.registry.dispatch(app.services, command)

    refused = await as_member("add", "exclude", "cats")
    assert refused.is_error
    assert "Only administrators of this chat can change the filters" in refused.text
    assert not (await as_member("list")).is_error
    # Unsubscribing removes that feed's own rules with it.
    await console_bot.say("/unsubscribe 1")
    assert "Filters (1):" in await console_bot.say("/filter list")


async def test_help_explains_the_syntax(console_bot: ConsoleBot) -> None:
    out = await console_bot.say("/help filter")
    assert "Usage: /filter [rule]" in out
    assert "/filter 3 add include /\\bAI\\b/" in out
    assert "whole words" in out
    assert "no exclude rule matches" in out
