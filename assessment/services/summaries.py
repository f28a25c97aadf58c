"""Kept summaries of assessments' results (:class:`~assessment.models.AssessmentSummary`),
so that the dashboard lists, filters and sorts any number of assessments
without scoring one.

A summary is worked out by the engine call the review page uses
(:func:`~assessment.engine.summary.score_document`, via
:func:`~assessment.engine.summary.summarise`) and stored whenever the answers
change: on a section save, an import, a bank upgrade.  A workflow step
changes no answer, so it only carries the summary on to the new revision
(:func:`carry_summary`).  Whatever path changed an assessment without
storing its summary, the summary then names another revision, bank or
method than the assessment and :func:`refresh_stale` works it out again
before the dashboard reads it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from assessment.engine.bank import Bank
from assessment.engine.banks import BankSet
from assessment.engine.scoring import METHOD_VERSION
from assessment.engine.summary import Scored, score_document, summarise
from assessment.models import Assessment, AssessmentSummary, utcnow
from assessment.services.assessments import to_document


def store_summary(session: Session, assessment: Assessment, bank: Bank) -> Scored:
    """Score ``assessment`` as it stands against ``bank`` (the version it is
    pinned to) and store its summary at the assessment's revision, in one
    statement that inserts or replaces it; returns the scoring, whose
    visibility is the assessment's.  A summary stored meanwhile for a later
    revision is kept."""
    document = to_document(assessment)
    scored = score_document(bank, document)
    summary = summarise(bank, document, scored)
    values = {
        "revision": assessment.revision,
        "bank_id": assessment.bank_id,
        "bank_version": assessment.bank_version,
        "computed_at": utcnow(),
        **summary.stored_values(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(AssessmentSummary).values(assessment_id=assessment.id, **values)
    table = AssessmentSummary.__table__
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.assessment_id],
            set_={name: statement.excluded[name] for name in values},
            where=table.c.revision <= statement.excluded.revision,
        )
    )
    return scored


def refresh_summary(session: Session, assessment: Assessment, banks: BankSet) -> bool:
    """:func:`store_summary` against the bank version ``assessment`` is
    pinned to; ``False`` (and nothing stored) when that version is not installed."""
    if not banks.has(assessment.bank_id, assessment.bank_version):
        return False
    store_summary(session, assessment, banks.get(assessment.bank_id, assessment.bank_version))
    return True


def carry_summary(session: Session, assessment: Assessment, from_revision: int) -> None:
    """Move the summary kept at ``from_revision`` on to the assessment's
    revision, for a change that leaves the answers, bank and language alone
    (a workflow step).  A summary of another revision is left to go stale."""
    session.execute(
        update(AssessmentSummary)
        .where(
            AssessmentSummary.assessment_id == assessment.id,
            AssessmentSummary.revision == from_revision,
        )
        .values(revision=assessment.revision)
        .execution_options(synchronize_session=False)
    )


def fresh_summary() -> ColumnElement[bool]:
    """The join condition of an assessment and its summary when that summary
    is fresh: of the assessment's revision and bank version, by the scoring
    method of this installation.  Outer-joined on it, a missing or stale
    summary reads as none."""
    return and_(
        AssessmentSummary.assessment_id == Assessment.id,
        AssessmentSummary.revision == Assessment.revision,
        AssessmentSummary.bank_id == Assessment.bank_id,
        AssessmentSummary.bank_version == Assessment.bank_version,
        AssessmentSummary.method_version == METHOD_VERSION,
    )


def refresh_stale(session: Session, organisation_id: int, banks: BankSet) -> int:
    """Work out and store again each summary of the organisation that is
    missing or stale (another revision, bank version or scoring method than
    its assessment), one assessment at a time; returns how many.  With
    nothing stale this is one query.  An assessment pinned to a bank version
    this installation lacks has no summary and is left out."""
    stale = session.execute(
        select(Assessment.id, Assessment.bank_id, Assessment.bank_version)
        .outerjoin(AssessmentSummary, fresh_summary())
        .where(
            Assessment.organisation_id == organisation_id,
            AssessmentSummary.assessment_id.is_(None),
        )
    ).all()
    ids = [id_ for id_, bank_id, version in stale if banks.has(bank_id, version)]
    if not ids:
        return 0
    assessments = session.scalars(
        select(Assessment)
        .where(Assessment.id.in_(ids))
        .options(
            selectinload(Assessment.answers),
            selectinload(Assessment.organisation),
            selectinload(Assessment.evidence),
            selectinload(Assessment.reviews),
        )
    )
    for assessment in assessments:
        refresh_summary(session, assessment, banks)
    return len(ids)
