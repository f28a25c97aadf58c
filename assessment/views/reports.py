"""Downloads: the PDF report and the JSON export of one assessment."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request, url_for

from assessment.access import login_required
from assessment.engine.document import EDITIONS, canonical_json
from assessment.services.assessments import to_document
from assessment.views.common import (
    download_name,
    own_assessment,
    preparing_page,
    report_download,
)

bp = Blueprint("reports", __name__, url_prefix="/assessments/<assessment_id>")


@bp.route("/report.pdf")
@login_required
def pdf(assessment_id: str) -> Response:
    """The report; ``?edition=public`` leaves out confidential notes and sources.
    While it renders: a 202 page that reloads itself."""
    assessment = own_assessment(assessment_id)
    edition = request.args.get("edition", "full")
    if edition not in EDITIONS:
        abort(404)
    name = download_name(assessment.title + ("-public" if edition == "public" else ""), "pdf")
    download = report_download(assessment, edition, name)
    if download is None:
        back = url_for("wizard.review", assessment_id=assessment.uuid)
        return preparing_page(assessment.title, back)
    return download


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
