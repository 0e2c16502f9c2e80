"""retention: seen marks found by article

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

The retention job (bot.store.retention) deletes articles no chat can be shown any more,
and with them their seen marks. ``chat_seen``'s primary key starts with the chat, so
finding an article's marks (the delete itself, and the foreign key's cascade) scanned the
whole table for every article: at a million rows, a thousand deletes took minutes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_seen", schema=None) as batch_op:
        batch_op.create_index("ix_chat_seen_article", ["article_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chat_seen", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_seen_article")
