"""answer history, comments, and what an event concerns

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 10:00:00

Every existing answer gets one history row (``backfilled``) at its
assessment's revision of now: earlier values were not kept, so the history of
an existing assessment starts at that revision.
Events of saved sections get their section and count from their detail text.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SAVED_DETAIL = re.compile(r"^section (?P<section>[^:]+): (?P<count>\d+) answers?$")


def upgrade() -> None:
    op.create_table(
        "answer_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=80), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("cleared", sa.Boolean(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(length=20), nullable=True),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        sa.Column("backfilled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_answer_history_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["saved_by_id"],
            ["users.id"],
            name=op.f("fk_answer_history_saved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_history")),
    )
    with op.batch_alter_table("answer_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answer_history_assessment_id"), ["assessment_id"], unique=False
        )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=80), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_comments_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["comments.id"],
            name=op.f("fk_comments_parent_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_comments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["users.id"],
            name=op.f("fk_comments_resolved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comments_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_comments_parent_id"), ["parent_id"], unique=False)
    with op.batch_alter_table("assessment_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("section_id", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("question_id", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("answer_count", sa.Integer(), nullable=True))

    connection = op.get_bind()
    connection.execute(
        sa.text(
            "INSERT INTO answer_history (assessment_id, question_id, revision, cleared, value,"
            " note, source, confidence, confidential, saved_at, saved_by_id, backfilled)"
            " SELECT a.assessment_id, a.question_id, s.revision, :no, a.value, a.note, a.source,"
            " a.confidence, a.confidential, a.updated_at, a.updated_by_id, :yes"
            " FROM answers a JOIN assessments s ON s.id = a.assessment_id"
        ),
        {"no": False, "yes": True},
    )
    events = connection.execute(
        sa.text("SELECT id, detail FROM assessment_events WHERE action = 'answers saved'")
    ).all()
    for event_id, detail in events:
        match = SAVED_DETAIL.match(detail or "")
        if match:
            connection.execute(
                sa.text(
                    "UPDATE assessment_events SET section_id = :section, answer_count = :count"
                    " WHERE id = :id"
                ),
                {"section": match["section"], "count": int(match["count"]), "id": event_id},
            )


def downgrade() -> None:
    with op.batch_alter_table("assessment_events", schema=None) as batch_op:
        batch_op.drop_column("answer_count")
        batch_op.drop_column("question_id")
        batch_op.drop_column("section_id")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comments_parent_id"))
        batch_op.drop_index(batch_op.f("ix_comments_assessment_id"))
    op.drop_table("comments")
    with op.batch_alter_table("answer_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_history_assessment_id"))
    op.drop_table("answer_history")
