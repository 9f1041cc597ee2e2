"""budget simulator (portal.simulator)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "simulators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tolerance", sa.BigInteger(), nullable=False),
        sa.Column("household_share", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=True),
        sa.Column("closes_at", sa.DateTime(), nullable=True),
        sa.Column("results_published", sa.Boolean(), nullable=False),
        sa.Column("publish_comments", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("mode IN ('balance', 'tax')", name=op.f("ck_simulators_known_mode")),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'closed')", name=op.f("ck_simulators_known_status")
        ),
        sa.CheckConstraint(
            "closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at",
            name=op.f("ck_simulators_closes_after_opening"),
        ),
        sa.CheckConstraint("tolerance >= 0", name=op.f("ck_simulators_tolerance_not_negative")),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_simulators_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_simulators_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulators")),
    )
    with op.batch_alter_table("simulators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_simulators_consultation_id"), ["consultation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_simulators_status"), ["status"], unique=False)

    op.create_table(
        "simulator_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("simulator_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("group_name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("current_amount", sa.BigInteger(), nullable=False),
        sa.Column("minimum", sa.BigInteger(), nullable=False),
        sa.Column("maximum", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('amount', 'toggle')", name=op.f("ck_simulator_lines_known_kind")
        ),
        sa.CheckConstraint(
            "minimum <= current_amount AND current_amount <= maximum",
            name=op.f("ck_simulator_lines_current_in_bounds"),
        ),
        sa.CheckConstraint("step > 0", name=op.f("ck_simulator_lines_step_positive")),
        sa.ForeignKeyConstraint(
            ["simulator_id"],
            ["simulators.id"],
            name=op.f("fk_simulator_lines_simulator_id_simulators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulator_lines")),
    )
    with op.batch_alter_table("simulator_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_simulator_lines_simulator_id"), ["simulator_id"], unique=False
        )

    op.create_table(
        "simulator_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("simulator_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("completion_seconds", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["simulator_id"],
            ["simulators.id"],
            name=op.f("fk_simulator_responses_simulator_id_simulators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_simulator_responses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulator_responses")),
        sa.UniqueConstraint(
            "simulator_id", "user_id", name=op.f("uq_simulator_responses_simulator_id_user_id")
        ),
    )
    with op.batch_alter_table("simulator_responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_simulator_responses_commented",
            ["simulator_id", "submitted_at"],
            unique=False,
            sqlite_where=sa.text("comment != ''"),
            postgresql_where=sa.text("comment != ''"),
        )
        batch_op.create_index(
            "ix_simulator_responses_simulator_submitted",
            ["simulator_id", "submitted_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_simulator_responses_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "simulator_response_lines",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["simulator_lines.id"],
            name=op.f("fk_simulator_response_lines_line_id_simulator_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["simulator_responses.id"],
            name=op.f("fk_simulator_response_lines_response_id_simulator_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", "line_id", name=op.f("pk_simulator_response_lines")),
    )
    with op.batch_alter_table("simulator_response_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_simulator_response_lines_line_counted_amount",
            ["line_id", "counted", "amount"],
            unique=False,
        )
        batch_op.create_index(
            "ix_simulator_response_lines_commented",
            ["line_id", "counted", "response_id"],
            unique=False,
            sqlite_where=sa.text("comment != ''"),
            postgresql_where=sa.text("comment != ''"),
        )


def downgrade() -> None:
    with op.batch_alter_table("simulator_response_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_simulator_response_lines_commented")
        batch_op.drop_index("ix_simulator_response_lines_line_counted_amount")

    op.drop_table("simulator_response_lines")
    with op.batch_alter_table("simulator_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_simulator_responses_user_id"))
        batch_op.drop_index("ix_simulator_responses_simulator_submitted")
        batch_op.drop_index("ix_simulator_responses_commented")

    op.drop_table("simulator_responses")
    with op.batch_alter_table("simulator_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_simulator_lines_simulator_id"))

    op.drop_table("simulator_lines")
    with op.batch_alter_table("simulators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_simulators_status"))
        batch_op.drop_index(batch_op.f("ix_simulators_consultation_id"))

    op.drop_table("simulators")
