"""Item dates read right or not at all (bot.news.dates).

"2020/1/10 14:33:00" became 2020-12-01 00:00 for every item of a real feed: day and month
swapped, time dropped. Unambiguous forms are read exactly; ambiguous ones give no date (the
first-seen time stands in); and on every real feed of the fixtures the reading agrees with
feedparser's where feedparser was right.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

import feedparser
import pytest

from bot.news.dates import parse_date
from bot.news.parse import parse_feed
from tests.support import FIXTURES
from tests.support.feeds import rss_feed


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2020/1/10 14:33:00", utc(2020, 1, 10, 14, 33)),
        ("2020/01/10", utc(2020, 1, 10)),
        ("2020.01.10 08:05", utc(2020, 1, 10, 8, 5)),
        ("2020-1-10", utc(2020, 1, 10)),
        ("10.01.2020 14:33", utc(2020, 1, 10, 14, 33)),
        ("13/01/2020", utc(2020, 1, 13)),
        ("01/13/2020 09:00", utc(2020, 1, 13, 9)),
        ("Jan 10, 2020", utc(2020, 1, 10)),
        ("10 January 2020 14:33", utc(2020, 1, 10, 14, 33)),
        ("Fri, 10 Jan 2020 14:33:00 +0100", utc(2020, 1, 10, 13, 33)),
        ("Fri, 10 Jan 2020 14:33:00 PST", utc(2020, 1, 10, 22, 33)),
        ("2020-01-10T14:33:00Z", utc(2020, 1, 10, 14, 33)),
        ("2020-01-10T14:33:00+02:00", utc(2020, 1, 10, 12, 33)),
        ("2016-08-25T22:20:00.000Z", utc(2016, 8, 25, 22, 20)),
    ],
)
def test_unambiguous_dates_are_read_exactly(text: str, moment: datetime) -> None:
    assert parse_date(text) == moment


@pytest.mark.parametrize(
    "text",
    ["01/02/2020", "10/01/2020 14:33", "2020/02/31", "yesterday", "", "3 days ago", "x" * 200],
)
def test_ambiguous_or_impossible_dates_give_none(text: str) -> None:
    assert parse_date(text) is None


def test_a_feed_with_slashed_dates_keeps_day_month_and_time() -> None:
    item = {"guid": "a", "title": "A", "link": "https://x.example/a"}
    slashed = {**item, "pubDate": "2020/1/10 14:33:00"}
    ambiguous = {**item, "guid": "b", "pubDate": "01/02/2020"}
    document = rss_feed([slashed, ambiguous]).encode()
    [first, second] = parse_feed(document, "https://x.example/f").articles
    assert first.published == utc(2020, 1, 10, 14, 33)
    assert second.published is None  # never invented: the first-seen time stands in


def test_every_real_feed_reads_as_feedparser_reads_it() -> None:
    """No regression where feedparser was right: every date of the real feeds agrees."""
    compared = 0
    for path in sorted((FIXTURES / "feeds").glob("*.xml")):
        document = feedparser.parse(path.read_bytes())
        for entry in document.entries:
            for key in ("published", "updated"):
                raw, parsed = entry.get(key), entry.get(f"{key}_parsed")
                if not raw or not parsed:
                    continue
                expected = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
                assert parse_date(raw) == expected, (path.name, raw)
                compared += 1
    assert compared > 600
