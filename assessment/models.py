"""Database models (SQLAlchemy 2.x typed declarative).

Every assessment belongs to one organisation and is pinned to the question
bank id and version it was answered against.  ``revision`` counts saved
changes; each answer remembers the revision that last changed it, which is
how a conflicting edit is detected instead of silently overwritten.

An assessment moves through the review workflow (:class:`Status`, see
:mod:`assessment.services.workflow`): draft -> in review -> approved ->
issued, and back from review to draft when a reviewer requests changes.  A
reassessment turns an issued assessment into a draft again; what was issued
stays in :class:`IssuedRevision`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Status(StrEnum):
    """Where an assessment is in the review workflow (``assessments.status``)."""

    DRAFT = "draft"  # editors answer
    IN_REVIEW = "in_review"  # submitted for review: answers are read-only
    APPROVED = "approved"  # a reviewer signed it off; an owner may issue it
    ISSUED = "issued"  # final and immutable; only a reassessment reopens it


STATUS_DRAFT = Status.DRAFT.value


class Decision(StrEnum):
    """A reviewer's decision on an assessment in review (``reviews.decision``)."""

    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class Role(StrEnum):
    """An organisation member's role (``users.role``); what each may do is the
    role table in :mod:`assessment.access`."""

    OWNER = "owner"  # manages members and share links; may do everything
    EDITOR = "editor"  # answers
    REVIEWER = "reviewer"  # reads, comments, approves or requests changes
    VIEWER = "viewer"  # reads


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware UTC datetime (SQLite hands back naive ones)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.VIEWER.value)
    # the interface language (assessment/i18n.py), chosen with the language switcher
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="users")


class Assessment(Base):
    __tablename__ = "assessments"
    # The dashboard's default order (latest change first) read from the index, a page at
    # a time, however many assessments the organisation has (migration 0015).
    __table_args__ = (
        Index("ix_assessments_organisation_updated", "organisation_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    programme: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=STATUS_DRAFT)
    bank_id: Mapped[str] = mapped_column(String(80))
    bank_version: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2), default="en")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Set at issue: when the programme is to be assessed again.
    reassess_by: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # The revision at which the current round of answering began: 0 for the
    # first, the reopening's revision for a reassessment.  An answer with a
    # higher revision was saved in this round.
    round_start_revision: Mapped[int] = mapped_column(Integer, default=0)

    organisation: Mapped[Organisation] = relationship()
    answers: Mapped[list[AnswerRecord]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", passive_deletes=True
    )
    events: Mapped[list[AssessmentEvent]] = relationship(
        back_populates="assessment",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="AssessmentEvent.id",
    )
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="assessment",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Evidence.question_id, Evidence.name, Evidence.sha256)",
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="assessment",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Review.id",
    )

    @property
    def is_submitted(self) -> bool:
        """Whether it has left the draft state (in review, approved or issued):
        the answers are read-only."""
        return self.status != Status.DRAFT

    @property
    def is_issued(self) -> bool:
        return self.status == Status.ISSUED


class AssessmentSummary(Base):
    """What the dashboard shows of an assessment's result, kept so that a
    list of any length is read without scoring: progress, impact level and
    its range, recommendation and the kinds of surveillance, as the engine
    worked them out (:func:`assessment.engine.summary.summarise`) at
    ``revision`` against ``bank_id``/``bank_version`` with scoring method
    ``method_version``.  A summary whose revision, bank or method differs
    from the assessment's is stale and is worked out again (see
    :mod:`assessment.services.summaries`).  ``programme_types`` holds the
    kinds as ``,camera,location,`` so that a kind is found with LIKE."""

    __tablename__ = "assessment_summaries"

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    bank_id: Mapped[str] = mapped_column(String(80))
    bank_version: Mapped[str] = mapped_column(String(40))
    method_version: Mapped[str] = mapped_column(String(20))
    answered: Mapped[int] = mapped_column(Integer)
    applicable: Mapped[int] = mapped_column(Integer)
    percent: Mapped[int] = mapped_column(Integer)
    impact_level: Mapped[int] = mapped_column(Integer, index=True)
    level_low: Mapped[int] = mapped_column(Integer)
    level_high: Mapped[int] = mapped_column(Integer)
    recommendation: Mapped[str] = mapped_column(String(40))
    programme_types: Mapped[str] = mapped_column(String(500), default=",")
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AnswerRecord(Base):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("assessment_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(80))
    value: Mapped[Any] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str | None] = mapped_column(String(20), nullable=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    assessment: Mapped[Assessment] = relationship(back_populates="answers")


class Evidence(Base):
    """An evidence file attached to an answer.  The file itself is stored
    outside the database and the web root, under the instance folder, named by
    its SHA-256 (see :mod:`assessment.services.evidence`); one file is attached
    to one question at most once."""

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("assessment_id", "question_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))  # sanitised for display
    kind: Mapped[str] = mapped_column(String(10))  # found from the content: "pdf", "png", ...
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="evidence")
    uploaded_by: Mapped[User | None] = relationship()


class AssessmentEvent(Base):
    """The change history: what happened, when, by whom.  Never answer text."""

    __tablename__ = "assessment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(200), default="")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # What the event concerns, for the audit log to name it (ids, never text):
    section_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    question_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    answer_count: Mapped[int | None] = mapped_column(Integer, nullable=True)

    assessment: Mapped[Assessment] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()


class Review(Base):
    """A reviewer's decision on an assessment in review: an approval, with
    the sign-off the report prints (the reviewer's name and position as they
    were then, the date and a statement), or a request for changes, whose
    text the editors see.  ``revision`` is the assessment's revision the
    decision made."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    reviewer_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")  # statement, or the changes requested
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="reviews")


class IssuedRevision(Base):
    """An issued revision of an assessment, kept as issued: its exchange
    document (answers and sign-off, as ``to_data`` writes it), who issued it
    and when, and the reassessment date set then.  A reassessment changes
    the assessment's answers, never this record."""

    __tablename__ = "issued_revisions"
    __table_args__ = (UniqueConstraint("assessment_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    reassess_by: Mapped[dt.date] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)

    assessment: Mapped[Assessment] = relationship()


class ReportRevision(Base):
    """The SHA-256 of the data embedded in a report issued for an assessment
    revision: what verification compares an uploaded report against.  The
    data themselves are not kept here."""

    __tablename__ = "report_revisions"
    __table_args__ = (UniqueConstraint("sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    edition: Mapped[str] = mapped_column(String(10), default="full")
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    assessment: Mapped[Assessment] = relationship()


class ReportIssue(Base):
    """One report file handed out: the SHA-256 of the whole signed file, what
    it is a report of, when it was first handed out and whose certificate
    signed it.  What verification needs to say "this exact file was issued
    here"; the file itself is not kept here.  ``assessment_id`` is empty for
    a report rendered from a file on the command line that names no
    assessment held here (``assessment_uuid`` still says which one)."""

    __tablename__ = "report_issues"
    __table_args__ = (UniqueConstraint("file_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True, nullable=True
    )
    assessment_uuid: Mapped[str] = mapped_column(String(36))
    revision: Mapped[int] = mapped_column(Integer)
    edition: Mapped[str] = mapped_column(String(10))
    file_sha256: Mapped[str] = mapped_column(String(64))
    data_sha256: Mapped[str] = mapped_column(String(64), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    issued_via: Mapped[str] = mapped_column(String(20))  # download, share link, command line
    signer: Mapped[str] = mapped_column(String(300))  # the certificate's subject
    certificate_sha256: Mapped[str] = mapped_column(String(64), index=True)

    assessment: Mapped[Assessment | None] = relationship()


class ShareLink(Base):
    """A read-only link for an auditor.  Only the SHA-256 of the token is
    stored; the token itself is shown once, to the member who creates it."""

    __tablename__ = "share_links"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64))
    edition: Mapped[str] = mapped_column(String(10), default="full")
    label: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    assessment: Mapped[Assessment] = relationship()
    uses: Mapped[list[ShareUse]] = relationship(
        back_populates="link",
        cascade="all, delete-orphan",
        order_by="(ShareUse.day.desc(), ShareUse.first_at)",
    )


class ShareUse(Base):
    """The uses of a share link of one kind on one day (UTC): how many, the
    first and the last.  One row per link, day and kind, whatever the number
    of uses, so the record stays bounded; :func:`assessment.services.shares.record_use`
    counts into it atomically."""

    __tablename__ = "share_use_days"
    __table_args__ = (UniqueConstraint("link_id", "day", "what"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("share_links.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    what: Mapped[str] = mapped_column(String(20))  # "summary" or "pdf (<edition>)"
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    link: Mapped[ShareLink] = relationship(back_populates="uses")


class BankUpgrade(Base):
    """An assessment moved to a newer question-bank version.  ``changes``
    lists the questions the assessor must look at again, each a mapping with
    ``question_id``, ``change`` ("new", "changed" or "removed"), ``section_id``
    and, for an answer that was not carried over, ``old_value`` (in words) and
    ``old_note``: it is kept here so that the assessor can re-enter it."""

    __tablename__ = "bank_upgrades"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    from_version: Mapped[str] = mapped_column(String(40))
    to_version: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int] = mapped_column(Integer)
    carried: Mapped[int] = mapped_column(Integer, default=0)  # answers carried over
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    assessment: Mapped[Assessment] = relationship()


class UserSession(Base):
    """A signed-in browser.  The cookie carries a random id; only its SHA-256
    is stored, so the table cannot be used to sign in.  Ending a session
    deletes its row, which refuses the cookie on the next request."""

    __tablename__ = "user_sessions"
    __table_args__ = (UniqueConstraint("id_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()


class Invitation(Base):
    """An invitation to join an organisation with a role, by a one-time link.
    Only the SHA-256 of the link's token is stored; the link expires and is
    used once (``accepted_at``)."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    organisation: Mapped[Organisation] = relationship()


class PasswordReset(Base):
    """A one-time link, issued by an owner, with which a member sets a new
    password.  Only the SHA-256 of the token is stored; it expires and is
    used once (``used_at``)."""

    __tablename__ = "password_resets"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AnswerRevision(Base):
    """One saved value of one answer: every save of an answer adds a row, in
    the same transaction as the save, so the answers of any revision can be
    read back (the latest row per question at or before it; ``cleared``: the
    answer was removed).  ``backfilled`` rows were made by migration 0011 from
    the answers as they stood then, at the assessment's revision of then:
    earlier revisions cannot be read back."""

    __tablename__ = "answer_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(80))
    revision: Mapped[int] = mapped_column(Integer)
    cleared: Mapped[bool] = mapped_column(Boolean, default=False)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str | None] = mapped_column(String(20), nullable=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    saved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    backfilled: Mapped[bool] = mapped_column(Boolean, default=False)

    saved_by: Mapped[User | None] = relationship()


class Comment(Base):
    """A member's comment on one question of an assessment, or a reply
    (``parent_id``) to another comment.  A thread is resolved (and reopened)
    at its first comment.  Comments are not part of the assessment's content:
    they change no revision and never appear in the public edition."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(80))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), nullable=True, index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
