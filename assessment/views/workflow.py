"""The review workflow's pages: submit for review, request changes, approve,
issue and reassess, each confirmed on a page of its own (a GET shows it, its
form's POST acts; no JavaScript), and the issued revisions as JSON.

After a submission, an approval or an issue, both editions of the report
are rendered in the background (:func:`~assessment.views.common.render_in_background`),
so that the download that usually follows finds them ready.

A step the assessment's status does not allow answers 409 with a page that
says why, on GET as on POST; the service checks again under the assessment's
lock, so a step someone else took a moment earlier is refused the same way.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from assessment.access import db, login_required, require_user
from assessment.forms import ActionForm, ApproveForm, IssueForm, RequestChangesForm
from assessment.i18n import ui_status_label
from assessment.models import Assessment, IssuedRevision
from assessment.services.assessments import visibility_of
from assessment.services.results import findings_of
from assessment.services.workflow import (
    DEFAULT_STATEMENT,
    Action,
    AssessmentIncomplete,
    IllegalTransition,
    SelfApproval,
    allowed,
    approve,
    check_reassessment_date,
    edited_in_round,
    issue,
    one_year_after,
    reassess,
    refusal,
    request_changes,
    submit_for_review,
)
from assessment.views.common import (
    download_name,
    own_assessment,
    pinned_bank,
    render_in_background,
)

bp = Blueprint("workflow", __name__, url_prefix="/assessments/<assessment_id>")
bp.add_app_template_global(ui_status_label, "status_label")

Page = Response | str | tuple[str, int]


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _refused(assessment: Assessment, message: str) -> tuple[str, int]:
    """409: the step is not possible now, and why."""
    return render_template("workflow/refused.html", assessment=assessment, message=message), 409


def _back(assessment: Assessment) -> Response:
    return redirect(url_for("wizard.review", assessment_id=assessment.uuid))


def _summary(assessment: Assessment) -> dict[str, str]:
    """The level and recommendation, to say on a confirmation page what is confirmed."""
    summary = findings_of(assessment, pinned_bank(assessment)).context["summary"]
    return {"impact": summary["impact"], "recommendation": summary["recommendation"]}


@bp.route("/submit", methods=["GET", "POST"])
@login_required
def submit(assessment_id: str) -> Page:
    """Submit the draft for review (its answers become read-only)."""
    assessment = own_assessment(assessment_id)
    if not allowed(Action.SUBMIT, assessment.status):
        return _refused(assessment, refusal(Action.SUBMIT, assessment.status))
    bank = pinned_bank(assessment)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            submit_for_review(db(), bank, assessment, require_user())
        except IllegalTransition as error:
            return _refused(assessment, str(error))
        except AssessmentIncomplete as error:
            return _refused(assessment, str(error))
        render_in_background(assessment)
        flash(_("Submitted for review. The answers are read-only until a reviewer sends it back."))
        return _back(assessment)
    missing = visibility_of(assessment, bank).missing_required()
    html = render_template(
        "workflow/submit.html", assessment=assessment, missing=missing, summary=_summary(assessment)
    )
    return (html, 409) if missing else html


@bp.route("/request-changes", methods=["GET", "POST"], endpoint="request_changes")
@login_required
def request_changes_page(assessment_id: str) -> Page:
    """Send the assessment back to its editors with the changes asked for."""
    assessment = own_assessment(assessment_id)
    if not allowed(Action.REQUEST_CHANGES, assessment.status):
        return _refused(assessment, refusal(Action.REQUEST_CHANGES, assessment.status))
    form = RequestChangesForm()
    status = 200
    if form.validate_on_submit():
        try:
            request_changes(db(), assessment, require_user(), form.changes.data or "")
        except IllegalTransition as error:
            return _refused(assessment, str(error))
        except ValueError as error:
            form.changes.errors = [str(error)]
        else:
            flash(_("Sent back to the editors with your requested changes."))
            return _back(assessment)
    if form.errors:
        status = 422
    return render_template(
        "workflow/request_changes.html", assessment=assessment, form=form
    ), status


@bp.route("/approve", methods=["GET", "POST"], endpoint="approve")
@login_required
def approve_page(assessment_id: str) -> Page:
    """Approve with a sign-off (name, position, date, statement)."""
    assessment = own_assessment(assessment_id)
    user = require_user()
    if not allowed(Action.APPROVE, assessment.status):
        return _refused(assessment, refusal(Action.APPROVE, assessment.status))
    if edited_in_round(db(), assessment, user):
        return _refused(assessment, str(SelfApproval()))
    form = ApproveForm()
    if not form.is_submitted():
        form.statement.data = str(DEFAULT_STATEMENT)
    status = 200
    if form.validate_on_submit():
        try:
            approve(db(), assessment, user, form.position.data or "", form.statement.data or "")
        except (IllegalTransition, SelfApproval) as error:
            return _refused(assessment, str(error))
        except ValueError as error:
            form.statement.errors = [str(error)]
        else:
            render_in_background(assessment)
            flash(_("Approved. Your sign-off is on the report's cover; an owner can now issue it."))
            return _back(assessment)
    if form.errors:
        status = 422
    html = render_template(
        "workflow/approve.html",
        assessment=assessment,
        form=form,
        today=_today(),
        summary=_summary(assessment),
    )
    return html, status


@bp.route("/issue", methods=["GET", "POST"], endpoint="issue")
@login_required
def issue_page(assessment_id: str) -> Page:
    """Issue the approved assessment, with the date it is to be reassessed by."""
    assessment = own_assessment(assessment_id)
    if not allowed(Action.ISSUE, assessment.status):
        return _refused(assessment, refusal(Action.ISSUE, assessment.status))
    today = _today()
    form = IssueForm()
    if not form.is_submitted():
        form.reassess_by.data = one_year_after(today)
    status = 200
    if form.validate_on_submit():
        try:
            check_reassessment_date(form.reassess_by.data, today)
            issue(db(), assessment, require_user(), form.reassess_by.data, today)
        except IllegalTransition as error:
            return _refused(assessment, str(error))
        except ValueError as error:
            form.reassess_by.errors = [str(error)]
        else:
            render_in_background(assessment)
            flash(_("Issued. The assessment cannot change any more; a reassessment reopens it."))
            return _back(assessment)
    if form.errors:
        status = 422
    html = render_template(
        "workflow/issue.html", assessment=assessment, form=form, summary=_summary(assessment)
    )
    return html, status


@bp.route("/reassess", methods=["GET", "POST"], endpoint="reassess")
@login_required
def reassess_page(assessment_id: str) -> Page:
    """Open a reassessment: a new round of answering from the issued answers."""
    assessment = own_assessment(assessment_id)
    if not allowed(Action.REASSESS, assessment.status):
        return _refused(assessment, refusal(Action.REASSESS, assessment.status))
    if ActionForm().validate_on_submit():
        try:
            reassess(db(), assessment, require_user())
        except IllegalTransition as error:
            return _refused(assessment, str(error))
        flash(_("Reassessment opened: the issued answers are the starting point."))
        return _back(assessment)
    return render_template("workflow/reassess.html", assessment=assessment)


@bp.route("/issued/<int:revision>.json")
@login_required
def issued(assessment_id: str, revision: int) -> Response:
    """The exchange document of an issued revision, as it was issued."""
    assessment = own_assessment(assessment_id)
    found = db().scalar(
        select(IssuedRevision).where(
            IssuedRevision.assessment_id == assessment.id, IssuedRevision.revision == revision
        )
    )
    if found is None:
        abort(404)
    name = download_name(f"{assessment.title}-issued-revision-{revision}", "json")
    return Response(
        json.dumps(found.document, ensure_ascii=False, indent=2, sort_keys=True),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
