"""Downloads: the PDF report, the JSON export and the sheets (the action plan
as CSV and XLSX, every answer as CSV) of one assessment."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from assessment.access import login_required
from assessment.engine.document import EDITIONS, canonical_json
from assessment.report.exports import (
    CSV_MIMETYPE,
    XLSX_MIMETYPE,
    Sheet,
    action_plan_sheet,
    answers_sheet,
    to_csv,
    to_xlsx,
)
from assessment.services.assessments import to_document
from assessment.views.common import (
    download_name,
    own_assessment,
    pinned_bank,
    preparing_page,
    ready_page,
    report_download,
    report_ready,
)

bp = Blueprint("reports", __name__, url_prefix="/assessments/<assessment_id>")


def _edition() -> str:
    edition = request.args.get("edition", "full")
    if edition not in EDITIONS:
        abort(404)
    return edition


def _report_urls(assessment_id: str, edition: str) -> dict[str, str]:
    """The download, its "being prepared" status, its "ready" page and the
    review page, for ``edition`` (``?edition=public`` only for the public one)."""
    args: dict[str, Any] = {"edition": edition} if edition != "full" else {}
    return {
        name: url_for(endpoint, assessment_id=assessment_id, **args)
        for name, endpoint in (
            ("pdf", "reports.pdf"),
            ("status", "reports.status"),
            ("ready", "reports.ready"),
        )
    } | {"back": url_for("wizard.review", assessment_id=assessment_id)}


@bp.route("/report.pdf")
@login_required
def pdf(assessment_id: str) -> Response:
    """The report; ``?edition=public`` leaves out confidential notes and sources.
    While it renders: a 202 page that asks :func:`status` until it is ready."""
    assessment = own_assessment(assessment_id)
    edition = _edition()
    name = download_name(assessment.title + ("-public" if edition == "public" else ""), "pdf")
    download = report_download(assessment, edition, name)
    if download is None:
        urls = _report_urls(assessment.uuid, edition)
        return preparing_page(assessment.title, urls["status"], urls["back"])
    return download


@bp.route("/report/status")
@login_required
def status(assessment_id: str) -> BaseResponse:
    """Where the "being prepared" page refreshes to: that page again while
    the report renders, then a redirect to :func:`ready` (an HTML page, so
    that the browser leaves "being prepared" once the report has arrived)."""
    assessment = own_assessment(assessment_id)
    edition = _edition()
    urls = _report_urls(assessment.uuid, edition)
    if report_ready(assessment, edition):
        return redirect(urls["ready"], code=303)
    return preparing_page(assessment.title, urls["status"], urls["back"])


@bp.route("/report/ready")
@login_required
def ready(assessment_id: str) -> Response:
    """"Your report is ready", with the download (started once by itself)."""
    assessment = own_assessment(assessment_id)
    urls = _report_urls(assessment.uuid, _edition())
    return ready_page(assessment.title, urls["pdf"], urls["back"])


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


# The sheets carry confidential notes and sources (the full edition), so they
# need what the full PDF report needs: READ, in assessment/access.py.


@bp.route("/action-plan.csv")
@login_required
def plan_csv(assessment_id: str) -> Response:
    """The action plan as CSV, in the assessment's language."""
    assessment = own_assessment(assessment_id)
    sheet = action_plan_sheet(pinned_bank(assessment), to_document(assessment))
    return _sheet_download(to_csv(sheet), assessment.title, sheet, "csv", CSV_MIMETYPE)


@bp.route("/action-plan.xlsx")
@login_required
def plan_xlsx(assessment_id: str) -> Response:
    """The action plan as an XLSX workbook, in the assessment's language."""
    assessment = own_assessment(assessment_id)
    sheet = action_plan_sheet(pinned_bank(assessment), to_document(assessment))
    return _sheet_download(to_xlsx(sheet), assessment.title, sheet, "xlsx", XLSX_MIMETYPE)


@bp.route("/answers.csv")
@login_required
def answers_csv(assessment_id: str) -> Response:
    """Every answer as CSV, one row per question that applies, with notes and
    sources (confidential ones included), in the assessment's language."""
    assessment = own_assessment(assessment_id)
    sheet = answers_sheet(pinned_bank(assessment), to_document(assessment))
    return _sheet_download(to_csv(sheet), assessment.title, sheet, "csv", CSV_MIMETYPE)


def _sheet_download(body: bytes, title: str, sheet: Sheet, suffix: str, mimetype: str) -> Response:
    """``body`` as an attachment named after the assessment and the sheet
    (an ASCII ``filename`` and the UTF-8 ``filename*`` of RFC 6266, so that
    a Russian title keeps its letters), never sniffed, never cached."""
    plain = download_name(f"{title} {sheet.name}", suffix)
    readable = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "-", f"{title} - {sheet.name}").strip(" .-")
    disposition = f'attachment; filename="{plain}"'
    if readable:
        disposition += f"; filename*=UTF-8''{quote(f'{readable[:100]}.{suffix}', safe='')}"
    charset = "; charset=utf-8" if mimetype == CSV_MIMETYPE else ""
    return Response(
        body,
        headers={
            "Content-Type": mimetype + charset,
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
