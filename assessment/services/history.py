"""Answer history: the answers of any revision, the comparison of two
revisions, and the revision of the last issued report.

Every change to an answer adds a row to ``answer_history`` in the same
transaction (:func:`~assessment.services.assessments.keep_history`), so the
answers of revision *r* are, per question, the latest row at or before *r*
(none if that row clears the answer).  The history of an assessment that
existed before migration 0011 starts at its revision of then
(:func:`history_start`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from assessment.engine.answers import Answer
from assessment.engine.bank import Confidence
from assessment.engine.banks import BankSet, UnknownBankVersion
from assessment.engine.document import AssessmentDocument, public_edition
from assessment.models import (
    AnswerRevision,
    Assessment,
    AssessmentEvent,
    BankUpgrade,
    IssuedRevision,
    ReportRevision,
    as_utc,
)
from assessment.report.changes import Side, build_changes
from assessment.services.assessments import to_document

#: The event of the review workflow's issue step (its revision is that of an
#: issued revision; :func:`last_issued_revision` reads ``issued_revisions``).
ISSUED_ACTION = "issued"


class RevisionUnavailable(LookupError):
    """A revision whose answers cannot be read back: not one of the
    assessment's, or older than its history (the message says which)."""


def history_start(session: Session, assessment: Assessment) -> int:
    """The first revision whose answers can be read back: 1, or for an
    assessment that existed before the history was kept, its revision then."""
    start = session.scalar(
        select(func.max(AnswerRevision.revision)).where(
            AnswerRevision.assessment_id == assessment.id, AnswerRevision.backfilled.is_(True)
        )
    )
    return int(start) if start is not None else 1


def check_revision(session: Session, assessment: Assessment, revision: int) -> None:
    """Raises :class:`RevisionUnavailable` unless the answers of ``revision``
    can be read back."""
    if revision < 1 or revision > assessment.revision:
        raise RevisionUnavailable(
            _(
                "Revision %(revision)s does not exist: this assessment has revisions 1 to"
                " %(last)s.",
                revision=revision,
                last=assessment.revision,
            )
        )
    start = history_start(session, assessment)
    if revision < start:
        raise RevisionUnavailable(
            _(
                "Revision %(revision)s is older than the answer history kept here, which"
                " starts at revision %(start)s.",
                revision=revision,
                start=start,
            )
        )


def answers_at(session: Session, assessment: Assessment, revision: int) -> dict[str, Answer]:
    """The answers of ``assessment`` as they stood at ``revision`` (question id
    -> answer).  Raises :class:`RevisionUnavailable`."""
    check_revision(session, assessment, revision)
    latest: dict[str, AnswerRevision] = {}
    rows = session.scalars(
        select(AnswerRevision)
        .where(AnswerRevision.assessment_id == assessment.id, AnswerRevision.revision <= revision)
        .order_by(AnswerRevision.revision, AnswerRevision.id)
    )
    for row in rows:
        latest[row.question_id] = row
    return {
        qid: Answer(
            question_id=qid,
            value=row.value,
            note=row.note,
            source=row.source,
            confidence=Confidence(row.confidence) if row.confidence else None,
            confidential=row.confidential,
        )
        for qid, row in latest.items()
        if not row.cleared
    }


def bank_version_at(session: Session, assessment: Assessment, revision: int) -> str:
    """The question-bank version ``assessment`` was pinned to at ``revision``."""
    upgrades = list(
        session.scalars(
            select(BankUpgrade)
            .where(BankUpgrade.assessment_id == assessment.id)
            .order_by(BankUpgrade.revision, BankUpgrade.id)
        )
    )
    version = upgrades[0].from_version if upgrades else assessment.bank_version
    for upgrade in upgrades:
        if upgrade.revision <= revision:
            version = upgrade.to_version
    return version


def document_at(session: Session, assessment: Assessment, revision: int) -> AssessmentDocument:
    """The assessment as an exchange document of ``revision``: its answers and
    bank version then (title, organisation and status as now).  Raises
    :class:`RevisionUnavailable`."""
    answers = answers_at(session, assessment, revision)
    return dataclasses.replace(
        to_document(assessment),
        revision=revision,
        bank_version=bank_version_at(session, assessment, revision),
        answers=tuple(sorted(answers.values(), key=lambda a: a.question_id)),
    )


def last_issued_revision(
    session: Session, assessment: Assessment, before: int | None = None
) -> int | None:
    """The revision of the last report issued for ``assessment`` (before
    revision ``before``, if given), or ``None`` if there is none.

    This is the one place that decides what "issued" means: the revision
    the review workflow last brought to its "issued" state, as kept in
    ``issued_revisions`` (the revision of its :data:`ISSUED_ACTION` event).
    """
    query = select(func.max(IssuedRevision.revision)).where(
        IssuedRevision.assessment_id == assessment.id
    )
    if before is not None:
        query = query.where(IssuedRevision.revision < before)
    revision = session.scalar(query)
    return int(revision) if revision is not None else None


@dataclass(frozen=True, slots=True)
class RevisionChoice:
    """A revision offered by the comparison page's selectors."""

    revision: int
    label: str


def revision_choices(session: Session, assessment: Assessment) -> list[RevisionChoice]:
    """The revisions whose answers can be read back, newest first, each
    labelled with when, by whom and what made it, and the reports issued for it."""
    start = history_start(session, assessment)
    events = session.scalars(
        select(AssessmentEvent)
        .where(AssessmentEvent.assessment_id == assessment.id, AssessmentEvent.revision >= start)
        .options(selectinload(AssessmentEvent.user))
        .order_by(AssessmentEvent.id)
    )
    made: dict[int, AssessmentEvent] = {}
    for event in events:
        made.setdefault(event.revision, event)  # the event that made the revision comes first
    issued: dict[int, list[str]] = {}
    for report in session.scalars(
        select(ReportRevision)
        .where(ReportRevision.assessment_id == assessment.id)
        .order_by(ReportRevision.created_at)
    ):
        editions = issued.setdefault(report.revision, [])
        if report.edition not in editions:
            editions.append(report.edition)
    last_issued = last_issued_revision(session, assessment)
    choices = []
    for revision in range(assessment.revision, start - 1, -1):
        parts = [_("Revision %(revision)s", revision=revision)]
        maker = made.get(revision)
        if maker is not None:
            who = maker.user.name if maker.user else _("someone no longer a member")
            at = f"{as_utc(maker.at):%Y-%m-%d %H:%M}"
            parts.append(
                _("%(at)s UTC, %(action)s by %(who)s", at=at, action=maker.action, who=who)
            )
        if revision == last_issued:
            parts.append(_("last issued"))
        if revision in issued:
            downloaded = ", ".join(issued[revision])
            parts.append(_("report downloaded (%(editions)s)", editions=downloaded))
        choices.append(RevisionChoice(revision, "; ".join(parts)))
    return choices


def compare_revisions(
    session: Session, banks: BankSet, assessment: Assessment, old: int, new: int
) -> dict[str, Any]:
    """The comparison of revisions ``old`` and ``new`` of ``assessment`` (see
    :func:`~assessment.report.changes.build_changes`), each changed answer
    with who saved it last between the two and when.  Raises
    :class:`RevisionUnavailable`, also when the bank version a side was
    answered against is not installed here."""
    before, after = document_at(session, assessment, old), document_at(session, assessment, new)
    try:
        sides = (
            Side(banks.get(before.bank_id, before.bank_version), before),
            Side(banks.get(after.bank_id, after.bank_version), after),
        )
    except UnknownBankVersion as error:
        raise RevisionUnavailable(
            _("These revisions cannot be compared here: %(error)s.", error=error)
        ) from None
    comparison = build_changes(*sides)
    low, high = min(old, new), max(old, new)
    last_saves: dict[str, AnswerRevision] = {}
    for row in session.scalars(
        select(AnswerRevision)
        .where(
            AnswerRevision.assessment_id == assessment.id,
            AnswerRevision.revision > low,
            AnswerRevision.revision <= high,
        )
        .options(selectinload(AnswerRevision.saved_by))
        .order_by(AnswerRevision.revision, AnswerRevision.id)
    ):
        last_saves[row.question_id] = row
    for answer in comparison["answers"]:
        last = last_saves.get(answer["id"])
        answer["saved"] = (
            {
                "by": last.saved_by.name if last.saved_by else _("someone no longer a member"),
                "at": f"{as_utc(last.saved_at):%Y-%m-%d %H:%M} UTC",
                "revision": last.revision,
            }
            if last is not None
            else None
        )
    return comparison


def changes_for_report(
    session: Session, banks: BankSet, assessment: Assessment, edition: str
) -> dict[str, Any]:
    """The report's "Changes since the last issued report" for the current
    revision of ``assessment``: ``{"base": None}`` when no report was issued
    before it; ``{"base": r, "unavailable": reason}`` when that revision cannot
    be read back; otherwise ``{"base": r, **comparison}``.  The public edition
    compares public editions, so no confidential note or source shows."""
    base = last_issued_revision(session, assessment, before=assessment.revision)
    if base is None:
        return {"base": None}
    try:
        before = document_at(session, assessment, base)
        old_bank = banks.get(before.bank_id, before.bank_version)
        new_bank = banks.get(assessment.bank_id, assessment.bank_version)
    except (RevisionUnavailable, UnknownBankVersion) as error:
        return {"base": base, "unavailable": str(error)}
    after = to_document(assessment)
    if edition == "public":
        before, after = public_edition(before), public_edition(after)
    comparison = build_changes(Side(old_bank, before), Side(new_bank, after))
    for answer in comparison["answers"]:
        answer["saved"] = None
    return {"base": base, **comparison}
