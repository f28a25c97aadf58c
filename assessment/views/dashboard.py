"""The organisation's list of assessments, and starting a new one."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from assessment.access import app_bank, app_banks, db, login_required, require_user
from assessment.forms import NewAssessmentForm
from assessment.services.assessments import (
    create_assessment,
    list_for_organisation,
    programme_types_question,
    visibility_of,
)

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@login_required
def index() -> str:
    user = require_user()
    banks = app_banks()
    rows = []
    for assessment in list_for_organisation(db(), user.organisation_id):
        installed = banks.has(assessment.bank_id, assessment.bank_version)
        rows.append(
            {
                "assessment": assessment,
                "progress": visibility_of(
                    assessment, banks.get(assessment.bank_id, assessment.bank_version)
                ).percent
                if installed
                else None,
                "older": not banks.is_current(assessment.bank_id, assessment.bank_version),
            }
        )
    return render_template("dashboard/index.html", rows=rows, current=banks.current)


@bp.route("/assessments/new", methods=["GET", "POST"])
@login_required
def new() -> str | Response:
    bank = app_bank()
    types_question = programme_types_question(bank)
    form = NewAssessmentForm()
    form.programme_types.choices = [
        SelectChoice(o.value, o.label.get_text())
        for o in types_question.options
        if o.value != "unknown"
    ]
    if form.validate_on_submit():
        chosen = [c for c in form.programme_types.data or [] if types_question.option(c)]
        if not chosen:
            form.programme_types.errors.append("Choose at least one kind of surveillance.")
        else:
            assessment = create_assessment(
                db(), bank, require_user(), form.title.data, form.programme.data or "", chosen
            )
            first = bank.sections[0].id
            return redirect(
                url_for("wizard.section", assessment_id=assessment.uuid, section_id=first)
            )
    return render_template("dashboard/new.html", form=form)
