"""Upgrading a draft assessment to the current questions: what would change,
the upgrade itself, and afterwards the questions to look at again."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from assessment.access import app_banks, db, login_required, require_user
from assessment.engine.bank import Bank
from assessment.engine.banks import UnknownBankVersion
from assessment.models import Assessment
from assessment.services.assessments import AssessmentLocked
from assessment.services.upgrades import (
    AlreadyCurrent,
    UpgradeNotFound,
    get_upgrade,
    preview_upgrade,
    upgrade_to_current,
)
from assessment.views.common import own_assessment

bp = Blueprint("upgrades", __name__, url_prefix="/assessments/<assessment_id>")

SUBMITTED_MESSAGE = _l(
    "This assessment has been submitted and can no longer be changed, so it keeps the "
    "questions it was answered against. Only a draft can be upgraded to the current questions."
)


def _refused(assessment: Assessment, message: object) -> tuple[str, int]:
    return render_template("upgrades/refused.html", assessment=assessment, message=message), 409


def _already_current(assessment: Assessment) -> Response:
    flash(_("This assessment already uses the current questions."))
    return redirect(url_for("wizard.review", assessment_id=assessment.uuid))


@bp.route("/upgrade", methods=["GET"])
@login_required
def preview(assessment_id: str) -> Any:
    """What upgrading would do: counts and the new, changed and removed questions."""
    assessment = own_assessment(assessment_id)
    if assessment.is_submitted:
        return _refused(assessment, SUBMITTED_MESSAGE)
    banks = app_banks()
    try:
        plan = preview_upgrade(assessment, banks)
    except AlreadyCurrent:
        return _already_current(assessment)
    except UnknownBankVersion as error:
        return _refused(assessment, _("The questions cannot be compared: %(error)s.", error=error))
    return render_template(
        "upgrades/preview.html",
        assessment=assessment,
        plan=plan,
        old_bank=banks.get(assessment.bank_id, assessment.bank_version),
        new_bank=banks.current,
        lang=assessment.language,
    )


@bp.route("/upgrade", methods=["POST"])
@login_required
def upgrade(assessment_id: str) -> Any:
    """Upgrade (CSRF-checked like every POST), then show what to look at again."""
    assessment = own_assessment(assessment_id)
    try:
        record = upgrade_to_current(db(), assessment, app_banks(), require_user())
    except AssessmentLocked:
        return _refused(assessment, SUBMITTED_MESSAGE)
    except AlreadyCurrent:
        return _already_current(assessment)
    except UnknownBankVersion as error:
        return _refused(assessment, _("The questions cannot be compared: %(error)s.", error=error))
    return redirect(
        url_for("upgrades.done", assessment_id=assessment.uuid, upgrade_id=record.id), code=303
    )


def _installed(bank_id: str, version: str) -> Bank | None:
    banks = app_banks()
    return banks.get(bank_id, version) if banks.has(bank_id, version) else None


@bp.route("/upgrades/<int:upgrade_id>")
@login_required
def done(assessment_id: str, upgrade_id: int) -> str:
    """The new and changed questions of an upgrade, with links to their pages,
    and the old answers that were not carried over."""
    assessment = own_assessment(assessment_id)
    try:
        record = get_upgrade(db(), assessment, upgrade_id)
    except UpgradeNotFound:
        abort(404)
    new_bank = _installed(assessment.bank_id, record.to_version)
    old_bank = _installed(assessment.bank_id, record.from_version)
    lang = assessment.language
    rows: dict[str, list[dict[str, Any]]] = {"new": [], "changed": [], "removed": []}
    for change in record.changes:
        bank = old_bank if change["change"] == "removed" else new_bank
        question_id = change["question_id"]
        known = bank is not None and bank.has_question(question_id)
        section_known = bank is not None and bank.has_section(change["section_id"])
        rows.setdefault(change["change"], []).append(
            {
                "id": question_id,
                "text": bank.question(question_id).text.get_text(lang)
                if bank is not None and known
                else question_id,
                "section_id": change["section_id"],
                "section": bank.section(change["section_id"]).title.get_text(lang)
                if bank is not None and section_known
                else change["section_id"],
                "old_value": change.get("old_value"),
                "old_note": change.get("old_note"),
                "link": change["change"] != "removed"
                and assessment.bank_version == record.to_version
                and section_known
                and not assessment.is_submitted,
            }
        )
    return render_template(
        "upgrades/done.html", assessment=assessment, record=record, rows=rows, lang=lang
    )
