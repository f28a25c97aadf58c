"""assessment summaries: progress, level, range, recommendation kept per revision

Every existing assessment pinned to a bank version found in the default
question folder gets its summary, worked out by the engine as the review page
works it out (:func:`assessment.engine.summary.summarise`).  Any other (a
bank version installed elsewhere, or not at all) gets its summary the first
time the dashboard lists it, if its bank version is installed then.
Downgrading drops the table.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03 10:00:00
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from assessment.config import DEFAULT_BANK_DIR
from assessment.engine.answers import Answer
from assessment.engine.bank import Confidence
from assessment.engine.banks import load_banks
from assessment.engine.document import AssessmentDocument
from assessment.engine.summary import summarise

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    summaries = op.create_table(
        "assessment_summaries",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.String(length=80), nullable=False),
        sa.Column("bank_version", sa.String(length=40), nullable=False),
        sa.Column("method_version", sa.String(length=20), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("applicable", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("impact_level", sa.Integer(), nullable=False),
        sa.Column("level_low", sa.Integer(), nullable=False),
        sa.Column("level_high", sa.Integer(), nullable=False),
        sa.Column("recommendation", sa.String(length=40), nullable=False),
        sa.Column("programme_types", sa.String(length=500), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_summaries_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assessment_id", name=op.f("pk_assessment_summaries")),
    )
    with op.batch_alter_table("assessment_summaries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_summaries_impact_level"), ["impact_level"], unique=False
        )
    rows = _existing_summaries()
    if rows:
        op.bulk_insert(summaries, rows)


def _existing_summaries() -> list[dict[str, Any]]:
    """The summary of every assessment whose bank version is installed in
    the default question folder, as rows of ``assessment_summaries``."""
    connection = op.get_bind()
    assessments = sa.table(
        "assessments",
        sa.column("id", sa.Integer),
        sa.column("uuid", sa.String),
        sa.column("title", sa.String),
        sa.column("programme", sa.String),
        sa.column("status", sa.String),
        sa.column("bank_id", sa.String),
        sa.column("bank_version", sa.String),
        sa.column("language", sa.String),
        sa.column("revision", sa.Integer),
    )
    answers = sa.table(
        "answers",
        sa.column("assessment_id", sa.Integer),
        sa.column("question_id", sa.String),
        sa.column("value", sa.JSON),
        sa.column("note", sa.Text),
        sa.column("source", sa.Text),
        sa.column("confidence", sa.String),
        sa.column("confidential", sa.Boolean),
    )
    found = connection.execute(sa.select(assessments)).all()
    if not found:
        return []
    banks = load_banks(DEFAULT_BANK_DIR)
    by_assessment: dict[int, list[Answer]] = defaultdict(list)
    for row in connection.execute(sa.select(answers).order_by(answers.c.question_id)):
        by_assessment[row.assessment_id].append(
            Answer(
                question_id=row.question_id,
                value=row.value,
                note=row.note,
                source=row.source,
                confidence=Confidence(row.confidence) if row.confidence else None,
                confidential=bool(row.confidential),
            )
        )
    now = dt.datetime.now(dt.UTC)
    rows = []
    for a in found:
        if not banks.has(a.bank_id, a.bank_version):
            continue
        document = AssessmentDocument(
            uuid=a.uuid,
            title=a.title,
            programme=a.programme,
            organisation="",
            status=a.status,
            bank_id=a.bank_id,
            bank_version=a.bank_version,
            language=a.language,
            created_at="",
            updated_at="",
            submitted_at=None,
            revision=a.revision,
            answers=tuple(by_assessment.get(a.id, ())),
        )
        summary = summarise(banks.get(a.bank_id, a.bank_version), document)
        rows.append(
            {
                "assessment_id": a.id,
                "revision": a.revision,
                "bank_id": a.bank_id,
                "bank_version": a.bank_version,
                "computed_at": now,
                **summary.stored_values(),
            }
        )
    return rows


def downgrade() -> None:
    with op.batch_alter_table("assessment_summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_summaries_impact_level"))
    op.drop_table("assessment_summaries")
