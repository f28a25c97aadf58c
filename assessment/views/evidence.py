"""Evidence files: attach one to an answer (on the wizard's section page),
download it, remove it.

Uploads are plain multipart forms (no JavaScript), checked for CSRF like
every form.  Downloads go to members of the assessment's organisation only,
always as an attachment with a neutral content type, so that a browser
never renders or sniffs a file as a page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from assessment.access import app_config, db, login_required, require_user
from assessment.engine.document import EvidenceRef
from assessment.models import Assessment
from assessment.services.assessments import AssessmentLocked, visibility_of
from assessment.services.evidence import (
    EvidenceLimits,
    EvidenceMissing,
    EvidenceNotFound,
    EvidenceRefused,
    add_evidence,
    find_evidence,
    megabytes,
    read_evidence,
    remove_evidence,
)
from assessment.views.common import own_assessment, pinned_bank
from assessment.views.wizard import stored_section_page

bp = Blueprint("evidence", __name__, url_prefix="/assessments/<assessment_id>")

LOCKED = _l("This assessment has been submitted: its evidence files can no longer be changed.")


def _section_of(assessment: Assessment, question_id: str) -> str:
    """The id of the wizard page that shows ``question_id``; 404 if none does."""
    bank = pinned_bank(assessment)
    if not bank.has_question(question_id):
        abort(404)
    section_id = bank.question(question_id).section_id
    progress = visibility_of(assessment, bank).section_progress(section_id)
    if progress is None or all(q.id != question_id for q in progress.visible):
        abort(404)
    return section_id


def _back_to(assessment: Assessment, section_id: str, question_id: str) -> Response:
    url = url_for(
        "wizard.section", assessment_id=assessment.uuid, section_id=section_id, _anchor=question_id
    )
    return redirect(url)  # type: ignore[return-value]  # werkzeug's Response


@bp.route("/sections/<section_id>/evidence", methods=["POST"])
@login_required
def upload(assessment_id: str, section_id: str) -> Any:
    """Attach the uploaded file to the answer named by the form's ``question``,
    then back to the page.  A refused file: the page again with the reason at
    that question (413 too large, 409 already attached or submitted, 422 not
    an accepted kind)."""
    assessment = own_assessment(assessment_id)
    question_id = request.form.get("question", "")
    if _section_of(assessment, question_id) != section_id:
        abort(404)
    upload_file = request.files.get("file")
    config = app_config()
    if upload_file is None or not upload_file.filename:
        return stored_section_page(
            assessment,
            section_id,
            status=422,
            evidence_error=(question_id, _("Choose a file to attach.")),
        )
    data = upload_file.stream.read(config.evidence_file_max_bytes + 1)
    limits = EvidenceLimits(config.evidence_file_max_bytes, config.evidence_assessment_max_bytes)
    try:
        record = add_evidence(
            db(),
            config.evidence_dir,
            assessment,
            require_user(),
            question_id,
            upload_file.filename,
            data,
            limits,
        )
    except AssessmentLocked:
        return stored_section_page(
            assessment, section_id, status=409, evidence_error=(question_id, LOCKED)
        )
    except EvidenceRefused as error:
        return stored_section_page(
            assessment, section_id, status=error.status, evidence_error=(question_id, str(error))
        )
    flash(_("Attached %(name)s (%(size)s).", name=record.name, size=megabytes(record.size)))
    return _back_to(assessment, section_id, question_id)


@bp.route("/evidence/<int:evidence_id>")
@login_required
def download(assessment_id: str, evidence_id: int) -> Response:
    """The file, as an attachment: ``application/octet-stream``, ``nosniff``,
    a safe ASCII file name (and the sanitised original name, percent-encoded,
    for browsers that read ``filename*``), and a sandboxing CSP in case a
    browser shows it anyway.  410 if the stored file is gone or altered."""
    assessment = own_assessment(assessment_id)
    try:
        record = find_evidence(assessment, evidence_id)
        data = read_evidence(app_config().evidence_dir, assessment, record)
    except EvidenceNotFound:
        abort(404)
    except EvidenceMissing:
        abort(410, description=_("The stored file is missing or no longer matches its SHA-256."))
    name = EvidenceRef(record.question_id, record.name, record.kind, record.size, record.sha256)
    ascii_name = name.file_name()
    extension = ascii_name.rsplit(".", 1)[1]
    original = (
        record.name
        if record.name.lower().endswith("." + extension)
        else f"{record.name}.{extension}"
    )
    return Response(
        data,
        mimetype="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(original, safe='')}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/evidence/<int:evidence_id>/remove", methods=["POST"])
@login_required
def remove(assessment_id: str, evidence_id: int) -> Any:
    """Detach the file, then back to its question's page; 409 once the
    assessment is submitted."""
    assessment = own_assessment(assessment_id)
    try:
        record = find_evidence(assessment, evidence_id)
    except EvidenceNotFound:
        abort(404)
    question_id, name = record.question_id, record.name
    section_id = pinned_bank(assessment).question(question_id).section_id
    try:
        remove_evidence(db(), app_config().evidence_dir, assessment, require_user(), evidence_id)
    except AssessmentLocked:
        return stored_section_page(
            assessment, section_id, status=409, evidence_error=(question_id, LOCKED)
        )
    except EvidenceNotFound:  # removed by someone else a moment ago
        abort(404)
    flash(_("Removed %(name)s.", name=name))
    return _back_to(assessment, section_id, question_id)
