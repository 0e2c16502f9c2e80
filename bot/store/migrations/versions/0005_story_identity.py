"""story identity and outbox retries: per-feed entry links, fragments kept, delivery back-off

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Items used to be merged across the whole database by their normalised link without its
fragment, so a podcast whose episodes all link to its home page became one story. The new
rules (bot.news.links) keep fragments, key link-only items by link and title, and record
on each feed entry the link it carried. Existing rows are re-keyed here so that nothing
already stored looks new (and is sent again) after the upgrade:

- ``articles.link_key`` is recomputed from ``articles.link`` with the fragment kept; where
  two old keys now normalise alike, the first article keeps the key and the other's is
  cleared (see ``_rekey_articles``);
- ``feed_entries.link_key`` is filled from the entry's article link;
- entry keys of link-only items (``link:<key>``) become ``link:<key> title:<title>`` with
  the article's title; every other key is re-bounded in UTF-8 bytes as the code now does.

Stories merged by the old rules stay merged (their items are known and will not return);
only new items follow the new rules. ``deliveries.next_attempt_at`` holds a failed
delivery's back-off. Article links and feed site URLs become TEXT: a URL cut to fit a
column is a broken link. ``chats.title`` goes: nothing ever wrote it.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.news.links import bounded_key, entry_key, normalise_link

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")
BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_key", sa.String(length=1024), nullable=True))
        batch_op.create_index("ix_feed_entries_feed_link", ["feed_id", "link_key"], unique=False)
        batch_op.create_index("ix_feed_entries_feed_order", ["feed_id", "id"], unique=False)
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.alter_column(
            "link", existing_type=sa.String(length=2048), type_=sa.Text(), existing_nullable=True
        )
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.alter_column(
            "site_url",
            existing_type=sa.String(length=2048),
            type_=sa.Text(),
            existing_nullable=True,
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("title")
    connection = op.get_bind()
    _rekey_articles(connection)
    _rekey_entries(connection)


def downgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=256), nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("next_attempt_at")
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.alter_column(
            "site_url",
            existing_type=sa.Text(),
            type_=sa.String(length=2048),
            existing_nullable=True,
        )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.alter_column(
            "link", existing_type=sa.Text(), type_=sa.String(length=2048), existing_nullable=True
        )
    with op.batch_alter_table("feed_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_entries_feed_order")
        batch_op.drop_index("ix_feed_entries_feed_link")
        batch_op.drop_column("link_key")


ARTICLES = sa.table(
    "articles",
    sa.column("id", sa.Integer),
    sa.column("link", sa.Text),
    sa.column("link_key", sa.String),
    sa.column("title", sa.String),
)
ENTRIES = sa.table(
    "feed_entries",
    sa.column("id", sa.Integer),
    sa.column("feed_id", sa.Integer),
    sa.column("entry_key", sa.String),
    sa.column("link_key", sa.String),
    sa.column("article_id", sa.Integer),
)


def _batches(connection: sa.Connection, query: sa.Select, id_column: sa.ColumnElement):
    """Rows of ``query`` in id order, a batch at a time (bounded memory on big tables)."""
    last = 0
    while True:
        rows = connection.execute(query.where(id_column > last).order_by(id_column).limit(BATCH))
        batch = rows.all()
        if not batch:
            return
        yield batch
        last = batch[-1][0]


#: Marks an article whose key is being recomputed. urlsplit drops tabs from any URL, so no
#: normalised link, old or new, can look like this.
PENDING = "0005\trekey:"


def _rekey_articles(connection: sa.Connection) -> None:
    """Recompute article link keys, in two passes so that no key is taken twice.

    The old rules spelt some links differently (a path of "//" became no path at all), so
    two old keys can now normalise alike (``example.com?p=12`` and ``example.com/?p=12``).
    First every key that changes is set aside; then each article in turn takes its new key
    unless an article already holds it, in which case its key is cleared: the holder stays
    the one copy later items of other feeds merge into, and the other keeps its feed
    entries and the chats' seen marks, so nothing is lost or sent again. Keeping the old
    key instead would let it keep merging items it does not name (the old key dropped the
    fragment); merging the two rows would rewrite entries and seen marks for a rare case.
    """
    query = sa.select(ARTICLES.c.id, ARTICLES.c.link, ARTICLES.c.link_key).where(
        ARTICLES.c.link_key.is_not(None)
    )
    for batch in _batches(connection, query, ARTICLES.c.id):
        for article_id, link, old_key in batch:
            new_key = normalise_link(link)
            if new_key and new_key != old_key:
                _set_article_key(connection, article_id, f"{PENDING}{article_id}")
    changed = cleared = 0
    pending = sa.select(ARTICLES.c.id, ARTICLES.c.link).where(
        ARTICLES.c.link_key.startswith(PENDING, autoescape=True)
    )
    for batch in _batches(connection, pending, ARTICLES.c.id):
        for article_id, link in batch:
            new_key = normalise_link(link)
            holder = connection.execute(
                sa.select(ARTICLES.c.id).where(ARTICLES.c.link_key == new_key).limit(1)
            ).first()
            if holder is None:
                _set_article_key(connection, article_id, new_key)
                changed += 1
            else:
                _set_article_key(connection, article_id, None)
                cleared += 1
    log.info(
        "story identity: %d article link keys now keep their fragment, %d left to the "
        "article that already holds the same key",
        changed,
        cleared,
    )


def _set_article_key(connection: sa.Connection, article_id: int, key: str | None) -> None:
    connection.execute(sa.update(ARTICLES).where(ARTICLES.c.id == article_id).values(link_key=key))


def _rekey_entries(connection: sa.Connection) -> None:
    """Record each entry's link and re-key link-only entries with their title.

    Two entries of one feed whose links now normalise alike and whose articles share a
    title would get the same key; the second keeps its old one (no item is keyed that way
    any more, but its recorded link and its article's title still recognise it).
    """
    done = 0
    query = sa.select(
        ENTRIES.c.id, ENTRIES.c.feed_id, ENTRIES.c.entry_key, ARTICLES.c.link, ARTICLES.c.title
    ).join(ARTICLES, ARTICLES.c.id == ENTRIES.c.article_id)
    for batch in _batches(connection, query, ENTRIES.c.id):
        for entry_id, feed_id, old_key, link, title in batch:
            new_key = _new_entry_key(old_key, link, title)
            if new_key != old_key and _entry_key_taken(connection, feed_id, new_key):
                new_key = old_key
            connection.execute(
                sa.update(ENTRIES)
                .where(ENTRIES.c.id == entry_id)
                .values(link_key=normalise_link(link), entry_key=new_key)
            )
        done += len(batch)
        log.info("story identity: %d feed entries re-keyed", done)


def _entry_key_taken(connection: sa.Connection, feed_id: int, key: str) -> bool:
    query = sa.select(ENTRIES.c.id).where(ENTRIES.c.feed_id == feed_id, ENTRIES.c.entry_key == key)
    return connection.execute(query.limit(1)).first() is not None


def _new_entry_key(old_key: str, link: str | None, title: str) -> str:
    if old_key.startswith("link:") and link:
        return entry_key(None, link, title, "")
    if old_key.startswith(("sha256:", "hash:")):
        return old_key
    return bounded_key(old_key)
