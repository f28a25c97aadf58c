"""An assessment's result in the web app: the review page's findings and the
dashboard's list with its search and filters.

The figures come from the same engine call as the PDF report: the assessment
as an exchange document, scored with its answers, confidences and language
(:func:`~assessment.engine.summary.score_document`), and the review page's
findings are built by the report's own context functions
(:func:`~assessment.report.context.build_result_context`).  The review page
scores its assessment once per request; the dashboard scores none: it reads
one page of the summaries kept by :mod:`assessment.services.summaries`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from assessment.engine.bank import Bank
from assessment.engine.banks import BankSet
from assessment.engine.progress import Visibility
from assessment.engine.scoring import IMPACT_NUMERALS, RECOMMENDATION_LABELS, ScoringResult
from assessment.engine.summary import score_document, types_text
from assessment.models import Assessment, AssessmentSummary, Status
from assessment.report.context import build_result_context
from assessment.services.assessments import to_document
from assessment.services.summaries import fresh_summary, refresh_stale

#: The statuses the dashboard offers to filter by, in workflow order.
STATUSES = tuple(s.value for s in Status)
#: A reassessment is shown as due this long before its date (and overdue after it).
DUE_SOON = dt.timedelta(days=30)
#: Longest search text accepted (the title and programme hold at most 200 characters).
SEARCH_MAX = 200
#: Assessments per dashboard page.
PAGE_SIZE = 25


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


def _status_order() -> ColumnElement[int]:
    return case(
        {status: index for index, status in enumerate(STATUSES)},
        value=Assessment.status,
        else_=len(STATUSES),
    )


#: What the dashboard sorts by: its key in the query string -> the column.
SORT_COLUMNS: dict[str, Any] = {
    "title": func.lower(Assessment.title),
    "updated": Assessment.updated_at,
    "level": AssessmentSummary.impact_level,
    "status": _status_order(),
    "reassessment": Assessment.reassess_by,
}
#: The dashboard's order unless another is asked for: the latest change first.
DEFAULT_SORT = "-updated"


def sort_key(text: str) -> str:
    """``text`` if it names an order (a key of :data:`SORT_COLUMNS`, with a
    leading ``-`` for descending), otherwise :data:`DEFAULT_SORT`."""
    return text if text.removeprefix("-") in SORT_COLUMNS else DEFAULT_SORT


@dataclass(frozen=True, slots=True)
class DashboardRow:
    """One assessment on the dashboard.  ``summary`` is ``None`` when this
    installation lacks the bank version the assessment is pinned to."""

    assessment: Assessment
    summary: AssessmentSummary | None
    older: bool  # pinned to a bank version older than the current one
    reassessment_due: dt.date | None
    reassessment: str | None = None  # "due" or "overdue" (see reassessment_state)

    @property
    def progress(self) -> int | None:
        return self.summary.percent if self.summary else None

    @property
    def programme_types(self) -> tuple[str, ...]:
        if self.summary is None:
            return ()
        return tuple(t for t in self.summary.programme_types.split(",") if t)

    @property
    def impact_numeral(self) -> str | None:
        return IMPACT_NUMERALS[self.summary.impact_level] if self.summary else None

    @property
    def range_numerals(self) -> tuple[str, str] | None:
        if self.summary is None:
            return None
        return IMPACT_NUMERALS[self.summary.level_low], IMPACT_NUMERALS[self.summary.level_high]

    @property
    def recommendation_label(self) -> str | None:
        if self.summary is None:
            return None
        return RECOMMENDATION_LABELS.get(self.summary.recommendation, self.summary.recommendation)


@dataclass(frozen=True, slots=True)
class DashboardPage:
    """One page of the dashboard: ``rows`` of the ``total`` matching
    assessments, page ``number`` (from 1) of ``pages``."""

    rows: list[DashboardRow]
    total: int
    number: int
    pages: int
    sort: str


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


def _conditions(organisation_id: int, filters: DashboardFilters) -> list[ColumnElement[bool]]:
    conditions = [Assessment.organisation_id == organisation_id]
    search = filters.search.strip()
    if search:
        conditions.append(
            or_(
                Assessment.title.icontains(search, autoescape=True),
                Assessment.programme.icontains(search, autoescape=True),
            )
        )
    if filters.status:
        conditions.append(Assessment.status == filters.status)
    if filters.level is not None:
        conditions.append(AssessmentSummary.impact_level == filters.level)
    if filters.recommendation:
        conditions.append(AssessmentSummary.recommendation == filters.recommendation)
    if filters.programme_type:
        conditions.append(
            AssessmentSummary.programme_types.contains(
                types_text((filters.programme_type,)), autoescape=True
            )
        )
    return conditions


def dashboard_page(
    session: Session,
    organisation_id: int,
    banks: BankSet,
    filters: DashboardFilters,
    *,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    today: dt.date | None = None,
) -> DashboardPage:
    """Page ``page`` (from 1; past the last: the last) of the organisation's
    assessments that match ``filters``, in the order ``sort`` (see
    :func:`sort_key`; ties: the latest change first), with whether their
    reassessment is due or overdue on ``today`` (default: today in UTC).

    Nothing is scored here unless a summary is missing or stale
    (:func:`~assessment.services.summaries.refresh_stale`): the search,
    filters and order are applied by the database to the kept summaries, and
    the page is read with one query and counted with another.  An assessment
    whose bank version is not installed has no summary: it matches no filter
    on level, recommendation or kind, and sorts last by level.
    """
    refresh_stale(session, organisation_id, banks)
    conditions = _conditions(organisation_id, filters)
    joined = fresh_summary()  # a stale one (of a bank version not installed) reads as none
    total = (
        session.scalar(
            select(func.count(Assessment.id))
            .outerjoin(AssessmentSummary, joined)
            .where(*conditions)
        )
        or 0
    )
    pages = max(1, math.ceil(total / page_size))
    number = min(max(page, 1), pages)
    sort = sort_key(sort)
    column = SORT_COLUMNS[sort.removeprefix("-")]
    ordered = column.desc() if sort.startswith("-") else column.asc()
    if sort == DEFAULT_SORT:  # never empty: a page read from ix_assessments_organisation_updated
        order = [ordered, Assessment.id.desc()]
    else:  # assessments without a value last; ties: the latest change first
        order = [column.is_(None), ordered, Assessment.updated_at.desc(), Assessment.id.desc()]
    query = (
        select(Assessment, AssessmentSummary)
        .outerjoin(AssessmentSummary, joined)
        .where(*conditions)
        .order_by(*order)
        .limit(page_size)
        .offset((number - 1) * page_size)
    )
    today = today or dt.datetime.now(dt.UTC).date()
    rows = []
    for assessment, summary in session.execute(query):
        due = reassessment_due(assessment)
        rows.append(
            DashboardRow(
                assessment=assessment,
                summary=summary,
                older=not banks.is_current(assessment.bank_id, assessment.bank_version),
                reassessment_due=due,
                reassessment=reassessment_state(due, today),
            )
        )
    return DashboardPage(rows=rows, total=total, number=number, pages=pages, sort=sort)


def statuses_of(session: Session, organisation_id: int) -> list[str]:
    """The statuses an assessment can be in, in the order of the workflow,
    followed by any other status one of the organisation's assessments is in."""
    found = session.scalars(
        select(Assessment.status).where(Assessment.organisation_id == organisation_id).distinct()
    )
    return [*STATUSES, *sorted(set(found) - set(STATUSES))]
