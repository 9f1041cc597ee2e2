"""comments, comment votes, follows and notifications (portal.comments, portal.notifications)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_anchor_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("root_id", sa.Integer(), nullable=True),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("stance", sa.String(length=8), server_default="neutral", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("up_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("down_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("moderation_state", sa.String(length=12), nullable=False),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.Column("hidden_reason", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "stance IN ('for', 'against', 'neutral')", name=op.f("ck_comments_known_stance")
        ),
        sa.CheckConstraint("depth >= 0 AND depth <= 3", name=op.f("ck_comments_depth_limit")),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["anchors.id"],
            name=op.f("fk_comments_anchor_id_anchors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_comments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["comments.id"],
            name=op.f("fk_comments_parent_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["root_id"],
            ["comments.id"],
            name=op.f("fk_comments_root_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_anchor_id"],
            ["anchors.id"],
            name=op.f("fk_comments_target_anchor_id_anchors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
        sa.UniqueConstraint("anchor_id", name=op.f("uq_comments_anchor_id")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comments_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comments_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_comments_moderation_state"), ["moderation_state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_comments_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comments_root_id"), ["root_id"], unique=False)
        batch_op.create_index(
            "ix_comments_target_anchor_id_parent_id",
            ["target_anchor_id", "parent_id"],
            unique=False,
        )

    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["anchors.id"],
            name=op.f("fk_follows_anchor_id_anchors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("user_id", "anchor_id", name=op.f("uq_follows_user_id_anchor_id")),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follows_anchor_id"), ["anchor_id"], unique=False)

    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "email_frequency", sa.String(length=12), server_default="immediately", nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "email_frequency IN ('immediately', 'daily', 'never')",
            name=op.f("ck_notification_preferences_known_frequency"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("source_anchor_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("emailed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_notifications_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["anchors.id"],
            name=op.f("fk_notifications_anchor_id_anchors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_anchor_id"],
            ["anchors.id"],
            name=op.f("fk_notifications_source_anchor_id_anchors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_anchor_id"), ["anchor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notifications_emailed_at"), ["emailed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notifications_source_anchor_id"), ["source_anchor_id"], unique=False
        )
        batch_op.create_index("ix_notifications_user_id_id", ["user_id", "id"], unique=False)
        batch_op.create_index(
            "ix_notifications_user_id_read_at", ["user_id", "read_at"], unique=False
        )

    op.create_table(
        "comment_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("value IN (-1, 1)", name=op.f("ck_comment_votes_known_value")),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name=op.f("fk_comment_votes_comment_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_comment_votes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_votes")),
        sa.UniqueConstraint(
            "comment_id", "user_id", name=op.f("uq_comment_votes_comment_id_user_id")
        ),
    )
    with op.batch_alter_table("comment_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_votes_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("comment_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_votes_user_id"))

    op.drop_table("comment_votes")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_id_read_at")
        batch_op.drop_index("ix_notifications_user_id_id")
        batch_op.drop_index(batch_op.f("ix_notifications_source_anchor_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_emailed_at"))
        batch_op.drop_index(batch_op.f("ix_notifications_anchor_id"))

    op.drop_table("notifications")
    op.drop_table("notification_preferences")
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follows_anchor_id"))

    op.drop_table("follows")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_target_anchor_id_parent_id")
        batch_op.drop_index(batch_op.f("ix_comments_root_id"))
        batch_op.drop_index(batch_op.f("ix_comments_parent_id"))
        batch_op.drop_index(batch_op.f("ix_comments_moderation_state"))
        batch_op.drop_index(batch_op.f("ix_comments_created_at"))
        batch_op.drop_index(batch_op.f("ix_comments_author_id"))

    op.drop_table("comments")
