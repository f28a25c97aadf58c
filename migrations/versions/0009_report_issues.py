"""report issues: the SHA-256 of every signed report file handed out

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("assessment_uuid", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("edition", sa.String(length=10), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("data_sha256", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_via", sa.String(length=20), nullable=False),
        sa.Column("signer", sa.String(length=300), nullable=False),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_report_issues_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_issues")),
        sa.UniqueConstraint("file_sha256", name=op.f("uq_report_issues_file_sha256")),
    )
    with op.batch_alter_table("report_issues", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_issues_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_issues_data_sha256"), ["data_sha256"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_issues_certificate_sha256"),
            ["certificate_sha256"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("report_issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_issues_certificate_sha256"))
        batch_op.drop_index(batch_op.f("ix_report_issues_data_sha256"))
        batch_op.drop_index(batch_op.f("ix_report_issues_assessment_id"))
    op.drop_table("report_issues")
