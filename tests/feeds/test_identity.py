"""The rules that tell an item without an id from an edited one, given the feed's history."""

from __future__ import annotations

from collections import Counter

from bot.feeds.identity import (
    FeedHistory,
    known_by_link,
    merge_key,
    renamed_entries,
    sort_unknown,
)
from bot.models import CarriedEntry, ParsedArticle
from bot.news.links import entry_key, normalise_link

SHOW = "https://radio.example/shows/night-talk"
SHOW_KEY = normalise_link(SHOW) or ""


def article(title: str, link: str = SHOW, guid: str | None = None) -> ParsedArticle:
    return ParsedArticle(title=title, link=link, guid=guid, published=None, author=None, text="")


def history(*entries: CarriedEntry, in_document: int = 1, link: str = SHOW_KEY) -> FeedHistory:
    return FeedHistory(
        carried={link: list(entries)} if entries else {},
        in_document=Counter({link: in_document}),
        site_key="radio.example/",
    )


def stored(title: str, article_title: str | None = None) -> CarriedEntry:
    return CarriedEntry(entry_key(None, SHOW, title, ""), article_title or title)


def test_an_edited_headline_on_a_link_one_item_carried_is_known() -> None:
    assert known_by_link(article("Episode 1 (corrected)"), history(stored("Episode 1")))


def test_on_a_shared_link_only_the_same_title_is_known() -> None:
    two = history(stored("Episode 1"), stored("Episode 2"))
    assert known_by_link(article("  EPISODE 2 "), two)
    assert not known_by_link(article("Episode 3"), two)
    in_document = history(stored("Episode 1"), in_document=2)
    assert not known_by_link(article("Episode 2"), in_document)


def test_entries_re_keyed_by_the_upgrade_match_by_the_article_title() -> None:
    """0005 as released keyed link-only entries with the title of the article they point
    to; a hashed key (a very long title) is matched by the article's title as well."""
    migrated = CarriedEntry("link:" + SHOW_KEY + " title:another outlet's title", "x")
    hashed = CarriedEntry("sha256:" + "0" * 64, "Episode 2")
    shared = history(migrated, hashed)
    assert known_by_link(article("Another outlet's  Title"), shared)
    assert known_by_link(article("episode 2"), shared)
    assert not known_by_link(article("Episode 3"), shared)
    assert known_by_link(article("Our own title"), history(migrated))  # unique link


def test_a_home_page_never_names_an_item() -> None:
    home = "https://radio.example/"
    entry = CarriedEntry(entry_key(None, home, "Episode 1", ""), "Episode 1")
    front = history(entry, link="radio.example/")
    assert not known_by_link(article("Episode 2", home), front)
    assert known_by_link(article("episode 1", home), front)


def test_items_with_ids_are_never_known_by_their_link() -> None:
    assert not known_by_link(article("Episode 1", guid="ep-9"), history(stored("Episode 1")))


def test_a_link_the_feed_carried_before_never_merges_feeds() -> None:
    assert merge_key(article("Episode 2"), history(stored("Episode 1"))) is None
    assert merge_key(article("Episode 1"), history()) == SHOW_KEY
    assert merge_key(article("Episode 1"), history(in_document=2)) is None


def test_an_item_recognised_by_its_link_takes_over_the_stored_key() -> None:
    old = stored("Episode 1")
    new_key = entry_key(None, SHOW, "Episode 1 (corrected)", "")
    unknown = [(new_key, article("Episode 1 (corrected)"))]
    assert renamed_entries(unknown, history(old)) == {old.entry_key: new_key}
    with_id = CarriedEntry("guid:ep-1", "Episode 1")  # the feed may give ids again
    assert renamed_entries(unknown, history(with_id)) == {}
    assert renamed_entries([(new_key, article("Episode 2"))], history(old, in_document=2)) == {}


def test_unknown_items_are_told_apart_once_into_new_and_renamed() -> None:
    one, two = stored("Episode 1"), CarriedEntry("guid:ep-2", "Episode 2")
    shared = history(one, two, in_document=3)
    corrected = entry_key(None, SHOW, "episode 1", "")
    unknown = [
        (corrected, article("episode 1")),  # its title matches: the stored one, renamed
        ("k2", article("EPISODE 2")),  # stored under an id: known, keeps its key
        ("k3", article("Episode 3")),  # new
    ]
    fresh, renamed = sort_unknown(unknown, shared)
    assert fresh == [("k3", unknown[2][1])]
    assert renamed == {one.entry_key: corrected} == renamed_entries(unknown, shared)
    assert [key for key, item in unknown if not known_by_link(item, shared)] == ["k3"]
