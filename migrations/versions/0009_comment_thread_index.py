"""comments: one index for "the visible replies of these threads"

A page of comment threads loads every reply with ``root_id IN (...) AND moderation_state =
'published'``. With only single-column indexes, SQLite without fresh statistics chose the
moderation_state index and read every published comment (hundreds of milliseconds on a city
data set). The pair index serves that query on both databases and replaces the root_id one
(its prefix).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch_op:
        batch_op.create_index(
            "ix_comments_root_id_moderation_state", ["root_id", "moderation_state"], unique=False
        )
        batch_op.drop_index("ix_comments_root_id")


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch_op:
        batch_op.create_index("ix_comments_root_id", ["root_id"], unique=False)
        batch_op.drop_index("ix_comments_root_id_moderation_state")
