"""Comments on the questions of an assessment: threads of replies, resolved
and reopened at their first comment.

Comment text is user input: it is checked here (:func:`check_text`), stored
as typed, escaped wherever it is shown, and never written to a log or to the
change history (events name the question, not what was said).  Comments are
not part of the assessment's content: they change no revision and are left
out of the public edition of the report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from assessment.engine.bank import Bank
from assessment.models import Assessment, Comment, User, as_utc, utcnow
from assessment.services.assessments import record_event

#: Longest comment accepted, in characters.
COMMENT_MAX = 4_000
#: The change-history actions of comments (the report's history leaves them out).
COMMENT_ACTIONS = frozenset(
    {"comment added", "reply added", "comment resolved", "comment reopened"}
)


class CommentRefused(ValueError):
    """The comment's text cannot be stored; the message says why, for the user."""


class CommentNotFound(LookupError):
    """No such comment on this assessment (shown as 404)."""


class CommentStateUnchanged(RuntimeError):
    """Resolving a resolved thread, or reopening an open one."""


def check_text(text: str) -> str:
    """``text`` stripped, if it can be stored.  Raises :class:`CommentRefused`
    for an empty text, one over :data:`COMMENT_MAX` characters, or one with a
    NUL character (which PostgreSQL cannot store and no one types)."""
    if "\x00" in text:
        raise CommentRefused(_("The comment contains a NUL character; remove it and post again."))
    stripped = text.strip()
    if not stripped:
        raise CommentRefused(_("Write something before posting."))
    if len(stripped) > COMMENT_MAX:
        raise CommentRefused(
            _(
                "Keep the comment under %(max)s characters (it has %(length)s).",
                max=format_number(COMMENT_MAX),
                length=format_number(len(stripped)),
            )
        )
    return stripped


def add_comment(
    session: Session,
    bank: Bank,
    assessment: Assessment,
    user: User,
    question_id: str,
    text: str,
    parent_id: int | None = None,
) -> Comment:
    """Post ``text`` on ``question_id``, or as a reply to comment ``parent_id``
    (on the same assessment; the reply joins its thread).  Raises
    :class:`CommentRefused`, and :class:`CommentNotFound` for a question of
    another bank or a parent that is not on this question."""
    if not bank.has_question(question_id):
        raise CommentNotFound(question_id)
    body = check_text(text)
    if parent_id is not None:
        parent = get_comment(session, assessment, parent_id)
        if parent.question_id != question_id:
            raise CommentNotFound(str(parent_id))
    comment = Comment(
        assessment_id=assessment.id,
        question_id=question_id,
        parent_id=parent_id,
        author_id=user.id,
        text=body,
        created_at=utcnow(),
    )
    session.add(comment)
    record_event(
        session,
        assessment,
        user,
        "reply added" if parent_id is not None else "comment added",
        section_id=bank.question(question_id).section_id,
        question_id=question_id,
    )
    session.flush()
    return comment


def get_comment(session: Session, assessment: Assessment, comment_id: int) -> Comment:
    """Comment ``comment_id`` of ``assessment``.  Raises :class:`CommentNotFound`."""
    comment = session.scalar(
        select(Comment).where(Comment.id == comment_id, Comment.assessment_id == assessment.id)
    )
    if comment is None:
        raise CommentNotFound(str(comment_id))
    return comment


def _thread_root(session: Session, comment: Comment) -> Comment:
    while comment.parent_id is not None:
        parent = session.get(Comment, comment.parent_id)
        if parent is None:  # pragma: no cover - the parent's deletion deletes its replies
            break
        comment = parent
    return comment


def set_resolved(
    session: Session,
    bank: Bank,
    assessment: Assessment,
    user: User,
    comment_id: int,
    resolved: bool,
) -> Comment:
    """Resolve (or reopen) the thread comment ``comment_id`` belongs to;
    returns its first comment.  Raises :class:`CommentNotFound` and
    :class:`CommentStateUnchanged`."""
    root = _thread_root(session, get_comment(session, assessment, comment_id))
    if (root.resolved_at is not None) == resolved:
        raise CommentStateUnchanged(str(root.id))
    root.resolved_at = utcnow() if resolved else None
    root.resolved_by_id = user.id if resolved else None
    section_id = (
        bank.question(root.question_id).section_id if bank.has_question(root.question_id) else None
    )
    record_event(
        session,
        assessment,
        user,
        "comment resolved" if resolved else "comment reopened",
        section_id=section_id,
        question_id=root.question_id,
    )
    session.flush()
    return root


@dataclass(slots=True)
class ShownComment:
    """A comment as pages and the report show it, with its replies."""

    id: int
    question_id: str
    author: str
    at: str
    text: str
    resolved: bool = False
    resolved_by: str = ""
    resolved_at: str = ""
    is_root: bool = True  # the thread's first comment, where it is resolved
    replies: list[ShownComment] = field(default_factory=list)

    @property
    def count(self) -> int:
        """This comment and every reply below it."""
        return 1 + sum(reply.count for reply in self.replies)


def _name(user: User | None) -> str:
    return user.name if user is not None else "Someone no longer a member"


def threads(
    session: Session, assessment: Assessment, question_ids: Iterable[str] | None = None
) -> dict[str, list[ShownComment]]:
    """The comment threads of ``assessment`` (of ``question_ids`` only, if
    given), by question id, oldest first, each with its replies nested."""
    query = (
        select(Comment)
        .where(Comment.assessment_id == assessment.id)
        .options(selectinload(Comment.author), selectinload(Comment.resolved_by))
        .order_by(Comment.created_at, Comment.id)
    )
    if question_ids is not None:
        query = query.where(Comment.question_id.in_(list(question_ids)))
    shown: dict[int, ShownComment] = {}
    roots: dict[str, list[ShownComment]] = defaultdict(list)
    for comment in session.scalars(query):
        item = ShownComment(
            id=comment.id,
            question_id=comment.question_id,
            author=_name(comment.author),
            at=f"{as_utc(comment.created_at):%Y-%m-%d %H:%M} UTC",
            text=comment.text,
            resolved=comment.resolved_at is not None,
            resolved_by=_name(comment.resolved_by) if comment.resolved_at else "",
            resolved_at=f"{as_utc(comment.resolved_at):%Y-%m-%d %H:%M} UTC"
            if comment.resolved_at
            else "",
            is_root=comment.parent_id is None,
        )
        shown[comment.id] = item
        parent = shown.get(comment.parent_id) if comment.parent_id is not None else None
        if parent is not None:
            parent.replies.append(item)
        else:
            roots[comment.question_id].append(item)
    return dict(roots)


def open_count(found: dict[str, list[ShownComment]]) -> int:
    """How many threads in ``found`` are not resolved."""
    return sum(1 for roots in found.values() for root in roots if not root.resolved)
