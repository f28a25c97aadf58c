"""Helpers shared by the blueprints that work on one assessment."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Response, abort, g, render_template, request
from flask_babel import gettext as _

from assessment.access import app_banks, app_config, db, report_renderer, require_user
from assessment.engine.bank import Bank
from assessment.engine.banks import UnknownBankVersion
from assessment.models import Assessment
from assessment.report.render import RenderedReport
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
MANUAL_CHECK = "auto"  # ``?auto=0``: the "being prepared" page does not refresh itself
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


def _request_report(
    assessment: Assessment, edition: str, via: str, *, issue: bool, wait_for_render: bool = True
) -> RenderedReport | None:
    config = app_config()
    return request_report(
        db(),
        pinned_bank(assessment),
        assessment,
        report_renderer(),
        config.report_cache_dir,
        signing_files(config),
        edition,
        wait=config.report_wait_seconds if wait_for_render else 0.0,
        started=g.get("started"),
        evidence_dir=config.evidence_dir,
        embed_limit=config.evidence_embed_max_bytes,
        via=via,
        banks=app_banks(),
        issue=issue,
    )


def report_download(
    assessment: Assessment, edition: str, name: str, via: str = VIA_DOWNLOAD
) -> Response | None:
    """The signed PDF of ``edition`` as a download called ``name``, rendering
    it in the report workers if needed, recorded as issued ``via`` this way;
    ``None`` if it is not ready within the configured wait (the caller then
    shows :func:`preparing_page`)."""
    report = _request_report(assessment, edition, via, issue=True)
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


def report_ready(assessment: Assessment, edition: str, via: str = VIA_DOWNLOAD) -> bool:
    """Whether the signed PDF of ``edition`` is ready to download (starting or
    joining its render), without handing it out: it is recorded as issued only
    when :func:`report_download` serves it.  It does not wait for the render:
    the "being prepared" page asks again by itself, and a request thread held
    for each of its checks would be taken from everyone else's requests."""
    return _request_report(assessment, edition, via, issue=False, wait_for_render=False) is not None


def preparing_page(title: str, status_url: str, back_url: str) -> Response:
    """202 "being prepared": the page asks ``status_url`` again (a meta
    refresh, no JavaScript), which shows this page again until the report is
    ready and then sends the browser to :func:`ready_page`; a link does so by
    hand.  The refresh never points at the PDF itself: a browser that gets
    the file as a download stays on the page it is on, and would stay on
    this one, refreshing.

    A person who does not want the page to reload by itself (WCAG 2.2.1: a
    reading position or a screen reader's place is lost on every reload) turns
    it off with a link: ``?auto=0`` shows the same page without the refresh,
    with "Check again now" keeping that choice."""
    automatic = request.args.get(MANUAL_CHECK) != "0"
    manual_url = _with_query(status_url, **{MANUAL_CHECK: "0"})
    html = render_template(
        "downloads/preparing.html",
        title=title,
        status_url=status_url if automatic else manual_url,
        automatic_url=status_url,
        manual_url=manual_url,
        back_url=back_url,
        refresh=PREPARING_REFRESH_SECONDS if automatic else None,
    )
    return Response(
        html,
        status=202,
        headers={"Retry-After": str(PREPARING_REFRESH_SECONDS), "Cache-Control": "no-store"},
    )


def _with_query(url: str, **values: str) -> str:
    """``url`` with ``values`` added to (or replacing those in) its query string."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(values)
    return urlunsplit(parts._replace(query=urlencode(query)))


def ready_page(title: str, download_url: str, back_url: str) -> Response:
    """ "Your report is ready": the download starts by itself once (a meta
    refresh to ``download_url``; the browser stays on this page, which does
    not refresh again) and a link starts it by hand."""
    html = render_template(
        "downloads/ready.html", title=title, download_url=download_url, back_url=back_url
    )
    return Response(html, headers={"Cache-Control": "no-store"})
