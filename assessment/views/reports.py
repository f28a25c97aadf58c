"""Downloads: the PDF report and the JSON export of one assessment."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from assessment.engine.document import EDITIONS, canonical_json
from assessment.services.assessments import to_document
from assessment.services.reports import issue_report
from assessment.views.common import download_name, own_assessment, pinned_bank
from assessment.web import app_config, db, login_required

bp = Blueprint("reports", __name__, url_prefix="/assessments/<assessment_id>")


@bp.route("/report.pdf")
@login_required
def pdf(assessment_id: str) -> Response:
    """The report; ``?edition=public`` leaves out confidential notes and sources."""
    assessment = own_assessment(assessment_id)
    bank = pinned_bank(assessment)
    edition = request.args.get("edition", "full")
    if edition not in EDITIONS:
        abort(404)
    report = issue_report(db(), bank, assessment, edition, app_config().report_cache_dir)
    name = download_name(assessment.title + ("-public" if edition == "public" else ""), "pdf")
    return Response(
        report.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/export.json")
@login_required
def export(assessment_id: str) -> Response:
    assessment = own_assessment(assessment_id)
    name = download_name(assessment.title, "json")
    return Response(
        canonical_json(to_document(assessment)),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
