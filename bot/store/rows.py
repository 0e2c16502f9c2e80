"""Table rows → the neutral models the rest of the bot uses (bot.models).

Why in one place: every repository returns models, never rows, so the schema can change
under the handlers and the composer; the mapping is written once.
"""

from __future__ import annotations

from bot.models import Chat, ChatTarget, Feed, FilterRule
from bot.store.tables import ChatRow, FeedRow, FilterRow


def chat_model(row: ChatRow) -> Chat:
    return Chat(
        pk=row.id,
        target=ChatTarget(row.platform, row.chat_id, row.thread_id),
        timezone=row.timezone,
        settings=dict(row.settings or {}),
        active=row.active,
        last_digest_at=row.last_digest_at,
    )


def feed_model(row: FeedRow) -> Feed:
    return Feed(
        id=row.id,
        url=row.url,
        title=row.title,
        site_url=row.site_url,
        language=row.language,
        etag=row.etag,
        last_modified=row.last_modified,
        disabled=row.disabled,
        last_error=row.last_error,
        poll_interval_seconds=row.poll_interval_seconds,
        consecutive_failures=row.consecutive_failures,
        first_failure_at=row.first_failure_at,
        next_poll_at=row.next_poll_at,
        full_text=row.full_text,
    )


def filter_model(row: FilterRow) -> FilterRule:
    return FilterRule(
        id=row.id,
        kind=row.kind,
        pattern=row.pattern,
        is_regex=row.is_regex,
        subscription_id=row.subscription_id,
    )
