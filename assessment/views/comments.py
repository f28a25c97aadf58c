"""Comments on an assessment's questions: the thread page of one question
(every member reads it), posting comments and replies, resolving and
reopening threads (editors, reviewers and owners)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from assessment.access import db, login_required, require_user
from assessment.engine.bank import Bank
from assessment.engine.display import wording
from assessment.forms import ActionForm, CommentForm
from assessment.i18n import confidence_labels
from assessment.models import Assessment
from assessment.report.i18n import answer_text
from assessment.services.assessments import answers_of, visibility_of
from assessment.services.comments import (
    COMMENT_MAX,
    CommentNotFound,
    CommentRefused,
    CommentStateUnchanged,
    add_comment,
    get_comment,
    set_resolved,
    threads,
)
from assessment.views.common import own_assessment, pinned_bank

bp = Blueprint("comments", __name__, url_prefix="/assessments/<assessment_id>")


def _render_thread(
    assessment: Assessment,
    bank: Bank,
    question_id: str,
    *,
    typed: str = "",
    reply_to: int | None = None,
    error: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The thread page; after a refused post, ``typed`` goes back into the
    form it came from (the new-comment form, or the reply to ``reply_to``)
    with ``error`` beside it."""
    question = bank.question(question_id)
    visibility = visibility_of(assessment, bank)
    answer = answers_of(assessment).get(question_id)
    html = render_template(
        "comments/thread.html",
        assessment=assessment,
        bank=bank,
        question=question,
        question_text=wording(question, bank, visibility.answers, assessment.language),
        section=bank.section(question.section_id),
        answer=answer,
        shown=answer_text(question, answer.value, assessment.language) if answer else None,
        confidence_labels=confidence_labels(),
        threads=threads(db(), assessment, [question_id]).get(question_id, []),
        typed=typed,
        reply_to=reply_to,
        error=error,
        lang=assessment.language,
        comment_max=COMMENT_MAX,
    )
    return html, status


def _question_of(assessment: Assessment, question_id: str) -> Bank:
    bank = pinned_bank(assessment)
    if not bank.has_question(question_id):
        abort(404)
    return bank


@bp.route("/questions/<question_id>/comments")
@login_required
def thread(assessment_id: str, question_id: str) -> tuple[str, int]:
    assessment = own_assessment(assessment_id)
    return _render_thread(assessment, _question_of(assessment, question_id), question_id)


@bp.route("/questions/<question_id>/comments", methods=["POST"], endpoint="add")
@login_required
def add(assessment_id: str, question_id: str) -> Response | tuple[str, int]:
    """Post a comment on the question; 422 with the typed text kept if it is refused."""
    assessment = own_assessment(assessment_id)
    return _post(assessment, _question_of(assessment, question_id), question_id, None)


@bp.route("/comments/<int:comment_id>/replies", methods=["POST"])
@login_required
def reply(assessment_id: str, comment_id: int) -> Response | tuple[str, int]:
    """Reply to comment ``comment_id``; 422 with the typed text kept if it is refused."""
    assessment = own_assessment(assessment_id)
    try:
        parent = get_comment(db(), assessment, comment_id)
    except CommentNotFound:
        abort(404)
    return _post(
        assessment, _question_of(assessment, parent.question_id), parent.question_id, parent.id
    )


def _post(
    assessment: Assessment, bank: Bank, question_id: str, parent_id: int | None
) -> Response | tuple[str, int]:
    CommentForm().validate()  # CSRF is checked before the view runs; the text by the service
    typed = request.form.get("text", "")
    try:
        comment = add_comment(db(), bank, assessment, require_user(), question_id, typed, parent_id)
    except CommentNotFound:
        abort(404)
    except CommentRefused as refused:
        return _render_thread(
            assessment,
            bank,
            question_id,
            typed=typed,
            reply_to=parent_id,
            error=str(refused),
            status=422,
        )
    flash(_("Your reply is posted.") if parent_id else _("Your comment is posted."))
    return redirect(
        url_for(
            "comments.thread",
            assessment_id=assessment.uuid,
            question_id=question_id,
            _anchor=f"comment-{comment.id}",
        )
    )


def _set_resolved(assessment_id: str, comment_id: int, resolved: bool) -> Response:
    assessment = own_assessment(assessment_id)
    bank = pinned_bank(assessment)
    ActionForm().validate_on_submit()
    try:
        comment = get_comment(db(), assessment, comment_id)
        root = set_resolved(db(), bank, assessment, require_user(), comment.id, resolved)
    except CommentNotFound:
        abort(404)
    except CommentStateUnchanged:
        flash(
            _("That thread was already resolved.")
            if resolved
            else _("That thread was already open.")
        )
        question_id = get_comment(db(), assessment, comment_id).question_id
        return redirect(
            url_for("comments.thread", assessment_id=assessment.uuid, question_id=question_id)
        )
    flash(_("Thread resolved.") if resolved else _("Thread reopened."))
    return redirect(
        url_for(
            "comments.thread",
            assessment_id=assessment.uuid,
            question_id=root.question_id,
            _anchor=f"comment-{root.id}",
        )
    )


@bp.route("/comments/<int:comment_id>/resolve", methods=["POST"])
@login_required
def resolve(assessment_id: str, comment_id: int) -> Response:
    return _set_resolved(assessment_id, comment_id, True)


@bp.route("/comments/<int:comment_id>/reopen", methods=["POST"])
@login_required
def reopen(assessment_id: str, comment_id: int) -> Response:
    return _set_resolved(assessment_id, comment_id, False)
