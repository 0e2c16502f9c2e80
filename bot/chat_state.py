"""What the bot remembers about a chat beyond its columns: one module owns every key.

A chat's choices and state live in the ``chats.settings`` JSON: its schedule, its pause,
its digest settings, its language, and the Discord server it belongs to. Several modules
read them (the scheduler, the composer, the allow-list); only this module knows the keys and their
shapes, so nobody can misspell a key or overwrite another module's, and every read is
typed and tolerant of values written by older versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.models import Chat

SCHEDULE = "schedule"
PAUSED_AT = "paused_at"
RESUMED_AT = "resumed_at"
DIGEST_SETTINGS = "digest_settings"
SPACE_ID = "space_id"
LANGUAGE = "language"
LANGUAGE_HINT = "language_hint"


@dataclass(frozen=True, slots=True)
class ChatState:
    """A chat's stored state, typed. Unknown or malformed values read as absent."""

    schedule: Mapping[str, Any] | None = None  # bot.delivery.schedule.Schedule.to_dict()
    paused_at: datetime | None = None  # while /pause is in effect
    resumed_at: datetime | None = None  # the last /resume: opens the capped catch-up
    digest_settings: Mapping[str, Any] = field(default_factory=dict)  # overrides only
    space_id: str | None = None  # the Discord server (for NEWSDIGEST_ALLOWED_CHATS)
    language: str | None = None  # chosen with /language (bot.i18n codes)
    # The language of whoever last talked to the bot here (for digests: no one is talking)
    language_hint: str | None = None

    @classmethod
    def of(cls, chat: Chat) -> ChatState:
        return cls.from_json(chat.settings)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> ChatState:
        raw = raw or {}
        schedule = raw.get(SCHEDULE)
        digest = raw.get(DIGEST_SETTINGS)
        space = raw.get(SPACE_ID)
        language = raw.get(LANGUAGE)
        hint = raw.get(LANGUAGE_HINT)
        return cls(
            schedule=schedule if isinstance(schedule, Mapping) else None,
            paused_at=_moment(raw.get(PAUSED_AT)),
            resumed_at=_moment(raw.get(RESUMED_AT)),
            digest_settings=digest if isinstance(digest, Mapping) else {},
            space_id=space if isinstance(space, str) else None,
            language=language if isinstance(language, str) else None,
            language_hint=hint if isinstance(hint, str) else None,
        )


def schedule_changes(schedule: Mapping[str, Any]) -> dict[str, Any]:
    return {SCHEDULE: dict(schedule)}


def pause_changes(now: datetime) -> dict[str, Any]:
    """Pause scheduled digests; written as a pair so a merge keeps them consistent."""
    return {PAUSED_AT: now.isoformat(), RESUMED_AT: None}


def resume_changes(now: datetime) -> dict[str, Any]:
    """Resume scheduled digests and open the catch-up window."""
    return {PAUSED_AT: None, RESUMED_AT: now.isoformat()}


def digest_settings_changes(overrides: Mapping[str, Any]) -> dict[str, Any]:
    return {DIGEST_SETTINGS: dict(overrides)}


def space_changes(space_id: str) -> dict[str, Any]:
    return {SPACE_ID: space_id}


def language_changes(language: str | None) -> dict[str, Any]:
    """Choose the chat's language (None: follow the language the platform reports)."""
    return {LANGUAGE: language}


def language_hint_changes(language: str) -> dict[str, Any]:
    """Remember the language the platform reported for the last user of the chat."""
    return {LANGUAGE_HINT: language}


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
