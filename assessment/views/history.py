"""An assessment's history: two revisions compared (answers, verdicts,
level and recommendation), and the audit log of everything that happened."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from assessment.access import app_banks, db, login_required
from assessment.services.audit import audit_log
from assessment.services.history import (
    RevisionUnavailable,
    compare_revisions,
    history_start,
    last_issued_revision,
    revision_choices,
)
from assessment.views.common import own_assessment, pinned_bank

bp = Blueprint("history", __name__, url_prefix="/assessments/<assessment_id>")


def _revision_arg(name: str) -> tuple[int | None, str | None]:
    """The revision number in query argument ``name`` (``None`` if absent),
    and a message if it is not a number."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None, None
    try:
        return int(raw), None
    except ValueError:
        return None, f"“{raw[:20]}” is not a revision number."


@bp.route("/changes")
@login_required
def changes(assessment_id: str) -> tuple[str, int]:
    """Compare two revisions (a GET form: the comparison can be bookmarked).
    By default the last issued revision (or the first one kept) with the
    current one.  A revision that cannot be read back is named on the page
    (422), with the selection kept."""
    assessment = own_assessment(assessment_id)
    session = db()
    old, old_error = _revision_arg("from")
    new, new_error = _revision_arg("to")
    if old is None and old_error is None:
        old = last_issued_revision(session, assessment, before=assessment.revision)
        if old is None:
            old = history_start(session, assessment)
    if new is None and new_error is None:
        new = assessment.revision
    errors = [e for e in (old_error, new_error) if e]
    comparison = None
    if not errors and old is not None and new is not None:
        try:
            comparison = compare_revisions(session, app_banks(), assessment, old, new)
        except RevisionUnavailable as error:
            errors.append(str(error))
    html = render_template(
        "history/changes.html",
        assessment=assessment,
        choices=revision_choices(session, assessment),
        selected_from=old if old is not None else request.args.get("from", ""),
        selected_to=new if new is not None else request.args.get("to", ""),
        comparison=comparison,
        errors=errors,
        lang=assessment.language,
    )
    return html, 422 if errors else 200


@bp.route("/audit")
@login_required
def audit(assessment_id: str) -> str:
    assessment = own_assessment(assessment_id)
    return render_template(
        "history/audit.html",
        assessment=assessment,
        days=audit_log(db(), assessment, pinned_bank(assessment)),
        lang=assessment.language,
    )
