"""An assessment's result in the web app: the review page's findings and the
dashboard's list with its search and filters.

The figures come from the same engine call as the PDF report: the assessment
as an exchange document, scored with its answers, confidences and language
(:func:`score_document`), and the review page's findings are built by the
report's own context functions (:func:`~assessment.report.context.build_result_context`).
Each assessment is scored once per request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from assessment.engine.bank import Bank
from assessment.engine.banks import BankSet
from assessment.engine.document import AssessmentDocument
from assessment.engine.progress import Visibility, resolve
from assessment.engine.scoring import ScoringResult, score
from assessment.models import Assessment, Status
from assessment.report.context import build_result_context
from assessment.services.assessments import to_document

#: The statuses the dashboard offers to filter by, in workflow order.
STATUSES = tuple(s.value for s in Status)
#: A reassessment is shown as due this long before its date (and overdue after it).
DUE_SOON = dt.timedelta(days=30)
#: Longest search text accepted (the title and programme hold at most 200 characters).
SEARCH_MAX = 200


@dataclass(frozen=True, slots=True)
class Scored:
    """What the engine made of one assessment: which questions apply, and the result."""

    visibility: Visibility
    result: ScoringResult


def score_document(bank: Bank, document: AssessmentDocument) -> Scored:
    """Score ``document`` exactly as the report does: its answers, its
    confidences and its language, with the visibility worked out once."""
    values = document.answer_values()
    visibility = resolve(bank, values)
    result = score(bank, values, document.confidences(), document.language, visibility=visibility)
    return Scored(visibility, result)


@dataclass(frozen=True, slots=True)
class Findings:
    """The review page's result: ``context`` holds the report's figures as plain values."""

    visibility: Visibility
    result: ScoringResult
    context: dict[str, Any]


def findings_of(assessment: Assessment, bank: Bank) -> Findings:
    """The result of ``assessment`` (scored against its pinned ``bank``), with
    the report's summary, limitation test, rights, heat maps, gaps and action
    plan; one call to the engine's ``score``."""
    document = to_document(assessment)
    scored = score_document(bank, document)
    context = build_result_context(
        bank, document, result=scored.result, visibility=scored.visibility
    )
    return Findings(scored.visibility, scored.result, context)


@dataclass(frozen=True, slots=True)
class DashboardFilters:
    """What the dashboard is narrowed to; an empty value does not narrow."""

    search: str = ""
    status: str = ""
    level: int | None = None  # impact level 1-4
    recommendation: str = ""
    programme_type: str = ""


@dataclass(frozen=True, slots=True)
class DashboardRow:
    """One assessment on the dashboard.  ``scored`` is ``None`` when this
    installation lacks the bank version the assessment is pinned to."""

    assessment: Assessment
    scored: Scored | None
    programme_types: tuple[str, ...]
    older: bool  # pinned to a bank version older than the current one
    reassessment_due: dt.date | None
    reassessment: str | None = None  # "due" or "overdue" (see reassessment_state)

    @property
    def progress(self) -> int | None:
        return self.scored.visibility.percent if self.scored else None

    @property
    def result(self) -> ScoringResult | None:
        return self.scored.result if self.scored else None


def reassessment_due(assessment: Assessment) -> dt.date | None:
    """When the assessment is due to be assessed again: the date set when it
    was last issued (kept while a reassessment is under way), or ``None``
    for one never issued."""
    return assessment.reassess_by


def reassessment_state(due: dt.date | None, today: dt.date) -> str | None:
    """``"overdue"`` once ``due`` has passed, ``"due"`` from :data:`DUE_SOON`
    before it, otherwise (or without a date) ``None``."""
    if due is None:
        return None
    if due < today:
        return "overdue"
    if due - today <= DUE_SOON:
        return "due"
    return None


def dashboard_rows(
    session: Session,
    organisation_id: int,
    banks: BankSet,
    filters: DashboardFilters,
    today: dt.date | None = None,
) -> list[DashboardRow]:
    """The organisation's assessments that match ``filters``, most recently
    changed first, each scored once, with whether their reassessment is due
    or overdue on ``today`` (default: today in UTC).

    The search (case-insensitive, in title and programme) and the status are
    applied by the database; the level, recommendation and programme type need
    the engine and are applied to the scored rows.  An assessment whose bank
    version is not installed has no level or recommendation, so it matches
    no filter on them.
    """
    query = (
        select(Assessment)
        .where(Assessment.organisation_id == organisation_id)
        .options(
            selectinload(Assessment.answers),
            selectinload(Assessment.organisation),
            selectinload(Assessment.reviews),  # the sign-off of approved and issued ones
        )
        .order_by(Assessment.updated_at.desc(), Assessment.id.desc())
    )
    search = filters.search.strip()
    if search:
        query = query.where(
            or_(
                Assessment.title.icontains(search, autoescape=True),
                Assessment.programme.icontains(search, autoescape=True),
            )
        )
    if filters.status:
        query = query.where(Assessment.status == filters.status)
    today = today or dt.datetime.now(dt.UTC).date()
    rows = []
    for assessment in session.scalars(query):
        row = _row(assessment, banks, today)
        if _matches(row, filters):
            rows.append(row)
    return rows


def statuses_of(session: Session, organisation_id: int) -> list[str]:
    """The statuses an assessment can be in, in the order of the workflow,
    followed by any other status one of the organisation's assessments is in."""
    found = session.scalars(
        select(Assessment.status).where(Assessment.organisation_id == organisation_id).distinct()
    )
    return [*STATUSES, *sorted(set(found) - set(STATUSES))]


def _row(assessment: Assessment, banks: BankSet, today: dt.date) -> DashboardRow:
    due = reassessment_due(assessment)
    state = reassessment_state(due, today)
    if not banks.has(assessment.bank_id, assessment.bank_version):
        return DashboardRow(assessment, None, (), True, due, state)
    bank = banks.get(assessment.bank_id, assessment.bank_version)
    document = to_document(assessment)
    types_question = bank.role("programme_types")
    types = document.answer_values().get(types_question) if types_question else None
    return DashboardRow(
        assessment=assessment,
        scored=score_document(bank, document),
        programme_types=tuple(_strings(types)),
        older=not banks.is_current(assessment.bank_id, assessment.bank_version),
        reassessment_due=due,
        reassessment=state,
    )


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, list):
        return (v for v in value if isinstance(v, str))
    return ()


def _matches(row: DashboardRow, filters: DashboardFilters) -> bool:
    if filters.programme_type and filters.programme_type not in row.programme_types:
        return False
    if filters.level is None and not filters.recommendation:
        return True
    result = row.result
    if result is None:
        return False
    if filters.level is not None and result.impact_level != filters.level:
        return False
    return not filters.recommendation or result.recommendation == filters.recommendation
