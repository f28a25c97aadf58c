"""Share links: members manage them per assessment; auditors use them
without an account."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from assessment.access import db, login_required, require_user
from assessment.engine.summary import score_document
from assessment.forms import ActionForm, ShareLinkForm
from assessment.services.assessments import to_document
from assessment.services.reports import VIA_SHARE_LINK
from assessment.services.shares import (
    MAX_DAYS,
    ShareLinkError,
    ShareLinkUnavailable,
    create_link,
    is_live,
    links_of,
    live_link,
    record_use,
    revoke_link,
    use_label,
)
from assessment.views.common import (
    download_name,
    own_assessment,
    pinned_bank,
    preparing_page,
    ready_page,
    report_download,
    report_ready,
)

bp = Blueprint("shares", __name__)


@bp.route("/assessments/<assessment_id>/shares", methods=["GET", "POST"])
@login_required
def manage(assessment_id: str) -> str | tuple[str, int]:
    assessment = own_assessment(assessment_id)
    form = ShareLinkForm()
    new_url = None
    error = None
    status = 200
    if request.method == "POST" and not form.validate_on_submit():
        status = 422  # the label's error is shown next to it, with what was typed
    elif request.method == "POST":
        try:
            created = create_link(
                db(),
                assessment,
                require_user(),
                int(request.form.get("days", "14") or 0),
                request.form.get("edition", "public"),
                form.label.data or "",
            )
        except (ShareLinkError, ValueError) as problem:
            error = (
                str(problem)
                if isinstance(problem, ShareLinkError)
                else _("Enter a number of days.")
            )
            status = 422
        else:
            new_url = url_for("shares.summary", token=created.token, _external=True)
    return render_template(
        "shares/manage.html",
        assessment=assessment,
        links=links_of(db(), assessment),
        is_live=is_live,
        use_label=use_label,
        new_url=new_url,
        error=error,
        max_days=MAX_DAYS,
        form=form,
    ), status


@bp.route("/assessments/<assessment_id>/shares/<int:link_id>/revoke", methods=["POST"])
@login_required
def revoke(assessment_id: str, link_id: int) -> BaseResponse:
    assessment = own_assessment(assessment_id)
    ActionForm().validate_on_submit()
    try:
        revoke_link(db(), assessment, link_id)
    except LookupError:
        abort(404)
    return Response(
        status=303, headers={"Location": url_for("shares.manage", assessment_id=assessment_id)}
    )


def _unavailable(reason: str) -> tuple[str, int]:
    return render_template(
        "shares/unavailable.html", reason=reason
    ), 404 if reason == "unknown" else 410


@bp.route("/s/<token>")
def summary(token: str) -> str | tuple[str, int]:
    """The summary for an auditor; the use is counted once the page is
    rendered, so the day's row of uses is locked only for the commit."""
    try:
        link = live_link(db(), token)
    except ShareLinkUnavailable as unavailable:
        return _unavailable(unavailable.reason)
    assessment = link.assessment
    bank = pinned_bank(assessment)
    result = score_document(bank, to_document(assessment)).result  # as the report scores it
    page = render_template(
        "shares/summary.html",
        assessment=assessment,
        link=link,
        result=result,
        bank=bank,
        token=token,
    )
    try:  # revoked or expired while the page was being made: not shown
        record_use(db(), link, "summary")
    except ShareLinkUnavailable as unavailable:
        return _unavailable(unavailable.reason)
    return page


@bp.route("/s/<token>/report.pdf")
def report(token: str) -> BaseResponse | tuple[str, int]:
    """The PDF for an auditor; the use is recorded when the file is served,
    not while it is being prepared."""
    try:
        link = live_link(db(), token)
    except ShareLinkUnavailable as unavailable:
        return _unavailable(unavailable.reason)
    assessment = link.assessment
    name = download_name(f"{assessment.title} {link.edition}", "pdf")
    download = report_download(assessment, link.edition, name, via=VIA_SHARE_LINK)
    if download is None:
        return _preparing(assessment.title, token)
    try:  # revoked or expired while the report was being prepared: not served
        record_use(db(), link, f"pdf ({link.edition})")
    except ShareLinkUnavailable as unavailable:
        return _unavailable(unavailable.reason)
    return download


def _preparing(title: str, token: str) -> BaseResponse:
    return preparing_page(
        title,
        url_for("shares.report_status", token=token),
        url_for("shares.summary", token=token),
    )


@bp.route("/s/<token>/report/status")
def report_status(token: str) -> BaseResponse | tuple[str, int]:
    """Where the "being prepared" page refreshes to: that page again while
    the report renders, then a redirect to :func:`report_ready`.  Not a use
    of the link: that is counted when the PDF is served."""
    try:
        link = live_link(db(), token)
    except ShareLinkUnavailable as unavailable:
        return _unavailable(unavailable.reason)
    assessment = link.assessment
    if report_ready(assessment, link.edition, via=VIA_SHARE_LINK):
        return redirect(url_for("shares.report_ready", token=token), code=303)
    return _preparing(assessment.title, token)


@bp.route("/s/<token>/report/ready", endpoint="report_ready")
def report_ready_page(token: str) -> BaseResponse | tuple[str, int]:
    """"The report is ready", with the download (started once by itself)."""
    try:
        link = live_link(db(), token)
    except ShareLinkUnavailable as unavailable:
        return _unavailable(unavailable.reason)
    return ready_page(
        link.assessment.title,
        url_for("shares.report", token=token),
        url_for("shares.summary", token=token),
    )
