"""The database schema as SQLAlchemy 2 declarative tables.

The schema is owned by Alembic migrations (bot/store/migrations); these classes must stay
in step with them, which `tests/store/test_store.py::test_migrations_match_models` checks.

Design notes:
- A chat target is (platform, chat_id, thread_id); thread_id is '' rather than NULL so the
  unique constraint works the same on SQLite and PostgreSQL.
- An article is stored once (unique normalised link). `feed_entries` records which feed
  carried it under which id, unique per feed; its autoincrement id is the arrival order,
  which subscriptions use as a watermark so a new subscriber is not flooded with the
  backlog.
- Articles and feed entries follow bot.news.links: an article's ``link_key`` is set only
  when its link identifies one article (the key other feeds' copies merge on); each feed
  entry keeps the normalised link it carried (``feed_entries.link_key``), which is how a
  link that several items of one feed share is recognised.
- `deliveries` is the outbox: one row per chat target and digest slot; a row waits for its
  ``next_attempt_at`` after a failed attempt.
- Text a stranger supplies is cleaned and bounded by bot.store.values before it is written;
  the limits below are the columns' (URLs that cannot be cut are TEXT).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Column limits in characters, applied by the repository (bot.store.values).
FEED_URL_CHARS = 2048
FEED_TITLE_CHARS = 512
TITLE_CHARS = 1024
AUTHOR_CHARS = 512
LANGUAGE_CHARS = 32
ETAG_CHARS = 512
LAST_MODIFIED_CHARS = 128
CUSTOM_TITLE_CHARS = 256
ERROR_CHARS = 2000
IMAGE_URL_CHARS = 2000  # an image address is dropped, never cut (bot.news.images)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit id.
IdType = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no offset, PostgreSQL may."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class ChatRow(Base):
    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "thread_id", name="uq_chat_target"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(64), default="")
    timezone: Mapped[str | None] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedRow(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(String(512))
    site_url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(32))
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    poll_interval_seconds: Mapped[int | None] = mapped_column(Integer)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Fetch the article page of teaser items (operators' /fulltext); see bot/news/fulltext.py.
    full_text: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat_pk", "feed_id", name="uq_subscription"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    chat_pk: Mapped[int] = mapped_column(
        IdType, ForeignKey("chats.id", ondelete="CASCADE"), index=True
    )
    feed_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("feeds.id", ondelete="CASCADE"), index=True
    )
    custom_title: Mapped[str | None] = mapped_column(String(256))
    start_entry_id: Mapped[int] = mapped_column(IdType, default=0)
    # Muted: still polled, left out of digests; unmuting moves start_entry_id past what
    # arrived meanwhile, so it does not all come at once.
    muted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FilterRow(Base):
    """A chat's keyword/regex rule; with ``subscription_id`` it covers only that feed."""

    __tablename__ = "filters"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    chat_pk: Mapped[int] = mapped_column(
        IdType, ForeignKey("chats.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # include | exclude
    pattern: Mapped[str] = mapped_column(Text)
    is_regex: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    link_key: Mapped[str | None] = mapped_column(String(2048), unique=True)
    link: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(1024))
    author: Mapped[str | None] = mapped_column(String(512))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    image: Mapped[str | None] = mapped_column(Text)  # the lead picture's address


class FeedEntryRow(Base):
    __tablename__ = "feed_entries"
    __table_args__ = (
        UniqueConstraint("feed_id", "entry_key", name="uq_feed_entry"),
        # Links several items of one feed share are not article identities (bot.news.links).
        Index("ix_feed_entries_feed_link", "feed_id", "link_key"),
        # Subscription watermarks and a chat's unseen entries are ranges of one feed's ids.
        Index("ix_feed_entries_feed_order", "feed_id", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    feed_id: Mapped[int] = mapped_column(IdType, ForeignKey("feeds.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(String(1024))
    link_key: Mapped[str | None] = mapped_column(String(1024))
    article_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatSeenRow(Base):
    __tablename__ = "chat_seen"
    # Deleting an article (bot.store.retention) finds its seen marks by article alone: the
    # primary key starts with the chat, so without this each delete scans the table.
    __table_args__ = (Index("ix_chat_seen_article", "article_id"),)

    chat_pk: Mapped[int] = mapped_column(
        IdType, ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("chat_pk", "slot", name="uq_delivery_slot"),
        Index("ix_deliveries_status", "status"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    chat_pk: Mapped[int] = mapped_column(IdType, ForeignKey("chats.id", ondelete="CASCADE"))
    slot: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Messages of a split reply the platform already accepted (their ids are in
    # message_ids): a retry or a restart resumes after them, so none is sent twice.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A sender (of possibly several bot processes) took the row until then; a claim of a
    # process that died simply expires.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_ids: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
