"""Assessments: create, read within an organisation, save answers page by
page, and convert to and from the exchange document.  The review workflow
(submit, approve, issue, reassess) is in :mod:`assessment.services.workflow`.

Every function here that changes an existing assessment first takes it for
writing (:func:`take_for_writing`) and then decides on what is stored, so the
check and the write are one atomic step: of two requests changing the same
assessment at once, the second waits for the first to commit and then sees
its result (a conflict, or an assessment no longer a draft) instead of
overwriting it.
"""

from __future__ import annotations

import re
import uuid as uuid_module
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from assessment.engine.answers import Answer, check_value
from assessment.engine.bank import Bank, Confidence, Question
from assessment.engine.banks import BankSet
from assessment.engine.document import AssessmentDocument, EvidenceRef, SignOff, evidence_order
from assessment.engine.progress import Visibility, resolve
from assessment.models import (
    AnswerRecord,
    AnswerRevision,
    Assessment,
    AssessmentEvent,
    Decision,
    Organisation,
    Review,
    Status,
    User,
    as_utc,
    utcnow,
)


class AssessmentNotFound(LookupError):
    """No assessment with that id in the caller's organisation (shown as 404)."""


class AssessmentLocked(RuntimeError):
    """The assessment is no longer a draft (in review, approved or issued), so
    its answers are read-only.  ``status`` is the status it was found in."""

    def __init__(self, assessment_uuid: str, status: str = "") -> None:
        self.status = status
        super().__init__(assessment_uuid)


@dataclass(frozen=True, slots=True)
class SubmittedAnswer:
    """A validated answer from a form, or ``value=None`` to clear the answer."""

    value: Any
    note: str = ""
    source: str = ""
    confidence: Confidence | None = None
    confidential: bool = False


@dataclass(slots=True)
class SaveResult:
    """What :func:`save_answers` did.  ``conflicts`` maps question ids to the
    answer someone else saved after ``base_revision``; those were not overwritten."""

    changed: list[str] = field(default_factory=list)
    conflicts: dict[str, Answer] = field(default_factory=dict)


def list_for_organisation(session: Session, organisation_id: int) -> list[Assessment]:
    """The organisation's assessments, most recently changed first."""
    return list(
        session.scalars(
            select(Assessment)
            .where(Assessment.organisation_id == organisation_id)
            .options(selectinload(Assessment.answers))
            .order_by(Assessment.updated_at.desc(), Assessment.id.desc())
        )
    )


_UUID_FORM = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _check_uuid_form(assessment_uuid: str) -> None:
    """Raises :class:`AssessmentNotFound` for an id no assessment can have:
    every stored id is a UUID in canonical form.  Anything else (a NUL byte in
    a URL, say) is refused before it reaches the database."""
    if not _UUID_FORM.fullmatch(assessment_uuid):
        raise AssessmentNotFound(assessment_uuid)


def get_for_organisation(
    session: Session, organisation_id: int, assessment_uuid: str
) -> Assessment:
    """The assessment ``assessment_uuid`` if it belongs to ``organisation_id``.

    Raises :class:`AssessmentNotFound` otherwise, whether it exists elsewhere or not.
    """
    _check_uuid_form(assessment_uuid)
    assessment = session.scalar(
        select(Assessment).where(
            Assessment.uuid == assessment_uuid, Assessment.organisation_id == organisation_id
        )
    )
    if assessment is None:
        raise AssessmentNotFound(assessment_uuid)
    return assessment


def get_by_uuid(session: Session, assessment_uuid: str) -> Assessment:
    """Any organisation's assessment, for the operator's CLI.  Raises
    :class:`AssessmentNotFound`."""
    _check_uuid_form(assessment_uuid)
    assessment = session.scalar(select(Assessment).where(Assessment.uuid == assessment_uuid))
    if assessment is None:
        raise AssessmentNotFound(assessment_uuid)
    return assessment


def bank_of(assessment: Assessment, banks: BankSet) -> Bank:
    """The bank version ``assessment`` is pinned to (it was answered against).

    Raises :class:`~assessment.engine.banks.UnknownBankVersion` if this
    installation does not have that version.
    """
    return banks.get(assessment.bank_id, assessment.bank_version)


def record_event(
    session: Session,
    assessment: Assessment,
    user: User | None,
    action: str,
    detail: str = "",
    *,
    section_id: str | None = None,
    question_id: str | None = None,
    answer_count: int | None = None,
) -> None:
    """Add an event to the assessment's change history (never answer or
    comment text: ``detail`` and the ids name what happened, not what was said)."""
    session.add(
        AssessmentEvent(
            assessment=assessment,
            user_id=user.id if user else None,
            action=action,
            detail=detail[:200],
            revision=assessment.revision,
            section_id=section_id,
            question_id=question_id,
            answer_count=answer_count,
        )
    )


_record = record_event


def keep_history(
    session: Session,
    assessment: Assessment,
    record: AnswerRecord | None,
    *,
    question_id: str,
    revision: int,
    user_id: int | None,
) -> None:
    """Add the value ``record`` now holds (``None``: the answer was cleared) to
    the answer history, as saved at ``revision`` by ``user_id``.  Every change
    to an answer calls this in the transaction that makes the change, so the
    history holds every saved value or, when the change is rolled back, none."""
    session.add(
        AnswerRevision(
            assessment_id=assessment.id,
            question_id=question_id,
            revision=revision,
            cleared=record is None,
            value=record.value if record is not None else None,
            note=record.note if record is not None else "",
            source=record.source if record is not None else "",
            confidence=record.confidence if record is not None else None,
            confidential=record.confidential if record is not None else False,
            saved_at=record.updated_at if record is not None else utcnow(),
            saved_by_id=user_id,
        )
    )


def programme_types_question(bank: Bank) -> Question:
    """The question that records which kinds of surveillance an assessment covers
    (the bank's ``programme_types`` role); raises ``LookupError`` if the bank has none."""
    question_id = bank.role("programme_types")
    if question_id is None:
        raise LookupError(f"bank {bank.id} {bank.version} names no programme_types question")
    return bank.question(question_id)


def create_assessment(
    session: Session,
    bank: Bank,
    user: User,
    title: str,
    programme: str,
    programme_types: list[str],
    language: str = "en",
) -> Assessment:
    """Start an assessment in ``user``'s organisation, pinned to ``bank``.

    The programme types become the answer to the scoping question that decides
    which modules apply.  Raises ``ValueError`` for an empty title or no type.
    """
    title, programme = title.strip(), programme.strip()
    if not title:
        raise ValueError(_("Give the assessment a title."))
    if not programme_types:
        raise ValueError(_("Choose at least one kind of surveillance."))
    assessment = Assessment(
        organisation_id=user.organisation_id,
        title=title,
        programme=programme,
        bank_id=bank.id,
        bank_version=bank.version,
        language=language if language in bank.languages else "en",
        created_by_id=user.id,
        revision=1,
    )
    session.add(assessment)
    types_question = programme_types_question(bank)
    assessment.answers.append(
        AnswerRecord(
            question_id=types_question.id,
            value=check_value(types_question, programme_types),
            revision=1,
            updated_by_id=user.id,
        )
    )
    session.flush()
    for record in assessment.answers:
        keep_history(
            session, assessment, record, question_id=record.question_id, revision=1, user_id=user.id
        )
    _record(session, assessment, user, "created")
    return assessment


def answer_of(record: AnswerRecord) -> Answer:
    """A stored answer as an engine value."""
    return Answer(
        question_id=record.question_id,
        value=record.value,
        note=record.note,
        source=record.source,
        confidence=Confidence(record.confidence) if record.confidence else None,
        confidential=record.confidential,
    )


def answers_of(assessment: Assessment) -> dict[str, Answer]:
    """The stored answers of ``assessment`` as engine values."""
    return {record.question_id: answer_of(record) for record in assessment.answers}


def visibility_of(
    assessment: Assessment, bank: Bank, answers: Mapping[str, Answer] | None = None
) -> Visibility:
    """What applies to ``assessment`` in ``bank``; ``answers`` are its
    :func:`answers_of` when the caller has them already."""
    stored = answers_of(assessment) if answers is None else answers
    return resolve(bank, {qid: a.value for qid, a in stored.items()})


def take_for_writing(session: Session, assessment: Assessment) -> None:
    """Make this transaction the only one that can change ``assessment`` until
    it ends, and make the session read the assessment, its answers and events
    again, as the last writer committed them.

    A no-op UPDATE of the assessment's row does this on both databases:
    PostgreSQL locks the row (another writer waits until this transaction
    ends, then reads what it committed); SQLite takes its database write lock
    (another writer waits, up to the busy timeout).  Call it before reading
    anything the change depends on; it discards unflushed changes.
    """
    session.execute(
        update(Assessment)
        .where(Assessment.id == assessment.id)
        .values(revision=Assessment.revision)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def _matches(record: AnswerRecord, answer: SubmittedAnswer) -> bool:
    """Whether the stored ``record`` already says exactly what ``answer`` says."""
    return (
        record.value == answer.value
        and record.note == answer.note
        and record.source == answer.source
        and record.confidence == (answer.confidence.value if answer.confidence else None)
        and record.confidential == answer.confidential
    )


def save_answers(
    session: Session,
    assessment: Assessment,
    user: User,
    submitted: Mapping[str, SubmittedAnswer],
    base_revision: int,
    section_id: str,
    *,
    taken: bool = False,
) -> SaveResult:
    """Store ``submitted`` answers (question id -> answer; value ``None`` clears).

    An answer someone else changed after ``base_revision`` to something other
    than what is submitted is left alone and reported in ``conflicts``; so is
    one that a request saving at the same moment changed first.  Raises
    :class:`AssessmentLocked` if the assessment is not a draft, also when a
    submission at the same moment came first.  ``taken``: the caller took
    the assessment for writing in this transaction already
    (:func:`take_for_writing`) and read it only after that.
    """
    if not taken:
        take_for_writing(session, assessment)
    if assessment.is_submitted:
        raise AssessmentLocked(assessment.uuid, assessment.status)
    records = {record.question_id: record for record in assessment.answers}
    result = SaveResult()
    new_revision = assessment.revision + 1
    for question_id, answer in submitted.items():
        record = records.get(question_id)
        if record is not None and record.revision > base_revision:
            if not _matches(record, answer):
                result.conflicts[question_id] = answer_of(record)
            continue
        if answer.value is None:
            if record is not None:
                assessment.answers.remove(record)
                keep_history(
                    session,
                    assessment,
                    None,
                    question_id=question_id,
                    revision=new_revision,
                    user_id=user.id,
                )
                result.changed.append(question_id)
            continue
        if record is None:
            record = AnswerRecord(question_id=question_id)
            assessment.answers.append(record)
        elif _matches(record, answer):
            continue
        record.value = answer.value
        record.note = answer.note
        record.source = answer.source
        record.confidence = answer.confidence.value if answer.confidence else None
        record.confidential = answer.confidential
        record.revision = new_revision
        record.updated_at = utcnow()
        record.updated_by_id = user.id
        keep_history(
            session,
            assessment,
            record,
            question_id=question_id,
            revision=new_revision,
            user_id=user.id,
        )
        result.changed.append(question_id)
    if result.changed:
        assessment.revision = new_revision
        assessment.updated_at = utcnow()
        _record(
            session,
            assessment,
            user,
            "answers saved",
            f"section {section_id}: {len(result.changed)} answers",
            section_id=section_id,
            answer_count=len(result.changed),
        )
    session.flush()
    return result


def sign_off_of(assessment: Assessment) -> SignOff | None:
    """The approval that an approved or issued ``assessment`` carries (the
    latest, given in this round), as the report prints it; ``None`` otherwise."""
    if assessment.status not in (Status.APPROVED, Status.ISSUED):
        return None
    approvals = [r for r in assessment.reviews if r.decision == Decision.APPROVED]
    if not approvals:
        return None
    approval: Review = approvals[-1]
    return SignOff(
        name=approval.reviewer_name,
        position=approval.position,
        date=as_utc(approval.at).date().isoformat(),
        statement=approval.text,
    )


def to_document(assessment: Assessment) -> AssessmentDocument:
    """The assessment as a database-free exchange document."""
    return AssessmentDocument(
        uuid=assessment.uuid,
        title=assessment.title,
        programme=assessment.programme,
        organisation=assessment.organisation.name,
        status=assessment.status,
        bank_id=assessment.bank_id,
        bank_version=assessment.bank_version,
        language=assessment.language,
        created_at=as_utc(assessment.created_at).isoformat(),
        updated_at=as_utc(assessment.updated_at).isoformat(),
        submitted_at=as_utc(assessment.submitted_at).isoformat()
        if assessment.submitted_at
        else None,
        revision=assessment.revision,
        answers=tuple(sorted(answers_of(assessment).values(), key=lambda a: a.question_id)),
        evidence=tuple(
            sorted(
                (
                    EvidenceRef(e.question_id, e.name, e.kind, e.size, e.sha256)
                    for e in assessment.evidence
                ),
                key=evidence_order,
            )
        ),
        sign_off=sign_off_of(assessment),
    )


def import_document(
    session: Session,
    organisation: Organisation,
    document: AssessmentDocument,
    user: User | None = None,
) -> Assessment:
    """Create a new assessment in ``organisation`` from a validated document.

    The document's UUID is kept unless an assessment already has it, in which
    case the copy gets a fresh one.  The import starts as a draft when the
    document was a draft, and in review otherwise: only a reviewer of this
    organisation approves and only its owner issues, so a sign-off in the
    document is not carried over.  Evidence files are not imported: an
    exchange document lists them by hash, it does not carry them (see
    docs/exchange-format.md).
    """
    taken = session.scalar(select(Assessment.id).where(Assessment.uuid == document.uuid))
    imported_at = utcnow()
    assessment = Assessment(
        uuid=str(uuid_module.uuid4()) if taken else document.uuid,
        organisation_id=organisation.id,
        title=document.title,
        programme=document.programme,
        status=Status.DRAFT if document.status == Status.DRAFT else Status.IN_REVIEW,
        bank_id=document.bank_id,
        bank_version=document.bank_version,
        language=document.language,
        revision=1,
        created_by_id=user.id if user else None,
        created_at=imported_at,
        updated_at=imported_at,
        submitted_at=imported_at if document.status != Status.DRAFT else None,
    )
    session.add(assessment)
    for answer in document.answers:
        assessment.answers.append(
            AnswerRecord(
                question_id=answer.question_id,
                value=answer.value,
                note=answer.note,
                source=answer.source,
                confidence=answer.confidence.value if answer.confidence else None,
                confidential=answer.confidential,
                revision=1,
                updated_by_id=user.id if user else None,
            )
        )
    session.flush()
    for record in assessment.answers:
        keep_history(
            session,
            assessment,
            record,
            question_id=record.question_id,
            revision=1,
            user_id=user.id if user else None,
        )
    _record(session, assessment, user, "imported", f"from {document.uuid}")
    return assessment
