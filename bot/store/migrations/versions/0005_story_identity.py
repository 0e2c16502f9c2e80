"""story identity and outbox retries: per-feed entry links, fragments kept, delivery back-off

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Items used to be merged across the whole database by their normalised link without its
fragment, so a podcast whose episodes all link to its home page became one story. The new
rules (bot.news.links) keep fragments, key link-only items by link and title, and record
on each feed entry the link it carried. Existing rows are re-keyed here so that nothing
already stored looks new (and is sent again) after the upgrade:

- ``articles.link_key`` is recomputed from ``articles.link`` with the fragment kept (a
  refinement of the old key, so it stays unique);
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
        batch_op.add_column(
            sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True)
        )
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


def _rekey_articles(connection: sa.Connection) -> None:
    changed = 0
    query = sa.select(ARTICLES.c.id, ARTICLES.c.link, ARTICLES.c.link_key).where(
        ARTICLES.c.link_key.is_not(None)
    )
    for batch in _batches(connection, query, ARTICLES.c.id):
        for article_id, link, old_key in batch:
            new_key = normalise_link(link)
            if new_key and new_key != old_key:
                connection.execute(
                    sa.update(ARTICLES).where(ARTICLES.c.id == article_id).values(link_key=new_key)
                )
                changed += 1
    log.info("story identity: %d article link keys now keep their fragment", changed)


def _rekey_entries(connection: sa.Connection) -> None:
    done = 0
    query = sa.select(
        ENTRIES.c.id, ENTRIES.c.entry_key, ARTICLES.c.link, ARTICLES.c.title
    ).join(ARTICLES, ARTICLES.c.id == ENTRIES.c.article_id)
    for batch in _batches(connection, query, ENTRIES.c.id):
        for entry_id, old_key, link, title in batch:
            connection.execute(
                sa.update(ENTRIES)
                .where(ENTRIES.c.id == entry_id)
                .values(link_key=normalise_link(link), entry_key=_new_entry_key(old_key, link, title))
            )
        done += len(batch)
        log.info("story identity: %d feed entries re-keyed", done)


def _new_entry_key(old_key: str, link: str | None, title: str) -> str:
    if old_key.startswith("link:") and link:
        return entry_key(None, link, title, "")
    if old_key.startswith(("sha256:", "hash:")):
        return old_key
    return bounded_key(old_key)
