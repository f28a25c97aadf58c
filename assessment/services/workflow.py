"""The review workflow: draft -> in review -> approved -> issued, and back.

=================  ==========  =================  ==============================
action             from        to                 who (role table permission)
=================  ==========  =================  ==============================
submit             draft       in review          ``answer`` (editors, owners)
request changes    in review   draft              ``review`` (reviewers, owners)
approve            in review   approved           ``review``, and not someone who
                                                  saved an answer in this round
issue              approved    issued             ``issue`` (owners)
reassess           issued      draft (new round)  ``answer``
=================  ==========  =================  ==============================

Anything else is an :class:`IllegalTransition`.  Only a draft's answers can
change; an issued assessment changes only by a reassessment, which starts a
new round of answering from the issued answers (they stay on the assessment,
and the issued document is kept in :class:`~assessment.models.IssuedRevision`).

Every transition first takes the assessment for writing
(:func:`~assessment.services.assessments.take_for_writing`: a row lock on
PostgreSQL, the write lock on SQLite) and only then checks the status, so
the check and the change are one step: of two transitions at the same
moment (two approvals, an approval and a request for changes), exactly one
happens and the other finds the new status and is refused.  Each raises the
assessment's revision by one (the report shows the status and sign-off, and
a revision names one content) and records an event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from flask_babel import gettext, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.engine.bank import Bank
from assessment.engine.document import STATEMENT_MAX, STATUS_LABELS, SignOff, to_data
from assessment.models import (
    AnswerRecord,
    Assessment,
    AssessmentEvent,
    Decision,
    IssuedRevision,
    Review,
    Status,
    User,
    utcnow,
)
from assessment.services.assessments import (
    sign_off_of,
    take_for_writing,
    to_document,
    visibility_of,
)
from assessment.services.summaries import carry_summary


class Action(StrEnum):
    SUBMIT = "submit"
    REQUEST_CHANGES = "request_changes"
    APPROVE = "approve"
    ISSUE = "issue"
    REASSESS = "reassess"


#: Each action: the status it starts from and the status it leads to.
TRANSITIONS: Final[Mapping[Action, tuple[Status, Status]]] = MappingProxyType(
    {
        Action.SUBMIT: (Status.DRAFT, Status.IN_REVIEW),
        Action.REQUEST_CHANGES: (Status.IN_REVIEW, Status.DRAFT),
        Action.APPROVE: (Status.IN_REVIEW, Status.APPROVED),
        Action.ISSUE: (Status.APPROVED, Status.ISSUED),
        Action.REASSESS: (Status.ISSUED, Status.DRAFT),
    }
)
#: The event each action records in the assessment's history.
EVENTS: Final[Mapping[Action, str]] = MappingProxyType(
    {
        Action.SUBMIT: "submitted for review",
        Action.REQUEST_CHANGES: "changes requested",
        Action.APPROVE: "approved",
        Action.ISSUE: "issued",
        Action.REASSESS: "reassessment opened",
    }
)
_VERBS: Final[Mapping[Action, LazyString]] = MappingProxyType(
    {
        Action.SUBMIT: _l("submitted for review"),
        Action.REQUEST_CHANGES: _l("sent back with requested changes"),
        Action.APPROVE: _l("approved"),
        Action.ISSUE: _l("issued"),
        Action.REASSESS: _l("reopened for a reassessment"),
    }
)
_STATE_NOTES: Final[Mapping[str, LazyString]] = MappingProxyType(
    {
        Status.DRAFT: _l("It is a draft: an editor submits it for review when it is complete."),
        Status.IN_REVIEW: _l("It is in review: a reviewer approves it or requests changes."),
        Status.APPROVED: _l("It is approved: an owner issues it."),
        Status.ISSUED: _l(
            "It has been issued and cannot change; a reassessment opens a new round of answering."
        ),
    }
)
#: Events of changes to answers: whoever caused one in the current round has
#: edited the assessment and may not approve it.
ANSWER_EVENTS: Final = ("created", "imported", "answers saved", "upgraded")
#: How far ahead a reassessment date may be set.
LONGEST_INTERVAL = dt.timedelta(days=10 * 366)
DEFAULT_STATEMENT = _l(
    "I have reviewed this assessment and approve it: the answers, sources and findings "
    "are, to the best of my knowledge, accurate and complete."
)


class IllegalTransition(RuntimeError):
    """``action`` is not allowed from the assessment's status (shown as 409)."""

    def __init__(self, action: Action, status: str) -> None:
        self.action = action
        self.status = status
        super().__init__(refusal(action, status))


class SelfApproval(RuntimeError):
    """A reviewer asked to approve an assessment they saved answers of in the
    current round (shown as 409)."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "You saved answers of this assessment in the current round, so you cannot"
                " approve it: another reviewer must. You can still request changes."
            )
        )


class AssessmentIncomplete(RuntimeError):
    """Submission was asked for while required questions are unanswered."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            ngettext(
                "%(num)d required question still needs an answer before the assessment can be"
                " submitted for review.",
                "%(num)d required questions still need an answer before the assessment can be"
                " submitted for review.",
                len(missing),
            )
        )


def status_label(status: str) -> str:
    """``status`` in words ("In review")."""
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def allowed(action: Action, status: str) -> bool:
    """Whether ``action`` can be taken from ``status`` (roles aside)."""
    return TRANSITIONS[action][0] == status


def refusal(action: Action, status: str) -> str:
    """Why ``action`` cannot be taken from ``status``, in words."""
    note = _STATE_NOTES.get(status)
    if TRANSITIONS[action][1] == status:
        already = _("This assessment has already been %(done)s.", done=_VERBS[action])
        return f"{already} {note or ''}"
    start = gettext(status_label(TRANSITIONS[action][0])).lower()
    refused = _(
        "This assessment cannot be %(done)s: only an assessment that is %(start)s can.",
        done=_VERBS[action],
        start=start,
    )
    if note is None:
        status_note = _("Its status is %(status)s.", status=gettext(status_label(status)))
        return f"{refused} {status_note}"
    return f"{refused} {note}"


def _transition(session: Session, assessment: Assessment, action: Action) -> Status:
    """Take ``assessment`` for writing and check that ``action`` is allowed
    from what is stored now; returns the status it leads to."""
    take_for_writing(session, assessment)
    if not allowed(action, assessment.status):
        raise IllegalTransition(action, assessment.status)
    return TRANSITIONS[action][1]


def _advance(
    session: Session, assessment: Assessment, user: User, action: Action, to: Status
) -> None:
    assessment.status = to
    assessment.revision += 1
    carry_summary(session, assessment, assessment.revision - 1)  # the answers stay as they are
    assessment.updated_at = utcnow()
    session.add(
        AssessmentEvent(
            assessment=assessment,
            user_id=user.id,
            action=EVENTS[action],
            revision=assessment.revision,
        )
    )


def submit_for_review(session: Session, bank: Bank, assessment: Assessment, user: User) -> None:
    """Send the draft ``assessment`` to review; its answers become read-only.

    Raises :class:`IllegalTransition` unless it is a draft (of two
    submissions at the same moment, exactly one succeeds) and
    :class:`AssessmentIncomplete` while required questions are unanswered.
    Answers saved at the same moment are either part of the submitted
    revision or refused.
    """
    to = _transition(session, assessment, Action.SUBMIT)
    missing = visibility_of(assessment, bank).missing_required()
    if missing:
        raise AssessmentIncomplete([q.id for q in missing])
    _advance(session, assessment, user, Action.SUBMIT, to)
    assessment.submitted_at = assessment.updated_at
    session.flush()


def request_changes(session: Session, assessment: Assessment, user: User, text: str) -> Review:
    """Send ``assessment`` back from review to draft with ``text``, the
    changes the reviewer asks for (shown to the editors until the next
    submission).  Raises ``ValueError`` for an empty or too long text and
    :class:`IllegalTransition` unless the assessment is in review."""
    text = text.strip()
    if not text:
        raise ValueError(_("Say what should change."))
    if len(text) > STATEMENT_MAX:
        raise ValueError(
            _("Keep the requested changes under %(max)s characters.", max=STATEMENT_MAX)
        )
    to = _transition(session, assessment, Action.REQUEST_CHANGES)
    _advance(session, assessment, user, Action.REQUEST_CHANGES, to)
    review = Review(
        revision=assessment.revision,
        decision=Decision.CHANGES_REQUESTED,
        user_id=user.id,
        reviewer_name=user.name,
        text=text,
        at=assessment.updated_at,
    )
    assessment.reviews.append(review)
    session.flush()
    return review


def edited_in_round(session: Session, assessment: Assessment, user: User) -> bool:
    """Whether ``user`` saved any answer of ``assessment`` in the current round
    (since it was started or last reopened): an answer still stored as theirs,
    or an event of theirs that changed answers (created, imported, saved,
    upgraded), so an answer someone else changed later still counts."""
    since = assessment.round_start_revision
    event = session.scalar(
        select(AssessmentEvent.id)
        .where(
            AssessmentEvent.assessment_id == assessment.id,
            AssessmentEvent.user_id == user.id,
            AssessmentEvent.action.in_(ANSWER_EVENTS),
            AssessmentEvent.revision > since,
        )
        .limit(1)
    )
    if event is not None:
        return True
    answer = session.scalar(
        select(AnswerRecord.id)
        .where(
            AnswerRecord.assessment_id == assessment.id,
            AnswerRecord.updated_by_id == user.id,
            AnswerRecord.revision > since,
        )
        .limit(1)
    )
    return answer is not None


def approve(
    session: Session, assessment: Assessment, user: User, position: str, statement: str
) -> Review:
    """Approve ``assessment`` with a sign-off: ``user``'s name, ``position``,
    today's date and ``statement``, printed on the report's cover.

    Raises ``ValueError`` for an empty position or statement (or one too long),
    :class:`IllegalTransition` unless it is in review (of two decisions at the
    same moment, exactly one is taken) and :class:`SelfApproval` if ``user``
    saved answers of it in the current round.
    """
    position, statement = position.strip(), statement.strip()
    if not position:
        raise ValueError(_("Give your position: it is printed with your sign-off."))
    if len(position) > 200:
        raise ValueError(_("Keep the position under 200 characters."))
    if not statement:
        raise ValueError(_("Give the statement you sign."))
    if len(statement) > STATEMENT_MAX:
        raise ValueError(_("Keep the statement under %(max)s characters.", max=STATEMENT_MAX))
    to = _transition(session, assessment, Action.APPROVE)
    if edited_in_round(session, assessment, user):
        raise SelfApproval()
    _advance(session, assessment, user, Action.APPROVE, to)
    review = Review(
        revision=assessment.revision,
        decision=Decision.APPROVED,
        user_id=user.id,
        reviewer_name=user.name,
        position=position,
        text=statement,
        at=assessment.updated_at,
    )
    assessment.reviews.append(review)
    session.flush()
    return review


def one_year_after(day: dt.date) -> dt.date:
    """The same day a year later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def check_reassessment_date(reassess_by: dt.date, today: dt.date) -> None:
    """Raises ``ValueError`` unless ``reassess_by`` is after ``today`` and
    within ten years."""
    if reassess_by <= today:
        raise ValueError(_("The reassessment date must be after today."))
    if reassess_by > today + LONGEST_INTERVAL:
        raise ValueError(_("The reassessment date must be within ten years."))


def issue(
    session: Session, assessment: Assessment, user: User, reassess_by: dt.date, today: dt.date
) -> IssuedRevision:
    """Issue the approved ``assessment``: from now on it cannot change (only a
    reassessment reopens it), it is due to be assessed again by
    ``reassess_by``, and its document, with the sign-off, is kept as issued.

    Raises ``ValueError`` for a reassessment date not after ``today`` or more
    than ten years ahead, and :class:`IllegalTransition` unless it is approved.
    """
    check_reassessment_date(reassess_by, today)
    to = _transition(session, assessment, Action.ISSUE)
    _advance(session, assessment, user, Action.ISSUE, to)
    assessment.issued_at = assessment.updated_at
    assessment.reassess_by = reassess_by
    issued = IssuedRevision(
        assessment_id=assessment.id,
        revision=assessment.revision,
        issued_at=assessment.updated_at,
        issued_by_id=user.id,
        reassess_by=reassess_by,
        document=to_data(to_document(assessment)),
    )
    session.add(issued)
    session.flush()
    return issued


def reassess(session: Session, assessment: Assessment, user: User) -> None:
    """Open a reassessment of the issued ``assessment``: a draft again, in a
    new round that starts from the issued answers.  The issued revision stays
    in :func:`issued_revisions`.  Raises :class:`IllegalTransition` unless it
    is issued."""
    to = _transition(session, assessment, Action.REASSESS)
    _advance(session, assessment, user, Action.REASSESS, to)
    assessment.round_start_revision = assessment.revision
    assessment.submitted_at = None
    session.flush()


def pending_changes(assessment: Assessment) -> Review | None:
    """The changes a reviewer requested that the editors have yet to make:
    the latest decision, if it was a request for changes and the assessment
    is still the draft it sent back."""
    if assessment.status != Status.DRAFT or not assessment.reviews:
        return None
    latest = assessment.reviews[-1]
    if latest.decision != Decision.CHANGES_REQUESTED:
        return None
    if latest.revision <= assessment.round_start_revision:
        return None  # from an earlier round
    return latest


def issued_revisions(session: Session, assessment: Assessment) -> list[IssuedRevision]:
    """Every issued revision of ``assessment``, the first first."""
    return list(
        session.scalars(
            select(IssuedRevision)
            .where(IssuedRevision.assessment_id == assessment.id)
            .order_by(IssuedRevision.revision)
        )
    )


def locked_message(status: str) -> str:
    """Why the answers of an assessment in ``status`` cannot be saved."""
    if status == Status.ISSUED:
        return (
            "This assessment has been issued and can no longer be changed; "
            "open a reassessment to change its answers."
        )
    if status == Status.APPROVED:
        return (
            "This assessment has been submitted and can no longer be changed: it is approved, "
            "and an owner can issue it."
        )
    return (
        "This assessment has been submitted and can no longer be changed: it is in review, "
        "until a reviewer approves it or sends it back with requested changes."
    )


@dataclass(frozen=True, slots=True)
class WorkflowState:
    """What the review page shows of the workflow."""

    pending: Review | None  # changes requested, still to be made
    sign_off: SignOff | None
    issued: list[IssuedRevision]


def workflow_state(session: Session, assessment: Assessment) -> WorkflowState:
    return WorkflowState(
        pending=pending_changes(assessment),
        sign_off=sign_off_of(assessment),
        issued=issued_revisions(session, assessment),
    )
