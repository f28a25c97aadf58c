"""an index for the dashboard's default order

The dashboard lists an organisation's assessments latest change first, a page
at a time; with this index the database reads that page from the index rather
than sorting every assessment of the organisation.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_assessments_organisation_updated",
        "assessments",
        ["organisation_id", "updated_at", "id"],  # id: the order's last tie-break
    )


def downgrade() -> None:
    op.drop_index("ix_assessments_organisation_updated", table_name="assessments")
