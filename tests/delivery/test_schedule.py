"""Schedule maths: parsing, time zones, daylight-saving changes, catch-up coalescing."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.schedule import (
    DAILY,
    EVERY,
    INSTANT,
    OFF,
    Schedule,
    ScheduleError,
    latest_due_slot,
    next_slot,
    parse_schedule,
    parse_timezone,
    slot_id,
    slots_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["08:00", "18:30"], Schedule(DAILY, (time(8, 0), time(18, 30)))),
        (["18:30", "8:00", "08:00"], Schedule(DAILY, (time(8, 0), time(18, 30)))),
        (["every", "6h"], Schedule(EVERY, every_hours=6)),
        (["every", "12", "hours"], Schedule(EVERY, every_hours=12)),
        (["instant"], Schedule(INSTANT)),
        (["off"], Schedule(OFF)),
    ],
)
def test_parse_schedule(words: list[str], expected: Schedule) -> None:
    assert parse_schedule(words) == expected


@pytest.mark.parametrize(
    ("words", "complaint"),
    [
        (["25:00"], "not a time of day"),
        (["8am"], "not a time of day"),
        (["every", "5h"], "not a valid interval"),
        (["every", "day"], "not a valid interval"),
    ],
)
def test_parse_schedule_errors_explain_the_valid_forms(words: list[str], complaint: str) -> None:
    with pytest.raises(ScheduleError, match=complaint):
        parse_schedule(words)


def test_schedule_round_trips_through_its_stored_form() -> None:
    for schedule in (parse_schedule(["07:15", "19:45"]), Schedule(EVERY, every_hours=4)):
        assert Schedule.from_dict(schedule.to_dict()) == schedule
    assert Schedule.from_dict(None) == Schedule.default()


def test_timezones_are_validated_with_suggestions() -> None:
    assert parse_timezone("Europe/Berlin") == BERLIN
    assert parse_timezone("utc").key == "UTC"
    with pytest.raises(ScheduleError, match=r"Did you mean: .*Europe/Berlin"):
        parse_timezone("Berlin")
    with pytest.raises(ScheduleError, match="not an IANA time zone"):
        parse_timezone("Mars/Olympus")


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("EST", "EST"), ("gmt", "GMT"), ("Japan", "Japan"), ("europe/berlin", "Europe/Berlin")],
)
def test_every_iana_name_is_accepted_in_any_case(typed: str, zone: str) -> None:
    """Names without a slash are IANA names too; case does not matter."""
    assert parse_timezone(typed).key == zone


def test_a_refused_name_is_never_suggested_back() -> None:
    with pytest.raises(ScheduleError) as refused:
        parse_timezone("Berlin")
    assert "Did you mean: Europe/Berlin?" in str(refused.value)
    assert "'Berlin'" not in str(refused.value).split("Did you mean:")[1]


def test_same_local_time_across_time_zones() -> None:
    schedule = parse_schedule(["08:00"])
    after = utc(2026, 1, 15, 0, 0)
    assert next_slot(schedule, BERLIN, after) == utc(2026, 1, 15, 7, 0)
    assert next_slot(schedule, NEW_YORK, after) == utc(2026, 1, 15, 13, 0)
    assert next_slot(schedule, TOKYO, after) == utc(2026, 1, 15, 23, 0)


def test_local_time_is_kept_across_spring_forward() -> None:
    schedule = parse_schedule(["08:00"])
    # Berlin moves from UTC+1 to UTC+2 on 2026-03-29.
    before = next_slot(schedule, BERLIN, utc(2026, 3, 28, 0, 0))
    after = next_slot(schedule, BERLIN, utc(2026, 3, 29, 0, 0))
    assert before == utc(2026, 3, 28, 7, 0)
    assert after == utc(2026, 3, 29, 6, 0)
    assert after.astimezone(BERLIN).hour == 8


def test_time_inside_the_spring_gap_is_shifted_not_skipped() -> None:
    slots = slots_between(
        parse_schedule(["02:30"]), BERLIN, utc(2026, 3, 28, 12, 0), utc(2026, 3, 30, 12, 0)
    )
    assert len(slots) == 2  # the day of the change still gets its digest
    assert slots[0].astimezone(BERLIN).hour == 3


def test_ambiguous_fall_back_time_fires_once() -> None:
    # New York repeats 01:00-02:00 on 2026-11-01.
    slots = slots_between(
        parse_schedule(["01:30"]), NEW_YORK, utc(2026, 11, 1, 0, 0), utc(2026, 11, 1, 12, 0)
    )
    assert slots == [utc(2026, 11, 1, 5, 30)]  # 01:30 EDT, the first occurrence


def test_every_n_hours_is_anchored_at_local_midnight() -> None:
    slots = slots_between(
        Schedule(EVERY, every_hours=6), BERLIN, utc(2026, 1, 14, 23, 0), utc(2026, 1, 15, 23, 0)
    )
    assert [s.astimezone(BERLIN).hour for s in slots] == [6, 12, 18, 0]


def test_missed_slots_coalesce_into_the_latest() -> None:
    schedule = parse_schedule(["08:00", "18:00"])
    last_run = utc(2026, 1, 10, 8, 0)
    now = utc(2026, 1, 13, 9, 0)  # down for three days: five slots missed
    assert len(slots_between(schedule, ZoneInfo("UTC"), last_run, now)) == 6
    assert latest_due_slot(schedule, ZoneInfo("UTC"), last_run, now) == utc(2026, 1, 13, 8, 0)
    assert latest_due_slot(schedule, ZoneInfo("UTC"), utc(2026, 1, 13, 8, 0), now) is None


def test_instant_and_off_have_no_slots() -> None:
    now = utc(2026, 1, 13, 9, 0)
    for schedule in (Schedule(INSTANT), Schedule(OFF)):
        assert next_slot(schedule, BERLIN, now) is None
        assert latest_due_slot(schedule, BERLIN, None, now) is None


def test_slot_ids_are_stable_utc_minutes() -> None:
    assert slot_id(datetime(2026, 1, 15, 8, 0, tzinfo=BERLIN)) == "2026-01-15T07:00Z"
