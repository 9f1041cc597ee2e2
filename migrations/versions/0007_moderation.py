"""reports, moderation actions, appeals, blocklist (portal.moderation)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ONE_TARGET = "(anchor_id IS NULL) <> (reported_user_id IS NULL)"


def upgrade() -> None:
    op.create_table(
        "moderation_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_threshold", sa.Integer(), server_default="3", nullable=False),
        sa.Column("new_account_days", sa.Integer(), server_default="2", nullable=False),
        sa.Column("new_account_links", sa.Integer(), server_default="2", nullable=False),
        sa.Column("alerts_sent_until", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "new_account_days >= 0", name=op.f("ck_moderation_settings_days_positive")
        ),
        sa.CheckConstraint(
            "new_account_links >= 0", name=op.f("ck_moderation_settings_links_positive")
        ),
        sa.CheckConstraint(
            "report_threshold >= 1", name=op.f("ck_moderation_settings_threshold_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_settings")),
    )
    op.create_table(
        "blocked_content",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("previous_state", sa.String(length=12), nullable=False),
        sa.Column("previous_reason", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["anchors.id"],
            name=op.f("fk_blocked_content_anchor_id_anchors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_blocked_content_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocked_content")),
        sa.UniqueConstraint(
            "user_id", "anchor_id", name=op.f("uq_blocked_content_user_id_anchor_id")
        ),
    )
    op.create_index(op.f("ix_blocked_content_user_id"), "blocked_content", ["user_id"])
    op.create_table(
        "blocklist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=200), nullable=False),
        sa.Column("is_regex", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_blocklist_entries_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocklist_entries")),
        sa.UniqueConstraint(
            "pattern", "is_regex", name=op.f("uq_blocklist_entries_pattern_is_regex")
        ),
    )
    op.create_table(
        "moderation_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=True),
        sa.Column("reported_user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), server_default="", nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), server_default="open", nullable=False),
        sa.Column("report_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("held_reason", sa.String(length=200), server_default="", nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'closed')", name=op.f("ck_moderation_cases_known_status")
        ),
        sa.CheckConstraint(ONE_TARGET, name=op.f("ck_moderation_cases_one_target")),
        sa.CheckConstraint(
            "report_count >= 0", name=op.f("ck_moderation_cases_report_count_positive")
        ),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["anchors.id"],
            name=op.f("fk_moderation_cases_anchor_id_anchors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_moderation_cases_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_moderation_cases_consultation_id_consultations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reported_user_id"],
            ["users.id"],
            name=op.f("fk_moderation_cases_reported_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_cases")),
        sa.UniqueConstraint("anchor_id", name=op.f("uq_moderation_cases_anchor_id")),
        sa.UniqueConstraint("reported_user_id", name=op.f("uq_moderation_cases_reported_user_id")),
    )
    op.create_index(op.f("ix_moderation_cases_author_id"), "moderation_cases", ["author_id"])
    op.create_index(
        op.f("ix_moderation_cases_consultation_id"), "moderation_cases", ["consultation_id"]
    )
    op.create_index(
        "ix_moderation_cases_queue", "moderation_cases", ["status", "report_count", "opened_at"]
    )
    op.create_table(
        "moderation_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("anchor_id", sa.Integer(), nullable=True),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "action IN ('auto_hide', 'held', 'hide', 'restore', 'dismiss', 'block', 'unblock', "
            "'block_hide', 'unblock_restore', 'appeal', 'appeal_upheld', 'appeal_rejected', "
            "'note', 'blocklist_add', 'blocklist_remove', 'settings')",
            name=op.f("ck_moderation_actions_known_action"),
        ),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["anchors.id"],
            name=op.f("fk_moderation_actions_anchor_id_anchors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_moderation_actions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["moderation_cases.id"],
            name=op.f("fk_moderation_actions_case_id_moderation_cases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_moderation_actions_consultation_id_consultations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["users.id"],
            name=op.f("fk_moderation_actions_moderator_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_user_id"],
            ["users.id"],
            name=op.f("fk_moderation_actions_target_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_actions")),
    )
    for column in ("action", "anchor_id", "author_id", "case_id", "moderator_id", "target_user_id"):
        op.create_index(op.f(f"ix_moderation_actions_{column}"), "moderation_actions", [column])
    op.create_index(
        "ix_moderation_actions_consultation_week",
        "moderation_actions",
        ["consultation_id", "week_start"],
    )
    op.create_index("ix_moderation_actions_created_at", "moderation_actions", ["created_at"])
    op.create_table(
        "moderator_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_moderator_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["moderation_cases.id"],
            name=op.f("fk_moderator_notes_case_id_moderation_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderator_notes")),
    )
    op.create_index(op.f("ix_moderator_notes_case_id"), "moderator_notes", ["case_id"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=True),
        sa.Column("reported_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("snapshot_title", sa.String(length=300), server_default="", nullable=False),
        sa.Column("snapshot_text", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "reason IN ('spam', 'offensive', 'personal_data', 'off_topic', 'other')",
            name=op.f("ck_reports_known_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'dismissed', 'upheld')", name=op.f("ck_reports_known_status")
        ),
        sa.CheckConstraint(ONE_TARGET, name=op.f("ck_reports_one_target")),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["anchors.id"],
            name=op.f("fk_reports_anchor_id_anchors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["moderation_cases.id"],
            name=op.f("fk_reports_case_id_moderation_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reported_user_id"],
            ["users.id"],
            name=op.f("fk_reports_reported_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_reports_reporter_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("reporter_id", "anchor_id", name="uq_reports_reporter_anchor"),
        sa.UniqueConstraint("reporter_id", "reported_user_id", name="uq_reports_reporter_user"),
    )
    op.create_index(op.f("ix_reports_case_id"), "reports", ["case_id"])
    op.create_index(op.f("ix_reports_reporter_id"), "reports", ["reporter_id"])
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("appellant_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'upheld', 'rejected')", name=op.f("ck_appeals_known_status")
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["moderation_actions.id"],
            name=op.f("fk_appeals_action_id_moderation_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["appellant_id"],
            ["users.id"],
            name=op.f("fk_appeals_appellant_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["moderation_cases.id"],
            name=op.f("fk_appeals_case_id_moderation_cases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_appeals_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("action_id", name=op.f("uq_appeals_action_id")),
    )
    op.create_index(op.f("ix_appeals_appellant_id"), "appeals", ["appellant_id"])
    op.create_index(op.f("ix_appeals_case_id"), "appeals", ["case_id"])
    op.create_index(op.f("ix_appeals_status"), "appeals", ["status"])


def downgrade() -> None:
    for table in (
        "appeals",
        "reports",
        "moderator_notes",
        "moderation_actions",
        "moderation_cases",
        "blocklist_entries",
        "blocked_content",
        "moderation_settings",
    ):
        op.drop_table(table)
