"""Digest schedules: parsing what users type, and the wall-clock maths of "when next".

A schedule is one of: times of day (``08:00 18:30``) in the chat's time zone, every N hours
(``every 6h``: slots at local midnight + k·N), ``instant`` (post new stories after each
poll) or ``off`` (only on-demand /digest). Slots are computed in the chat's zone with
zoneinfo so 08:00 stays 08:00 across daylight-saving changes: a time that does not exist
on a spring-forward day is shifted by the gap (02:30 becomes 03:30), and an ambiguous time
on a fall-back day is taken once, at its first occurrence.

Pure functions only: no clock is read here, callers pass ``now``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from bot.chat_state import ChatState
from bot.i18n import N_, _, ngettext
from bot.models import Chat

DAILY = "daily"
EVERY = "every"
INSTANT = "instant"
OFF = "off"
DEFAULT_TIMES = (time(8, 0),)
MAX_TIMES_PER_DAY = 12
EVERY_HOURS_ALLOWED = (1, 2, 3, 4, 6, 8, 12, 24)
_TIME = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
_EVERY = re.compile(r"^(\d{1,2})\s*h(?:ours?)?$")


class ScheduleError(ValueError):
    """What the user typed is not a schedule; the message explains the valid forms."""


@dataclass(frozen=True, slots=True)
class Schedule:
    kind: str
    times: tuple[time, ...] = ()
    every_hours: int = 0

    @classmethod
    def default(cls) -> Schedule:
        return cls(DAILY, DEFAULT_TIMES)

    def describe(self) -> str:
        """In the current language (bot.i18n), for /schedule."""
        if self.kind == DAILY:
            times = ", ".join(t.strftime("%H:%M") for t in self.times)
            return _("daily at {times}").format(times=times)
        if self.kind == EVERY:
            return ngettext("every {count} hour", "every {count} hours", self.every_hours).format(
                count=self.every_hours
            )
        if self.kind == INSTANT:
            return _("instant (new stories are posted after each check of the feeds)")
        return _("off (only when you send /digest)")

    @property
    def is_timed(self) -> bool:
        return self.kind in (DAILY, EVERY)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "times": [t.strftime("%H:%M") for t in self.times],
            "every_hours": self.every_hours,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Schedule:
        if not data:
            return cls.default()
        times = tuple(time.fromisoformat(value) for value in data.get("times", []))
        return cls(str(data["kind"]), times, int(data.get("every_hours", 0)))


USAGE = N_(
    "Valid forms: /schedule 08:00 18:30 (times of day), /schedule every 6h, "
    "/schedule instant, /schedule off."
)


def parse_schedule(words: tuple[str, ...] | list[str]) -> Schedule:
    """Turn the words after /schedule into a Schedule, or raise ScheduleError."""
    text = " ".join(words).strip().lower()
    if text in (INSTANT, "now", "live"):
        return Schedule(INSTANT)
    if text in (OFF, "none", "never"):
        return Schedule(OFF)
    if text.startswith("every"):
        match = _EVERY.match(text.removeprefix("every").strip())
        hours = int(match.group(1)) if match else 0
        if hours not in EVERY_HOURS_ALLOWED:
            allowed = ", ".join(f"{h}h" for h in EVERY_HOURS_ALLOWED)
            raise ScheduleError(
                _("'{text}' is not a valid interval: use one of {allowed}.").format(
                    text=text, allowed=allowed
                )
            )
        return Schedule(EVERY, every_hours=hours)
    times = sorted({_parse_time(word) for word in words})
    if not times:
        raise ScheduleError(_(USAGE))
    if len(times) > MAX_TIMES_PER_DAY:
        raise ScheduleError(_("At most {count} times a day.").format(count=MAX_TIMES_PER_DAY))
    return Schedule(DAILY, tuple(times))


def _parse_time(word: str) -> time:
    match = _TIME.match(word.strip())
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ScheduleError(
        _("'{word}' is not a time of day like 08:00 or 18:30.").format(word=word) + " " + _(USAGE)
    )


def parse_timezone(name: str) -> ZoneInfo:
    """A validated IANA zone, any of its names, in any case ("europe/berlin", "EST",
    "Japan"); the error suggests close names, never the one it refused."""
    wanted = name.strip()
    canonical = _zone_names().get(wanted.lower())
    if canonical is not None:
        return ZoneInfo(canonical)
    needle = wanted.lower().replace(" ", "_")
    suggestions = sorted(
        zone
        for zone in available_timezones()
        if needle and needle in zone.lower() and zone.lower() != needle
    )[:5]
    text = _("'{name}' is not an IANA time zone name such as Europe/Berlin or America/New_York.")
    hint = _("Did you mean: {names}?").format(names=", ".join(suggestions)) if suggestions else ""
    raise ScheduleError(" ".join(filter(None, (text.format(name=name), hint))))


@functools.cache
def _zone_names() -> dict[str, str]:
    """Every zone the system (or the tzdata package) knows, by its lower-case name."""
    names = {zone.lower(): zone for zone in available_timezones()}
    names.setdefault("utc", "UTC")
    return names


def local_slot(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time on a day, DST resolved (module docstring)."""
    # fold=0 picks the first of two instants on a fall-back day, and maps a time inside a
    # spring-forward gap forward by the size of the gap (02:30 → 03:30).
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _day_slots(schedule: Schedule, day: date, zone: ZoneInfo) -> list[datetime]:
    if schedule.kind == DAILY:
        times = schedule.times
    elif schedule.kind == EVERY:
        times = tuple(time(hour, 0) for hour in range(0, 24, schedule.every_hours))
    else:
        return []
    return sorted({local_slot(day, at, zone) for at in times})


def slots_between(
    schedule: Schedule, zone: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    """Every slot with start < slot <= end, in UTC, in order."""
    if not schedule.is_timed or end <= start:
        return []
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    found: list[datetime] = []
    day = first_day
    while day <= last_day:
        found += [s for s in _day_slots(schedule, day, zone) if start < s <= end]
        day += timedelta(days=1)
    return sorted(set(found))


def next_slot(schedule: Schedule, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first slot strictly after ``after``; None for instant/off schedules."""
    if not schedule.is_timed:
        return None
    for days_ahead in range(0, 3):
        day = after.astimezone(zone).date() + timedelta(days=days_ahead)
        for slot in _day_slots(schedule, day, zone):
            if slot > after:
                return slot
    return None


def latest_due_slot(
    schedule: Schedule, zone: ZoneInfo, last_run: datetime | None, now: datetime
) -> datetime | None:
    """The slot to deliver now, if any: missed slots are coalesced into the latest one.

    ``last_run`` is the slot last delivered (or when the schedule was set); with none, the
    look-back is one day, so a bot that was down overnight sends one catch-up digest.
    """
    since = last_run or now - timedelta(days=1)
    due = slots_between(schedule, zone, since, now)
    return due[-1] if due else None


def chat_schedule(chat: Chat) -> Schedule:
    """The schedule a chat chose (stored in its settings), or the default."""
    raw = ChatState.of(chat).schedule
    return Schedule.from_dict(dict(raw) if raw is not None else None)


def chat_zone(chat: Chat, default_timezone: str) -> ZoneInfo:
    """The chat's own time zone, or the operator's default."""
    return ZoneInfo(chat.timezone or default_timezone)


def slot_id(slot: datetime) -> str:
    """Stable outbox key for a slot: the same slot always maps to the same id."""
    return slot.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
