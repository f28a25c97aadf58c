"""Helpers shared by the blueprints that work on one assessment."""

from __future__ import annotations

import logging
import re

from flask import Response, abort, render_template
from flask_babel import gettext as _

from assessment.access import app_banks, app_config, db, report_renderer, require_user
from assessment.engine.bank import Bank
from assessment.engine.banks import UnknownBankVersion
from assessment.models import Assessment
from assessment.services.assessments import (
    AssessmentNotFound,
    bank_of,
    get_for_organisation,
)
from assessment.services.reports import (
    VIA_DOWNLOAD,
    prepare_reports,
    request_report,
    signing_files,
)

PREPARING_REFRESH_SECONDS = 3
LOG = logging.getLogger(__name__)


def own_assessment(assessment_id: str) -> Assessment:
    """The signed-in user's organisation's assessment, else 404 (whether it
    exists in another organisation or not)."""
    user = require_user()
    try:
        return get_for_organisation(db(), user.organisation_id, assessment_id)
    except AssessmentNotFound:
        abort(404)


def pinned_bank(assessment: Assessment) -> Bank:
    """The bank version ``assessment`` is pinned to; 409 if this installation
    does not have that version."""
    try:
        return bank_of(assessment, app_banks())
    except UnknownBankVersion as error:
        abort(
            409,
            description=_("This assessment cannot be opened here: %(error)s.", error=error),
        )


def download_name(title: str, suffix: str) -> str:
    """A safe file name for a download, from the assessment's title."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "assessment"
    return f"{stem}.{suffix}"


def report_download(
    assessment: Assessment, edition: str, name: str, via: str = VIA_DOWNLOAD
) -> Response | None:
    """The signed PDF of ``edition`` as a download called ``name``, rendering
    it in the report workers if needed, recorded as issued ``via`` this way;
    ``None`` if it is not ready within the configured wait (the caller then
    shows :func:`preparing_page`)."""
    config = app_config()
    report = request_report(
        db(),
        pinned_bank(assessment),
        assessment,
        report_renderer(),
        config.report_cache_dir,
        signing_files(config),
        edition,
        wait=config.report_wait_seconds,
        evidence_dir=config.evidence_dir,
        embed_limit=config.evidence_embed_max_bytes,
        via=via,
        banks=app_banks(),
    )
    if report is None:
        return None
    return Response(
        report.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def render_in_background(assessment: Assessment) -> None:
    """After a step of the review workflow (submitted, approved, issued):
    commit it, then hand both editions of its report to the renderers
    without waiting (unless ``REPORT_BACKGROUND=0``), so that the download
    finds them ready.  A failure to hand them over is logged, never shown:
    the step is done, and a download renders what is missing."""
    config = app_config()
    if not config.report_background:
        return
    session = db()
    session.commit()  # the renderers must see (and name files after) a committed revision
    try:
        prepare_reports(
            session,
            pinned_bank(assessment),
            assessment,
            report_renderer(),
            config.report_cache_dir,
            signing_files(config),
            evidence_dir=config.evidence_dir,
            embed_limit=config.evidence_embed_max_bytes,
            banks=app_banks(),
        )
    except Exception as error:  # the type only: a message may quote assessment text
        session.rollback()  # only reads since the commit; the request goes on
        LOG.error(
            "the reports of assessment %s were not queued: %s",
            assessment.uuid,
            type(error).__name__,
        )


def preparing_page(title: str, back_url: str) -> Response:
    """202 "being prepared": the page reloads itself (a meta refresh, no
    JavaScript) until the report is ready, and has a link to do so by hand."""
    html = render_template(
        "report/preparing.html",
        title=title,
        back_url=back_url,
        refresh=PREPARING_REFRESH_SECONDS,
    )
    return Response(
        html,
        status=202,
        headers={"Retry-After": str(PREPARING_REFRESH_SECONDS), "Cache-Control": "no-store"},
    )
