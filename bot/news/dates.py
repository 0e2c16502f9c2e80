"""Item dates as feeds really write them, read right or not at all.

Why not feedparser's parser alone: it guesses. "2020/1/10 14:33:00" came out as 2020-12-01
00:00 (day and month swapped, time dropped) for every item of a feed, which put its stories
in the wrong order and the wrong digest. A date the bot shows or sorts by must be the one
the publisher meant; when the text does not say it unambiguously, the item has no date and
the time it was first seen stands in for it.

Read, in order:

1. RFC 822 (RSS's own format: "Fri, 10 Jan 2020 14:33:00 +0100", named zones too);
2. ISO 8601 / RFC 3339 (Atom, JSON Feed: "2020-01-10T14:33:00Z", "2020-01-10 14:33");
3. year first with slashes or dots ("2020/1/10 14:33:00", "2020.01.10");
4. day first with dots ("10.01.2020 14:33", common in Europe);
5. slashes with the year last ("10/01/2020") only when one number is over 12, so day and
   month cannot be mixed up; "01/02/2020" is ambiguous and gives no date;
6. an English month name ("Jan 10, 2020", "10 January 2020 14:33").

A date without a zone is UTC. Anything else is None.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

__all__ = ["parse_date"]

_TIME = r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?:\.\d+)?)?"
_ZONE = r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2}|UTC|GMT)?"
_YEAR_FIRST = re.compile(
    r"(?P<year>\d{4})[/.-](?P<month>\d{1,2})[/.-](?P<day>\d{1,2})" + _TIME + _ZONE, re.IGNORECASE
)
_DAY_FIRST_DOTS = re.compile(
    r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})" + _TIME + _ZONE, re.IGNORECASE
)
_SLASHES_YEAR_LAST = re.compile(
    r"(?P<first>\d{1,2})/(?P<second_part>\d{1,2})/(?P<year>\d{4})" + _TIME + _ZONE,
    re.IGNORECASE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month_name>[A-Za-z]{3,9})\.?"
_MONTH_FIRST = re.compile(
    r"(?:[A-Za-z]+,?\s+)?" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"
    r"(?:,?\s+|T)?" + _TIME.replace("[ T]", "") + _ZONE
)
_DAY_FIRST_NAMED = re.compile(
    r"(?:[A-Za-z]+,?\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>\d{4})"
    r"(?:,?\s+|T)?" + _TIME.replace("[ T]", "") + _ZONE
)


def parse_date(raw: object) -> datetime | None:
    """The aware UTC moment ``raw`` names, or None when it names none unambiguously."""
    if not isinstance(raw, str):
        return None
    text = " ".join(raw.split())
    if not text or len(text) > 64:
        return None
    for reader in (_rfc822, _iso8601, _year_first, _day_first_dots, _slashes, _named_month):
        moment = reader(text)
        if moment is not None:
            return moment
    return None


def _rfc822(text: str) -> datetime | None:
    if not re.search(r"\d{1,2} [A-Za-z]{3} \d{2,4}", text):
        return None  # parsedate also "reads" bare numbers; RFC 822 names its month
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return _utc(moment)


def _iso8601(text: str) -> datetime | None:
    if not re.match(r"\d{4}-\d{2}-\d{2}", text):
        return None
    candidate = text.replace(" UTC", "Z").replace(" GMT", "Z")
    candidate = candidate[:-1] + "+00:00" if candidate.endswith(("Z", "z")) else candidate
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return _utc(moment)


def _year_first(text: str) -> datetime | None:
    match = _YEAR_FIRST.fullmatch(text)
    return _from_match(match, int(match["month"]), int(match["day"])) if match else None


def _day_first_dots(text: str) -> datetime | None:
    match = _DAY_FIRST_DOTS.fullmatch(text)
    return _from_match(match, int(match["month"]), int(match["day"])) if match else None


def _slashes(text: str) -> datetime | None:
    match = _SLASHES_YEAR_LAST.fullmatch(text)
    if not match:
        return None
    first, second = int(match["first"]), int(match["second_part"])
    if first > 12 >= second:
        return _from_match(match, second, first)  # day/month/year
    if second > 12 >= first:
        return _from_match(match, first, second)  # month/day/year
    return None  # both could be the month: do not guess


def _named_month(text: str) -> datetime | None:
    for pattern in (_MONTH_FIRST, _DAY_FIRST_NAMED):
        match = pattern.fullmatch(text)
        if match:
            month = _MONTHS.get(match["month_name"].lower())
            if month is None:
                return None
            return _from_match(match, month, int(match["day"]))
    return None


def _from_match(match: re.Match[str], month: int, day: int) -> datetime | None:
    try:
        moment = datetime(
            int(match["year"]),
            month,
            day,
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            tzinfo=UTC,
        )
    except ValueError:  # 31 February, hour 25…
        return None
    zone = (match["zone"] or "").upper()
    if zone and zone not in ("Z", "UTC", "GMT"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment -= sign * offset
    return moment


def _utc(moment: datetime) -> datetime | None:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
