"""ideas, supports, official responses and statuses (portal.ideas, portal.accountability)

Revision ID: 0003
Revises: 0002

Full-text search lives here too (the models do not describe it, hence the ``fts_`` names that
the migration test ignores): a table ``fts_ideas`` kept in sync with ``ideas`` by triggers on
both databases. On SQLite it is an FTS4 table (not FTS5: FTS4 survives a plain ``DELETE`` of
its shadow tables, as the test suite does between tests; FTS5 then reports a malformed
database). On PostgreSQL it holds each idea's ``tsvector`` under a GIN index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# "simple": no language-specific stemming, so Spanish, Dutch and English ideas are all found.
PG_FTS = (
    "CREATE TABLE fts_ideas (idea_id INTEGER PRIMARY KEY REFERENCES ideas (id) ON DELETE CASCADE, "
    "document TSVECTOR NOT NULL)",
    "CREATE INDEX fts_ideas_document ON fts_ideas USING gin (document)",
    """CREATE FUNCTION fts_ideas_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO fts_ideas (idea_id, document)
  VALUES (NEW.id, to_tsvector('simple', coalesce(NEW.title, '') || ' ' || coalesce(NEW.body, '')))
  ON CONFLICT (idea_id) DO UPDATE SET document = EXCLUDED.document;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER fts_ideas_sync AFTER INSERT OR UPDATE OF title, body ON ideas "
    "FOR EACH ROW EXECUTE FUNCTION fts_ideas_sync()",
)

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE fts_ideas USING fts4("
    "title, body, content='ideas', tokenize=unicode61 'remove_diacritics=2')",
    "CREATE TRIGGER fts_ideas_ai AFTER INSERT ON ideas BEGIN "
    "INSERT INTO fts_ideas(docid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER fts_ideas_bd BEFORE DELETE ON ideas BEGIN "
    "DELETE FROM fts_ideas WHERE docid = old.id; END",
    "CREATE TRIGGER fts_ideas_bu BEFORE UPDATE OF title, body ON ideas BEGIN "
    "DELETE FROM fts_ideas WHERE docid = old.id; END",
    "CREATE TRIGGER fts_ideas_au AFTER UPDATE OF title, body ON ideas BEGIN "
    "INSERT INTO fts_ideas(docid, title, body) VALUES (new.id, new.title, new.body); END",
)


def upgrade() -> None:
    op.create_table(
        "response_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('under_review', 'accepted', 'rejected', 'implemented', 'merged')",
            name=op.f("ck_response_templates_known_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_response_templates_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_templates")),
    )
    with op.batch_alter_table("response_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_response_templates_status"), ["status"], unique=False)

    op.create_table(
        "ideas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=200), server_default="", nullable=False),
        sa.Column("cost", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="published", nullable=False),
        sa.Column("support_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_qualified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("first_answered_at", sa.DateTime(), nullable=True),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("moderation_state", sa.String(length=12), nullable=False),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.Column("hidden_reason", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('published', 'under_review', 'accepted', 'rejected', 'implemented', "
            "'merged', 'withdrawn')",
            name=op.f("ck_ideas_known_status"),
        ),
        sa.CheckConstraint("cost IS NULL OR cost >= 0", name=op.f("ck_ideas_cost_positive")),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name=op.f("ck_ideas_latitude")
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)",
            name=op.f("ck_ideas_longitude"),
        ),
        sa.CheckConstraint("support_count >= 0", name=op.f("ck_ideas_support_count_positive")),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["anchors.id"],
            name=op.f("fk_ideas_anchor_id_anchors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_ideas_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_ideas_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_ideas_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_ideas_district_id_districts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["ideas.id"],
            name=op.f("fk_ideas_merged_into_id_ideas"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ideas")),
        sa.UniqueConstraint("anchor_id", name=op.f("uq_ideas_anchor_id")),
    )
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ideas_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ideas_category_id"), ["category_id"], unique=False)
        batch_op.create_index(
            "ix_ideas_consultation_created", ["consultation_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ideas_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ideas_is_qualified"), ["is_qualified"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ideas_moderation_state"), ["moderation_state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ideas_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_ideas_support_count"), ["support_count"], unique=False)

    op.create_table(
        "official_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("previous_status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "previous_status IN ('published', 'under_review', 'accepted', 'rejected', "
            "'implemented', 'merged', 'withdrawn')",
            name=op.f("ck_official_responses_known_previous"),
        ),
        sa.CheckConstraint(
            "status IN ('under_review', 'accepted', 'rejected', 'implemented', 'merged')",
            name=op.f("ck_official_responses_known_status"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_official_responses_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["ideas.id"],
            name=op.f("fk_official_responses_idea_id_ideas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["ideas.id"],
            name=op.f("fk_official_responses_merged_into_id_ideas"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official_responses")),
    )
    with op.batch_alter_table("official_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_official_responses_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_official_responses_idea_id"), ["idea_id"], unique=False
        )

    op.create_table(
        "supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_supports_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["ideas.id"], name=op.f("fk_supports_idea_id_ideas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_supports_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supports")),
        sa.UniqueConstraint("idea_id", "user_id", name=op.f("uq_supports_idea_id_user_id")),
    )
    with op.batch_alter_table("supports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supports_consultation_user", ["consultation_id", "user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_supports_user_id"), ["user_id"], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in PG_FTS:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("fts_ideas_ai", "fts_ideas_bd", "fts_ideas_bu", "fts_ideas_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS fts_ideas")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS fts_ideas_sync ON ideas")
        op.execute("DROP FUNCTION IF EXISTS fts_ideas_sync()")
        op.execute("DROP TABLE IF EXISTS fts_ideas")

    with op.batch_alter_table("supports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supports_user_id"))
        batch_op.drop_index("ix_supports_consultation_user")
    op.drop_table("supports")
    with op.batch_alter_table("official_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_official_responses_idea_id"))
        batch_op.drop_index(batch_op.f("ix_official_responses_created_at"))
    op.drop_table("official_responses")
    with op.batch_alter_table("ideas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ideas_support_count"))
        batch_op.drop_index(batch_op.f("ix_ideas_status"))
        batch_op.drop_index(batch_op.f("ix_ideas_moderation_state"))
        batch_op.drop_index(batch_op.f("ix_ideas_is_qualified"))
        batch_op.drop_index(batch_op.f("ix_ideas_district_id"))
        batch_op.drop_index("ix_ideas_consultation_created")
        batch_op.drop_index(batch_op.f("ix_ideas_category_id"))
        batch_op.drop_index(batch_op.f("ix_ideas_author_id"))
    op.drop_table("ideas")
    with op.batch_alter_table("response_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_templates_status"))
    op.drop_table("response_templates")
