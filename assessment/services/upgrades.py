"""Moving a draft assessment to the current version of the question bank.

Answers to questions that did not change carry over with their note, source,
confidence and confidentiality; answers to changed or removed questions do
not, and are kept in the upgrade's record (:class:`~assessment.models.BankUpgrade`)
so that the assessor sees their old value while answering again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.engine.bank import Bank
from assessment.engine.banks import BankSet
from assessment.engine.display import OTHERS_NOT_KNOWN_TEXT
from assessment.engine.versions import UpgradePlan, plan_upgrade
from assessment.models import Assessment, AssessmentEvent, BankUpgrade, User, utcnow
from assessment.report.i18n import report_language
from assessment.services.assessments import (
    AssessmentLocked,
    answers_of,
    bank_of,
    keep_history,
    take_for_writing,
)
from assessment.services.summaries import refresh_summary


class AlreadyCurrent(RuntimeError):
    """The assessment already uses the current version of the question bank."""


class UpgradeNotFound(LookupError):
    """No such upgrade record for this assessment."""


def needs_upgrade(assessment: Assessment, banks: BankSet) -> bool:
    """Whether ``assessment`` is pinned to another version than the current one."""
    return not banks.is_current(assessment.bank_id, assessment.bank_version)


def preview_upgrade(assessment: Assessment, banks: BankSet) -> UpgradePlan:
    """What :func:`upgrade_to_current` would do, changing nothing.

    Raises :class:`AlreadyCurrent`, and
    :class:`~assessment.engine.banks.UnknownBankVersion` if the pinned
    version is not installed (its questions cannot be compared).
    """
    if not needs_upgrade(assessment, banks):
        raise AlreadyCurrent(assessment.uuid)
    old: Bank = bank_of(assessment, banks)
    others = report_language(assessment.language).gettext(OTHERS_NOT_KNOWN_TEXT)
    return plan_upgrade(old, banks.current, answers_of(assessment), assessment.language, others)


def upgrade_to_current(
    session: Session, assessment: Assessment, banks: BankSet, user: User
) -> BankUpgrade:
    """Pin the draft ``assessment`` to the current bank version.

    Carries over the answers to unchanged questions, drops the others (their
    old values go into the returned record with every new, changed and removed
    question), advances the revision and records an "upgraded" event.
    Raises :class:`~assessment.services.assessments.AssessmentLocked` for a
    submitted assessment, :class:`AlreadyCurrent`, and
    :class:`~assessment.engine.banks.UnknownBankVersion`.
    """
    take_for_writing(session, assessment)  # a submission at the same moment comes first
    if assessment.is_submitted:
        raise AssessmentLocked(assessment.uuid, assessment.status)
    plan = preview_upgrade(assessment, banks)
    kept = {answer.question_id for answer in plan.carried}
    for record in list(assessment.answers):
        if record.question_id not in kept:
            assessment.answers.remove(record)
            keep_history(
                session,
                assessment,
                None,
                question_id=record.question_id,
                revision=assessment.revision + 1,
                user_id=user.id,
            )
    changes: list[dict[str, str | None]] = []
    for item in plan.to_review:
        old = plan.left.get(item.question_id)
        changes.append(
            {
                "question_id": item.question_id,
                "change": item.change.value,
                "section_id": item.section_id,
                "old_value": old.shown if old else None,
                "old_note": old.answer.note if old else None,
            }
        )
    from_version = assessment.bank_version
    assessment.bank_id = banks.current.id
    assessment.bank_version = banks.current.version
    assessment.revision += 1
    assessment.updated_at = utcnow()
    upgrade = BankUpgrade(
        assessment=assessment,
        user_id=user.id,
        from_version=from_version,
        to_version=banks.current.version,
        revision=assessment.revision,
        carried=len(plan.carried),
        changes=changes,
    )
    session.add(upgrade)
    session.add(
        AssessmentEvent(
            assessment=assessment,
            user_id=user.id,
            action="upgraded",
            detail=f"from {from_version} to {banks.current.version}: "
            f"{len(plan.carried)} answers carried over, {len(plan.left)} to answer again",
            revision=assessment.revision,
        )
    )
    session.flush()
    refresh_summary(session, assessment, banks)
    return upgrade


def get_upgrade(session: Session, assessment: Assessment, upgrade_id: int) -> BankUpgrade:
    """The upgrade record ``upgrade_id`` of ``assessment``.  Raises
    :class:`UpgradeNotFound`."""
    upgrade = session.scalar(
        select(BankUpgrade).where(
            BankUpgrade.id == upgrade_id, BankUpgrade.assessment_id == assessment.id
        )
    )
    if upgrade is None:
        raise UpgradeNotFound(upgrade_id)
    return upgrade
