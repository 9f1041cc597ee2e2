"""budgets, projects, ballots, receipts and paper ballots (portal.budgets)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("ballot_kind", sa.String(length=12), nullable=False),
        sa.Column("min_spend_percent", sa.Integer(), nullable=False),
        sa.Column("min_projects", sa.Integer(), nullable=False),
        sa.Column("max_projects", sa.Integer(), nullable=True),
        sa.Column("cost_limited", sa.Boolean(), nullable=False),
        sa.Column("total_points", sa.Integer(), nullable=True),
        sa.Column("max_points_per_project", sa.Integer(), nullable=True),
        sa.Column("allow_replace", sa.Boolean(), nullable=False),
        sa.Column("official_rule", sa.String(length=60), nullable=False),
        sa.Column("tie_breaking", sa.String(length=12), nullable=False),
        sa.Column("results_published_at", sa.DateTime(), nullable=True),
        sa.Column("source_meta", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "ballot_kind IN ('knapsack', 'approval', 'cumulative', 'ranked')",
            name=op.f("ck_budgets_known_kind"),
        ),
        sa.CheckConstraint(
            "tie_breaking IN ('lexico', 'file_order')", name=op.f("ck_budgets_known_tie_breaking")
        ),
        sa.CheckConstraint(
            "max_projects IS NULL OR max_projects >= min_projects",
            name=op.f("ck_budgets_max_projects"),
        ),
        sa.CheckConstraint("min_projects >= 0", name=op.f("ck_budgets_min_projects")),
        sa.CheckConstraint(
            "min_spend_percent BETWEEN 0 AND 100", name=op.f("ck_budgets_min_spend_percent")
        ),
        sa.CheckConstraint("total > 0", name=op.f("ck_budgets_total_positive")),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_budgets_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_budgets_district_id_districts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budgets")),
    )
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_budgets_consultation_id"), ["consultation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_budgets_district_id"), ["district_id"], unique=False)
    op.create_table(
        "ballot_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("budget_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["budgets.id"],
            name=op.f("fk_ballot_drafts_budget_id_budgets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"],
            ["users.id"],
            name=op.f("fk_ballot_drafts_voter_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_drafts")),
        sa.UniqueConstraint(
            "budget_id", "voter_id", name=op.f("uq_ballot_drafts_budget_id_voter_id")
        ),
    )
    with op.batch_alter_table("ballot_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballot_drafts_voter_id"), ["voter_id"], unique=False)
    op.create_table(
        "ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("budget_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=True),
        sa.Column("verification_code_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("receipt_code", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("replaced_count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "channel != 'paper' OR verification_code_id IS NOT NULL",
            name=op.f("ck_ballots_paper_has_code"),
        ),
        sa.CheckConstraint(
            "channel IN ('online', 'paper', 'imported')", name=op.f("ck_ballots_known_channel")
        ),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["budgets.id"],
            name=op.f("fk_ballots_budget_id_budgets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["users.id"],
            name=op.f("fk_ballots_entered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["verification_code_id"],
            ["verification_codes.id"],
            name=op.f("fk_ballots_verification_code_id_verification_codes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"], ["users.id"], name=op.f("fk_ballots_voter_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballots")),
        sa.UniqueConstraint(
            "budget_id",
            "verification_code_id",
            name=op.f("uq_ballots_budget_id_verification_code_id"),
        ),
        sa.UniqueConstraint("budget_id", "voter_id", name=op.f("uq_ballots_budget_id_voter_id")),
        sa.UniqueConstraint("receipt_code", name=op.f("uq_ballots_receipt_code")),
    )
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.create_index("ix_ballots_budget_channel", ["budget_id", "channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_ballots_fingerprint"), ["fingerprint"], unique=False)
        batch_op.create_index(batch_op.f("ix_ballots_voter_id"), ["voter_id"], unique=False)
    op.create_table(
        "budget_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("budget_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("feasibility", sa.String(length=14), nullable=False),
        sa.Column("feasibility_explanation", sa.Text(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("idea_id", sa.Integer(), nullable=True),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("moderation_state", sa.String(length=12), nullable=False),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.Column("hidden_reason", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "feasibility IN ('pending', 'feasible', 'not_feasible')",
            name=op.f("ck_budget_projects_known_feasibility"),
        ),
        sa.CheckConstraint("cost >= 0", name=op.f("ck_budget_projects_cost_not_negative")),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude BETWEEN -90 AND 90)",
            name=op.f("ck_budget_projects_latitude"),
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)",
            name=op.f("ck_budget_projects_longitude"),
        ),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["anchors.id"],
            name=op.f("fk_budget_projects_anchor_id_anchors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["budgets.id"],
            name=op.f("fk_budget_projects_budget_id_budgets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_budget_projects_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_budget_projects_district_id_districts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["ideas.id"],
            name=op.f("fk_budget_projects_idea_id_ideas"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_projects")),
        sa.UniqueConstraint("anchor_id", name=op.f("uq_budget_projects_anchor_id")),
        sa.UniqueConstraint("budget_id", "ref", name=op.f("uq_budget_projects_budget_id_ref")),
    )
    with op.batch_alter_table("budget_projects", schema=None) as batch_op:
        batch_op.create_index(
            "ix_budget_projects_budget_position", ["budget_id", "position"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_budget_projects_category_id"), ["category_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_budget_projects_district_id"), ["district_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_budget_projects_feasibility"), ["feasibility"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_budget_projects_idea_id"), ["idea_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_budget_projects_moderation_state"), ["moderation_state"], unique=False
        )
    op.create_table(
        "budget_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("budget_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=60), nullable=False),
        sa.Column("tie_breaking", sa.String(length=12), nullable=False),
        sa.Column("signature", sa.String(length=120), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["budgets.id"],
            name=op.f("fk_budget_results_budget_id_budgets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_results")),
        sa.UniqueConstraint(
            "budget_id",
            "rule",
            "tie_breaking",
            name=op.f("uq_budget_results_budget_id_rule_tie_breaking"),
        ),
    )
    op.create_table(
        "ballot_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "points IS NULL OR points >= 0", name=op.f("ck_ballot_choices_points_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballots.id"],
            name=op.f("fk_ballot_choices_ballot_id_ballots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["budget_projects.id"],
            name=op.f("fk_ballot_choices_project_id_budget_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_choices")),
        sa.UniqueConstraint(
            "ballot_id", "project_id", name=op.f("uq_ballot_choices_ballot_id_project_id")
        ),
    )
    with op.batch_alter_table("ballot_choices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ballot_choices_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ballot_choices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_choices_project_id"))
    op.drop_table("ballot_choices")
    op.drop_table("budget_results")
    with op.batch_alter_table("budget_projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_projects_moderation_state"))
        batch_op.drop_index(batch_op.f("ix_budget_projects_idea_id"))
        batch_op.drop_index(batch_op.f("ix_budget_projects_feasibility"))
        batch_op.drop_index(batch_op.f("ix_budget_projects_district_id"))
        batch_op.drop_index(batch_op.f("ix_budget_projects_category_id"))
        batch_op.drop_index("ix_budget_projects_budget_position")
    op.drop_table("budget_projects")
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballots_voter_id"))
        batch_op.drop_index(batch_op.f("ix_ballots_fingerprint"))
        batch_op.drop_index("ix_ballots_budget_channel")
    op.drop_table("ballots")
    with op.batch_alter_table("ballot_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_drafts_voter_id"))
    op.drop_table("ballot_drafts")
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budgets_district_id"))
        batch_op.drop_index(batch_op.f("ix_budgets_consultation_id"))
    op.drop_table("budgets")
