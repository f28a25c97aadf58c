"""review workflow: reviews with sign-off, issued revisions, reassessment dates

Assessments that were "submitted" before the workflow existed become "in_review":
submission was final then, and now a reviewer must approve and an owner issue
them, since nobody has signed them off.  Downgrading turns every non-draft
status back into "submitted".

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reassess_by", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "round_start_revision", sa.Integer(), nullable=False, server_default=sa.text("0")
            )
        )
    op.execute("UPDATE assessments SET status = 'in_review' WHERE status = 'submitted'")
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_reviews_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reviews_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviews_assessment_id"), ["assessment_id"], unique=False
        )
    op.create_table(
        "issued_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("reassess_by", sa.Date(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_issued_revisions_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["users.id"],
            name=op.f("fk_issued_revisions_issued_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_revisions")),
        sa.UniqueConstraint(
            "assessment_id", "revision", name=op.f("uq_issued_revisions_assessment_id")
        ),
    )
    with op.batch_alter_table("issued_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issued_revisions_assessment_id"), ["assessment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("issued_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_revisions_assessment_id"))
    op.drop_table("issued_revisions")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_assessment_id"))
    op.drop_table("reviews")
    op.execute("UPDATE assessments SET status = 'submitted' WHERE status <> 'draft'")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_column("round_start_revision")
        batch_op.drop_column("reassess_by")
        batch_op.drop_column("issued_at")
