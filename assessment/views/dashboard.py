"""The organisation's list of assessments, and starting a new one."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from assessment.forms import NewAssessmentForm
from assessment.services.assessments import (
    PROGRAMME_TYPES_QUESTION,
    create_assessment,
    is_pinned,
    list_for_organisation,
    visibility_of,
)
from assessment.web import app_bank, db, login_required, require_user

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@login_required
def index() -> str:
    user = require_user()
    bank = app_bank()
    rows = []
    for assessment in list_for_organisation(db(), user.organisation_id):
        rows.append(
            {
                "assessment": assessment,
                "progress": visibility_of(assessment, bank).percent
                if is_pinned(assessment, bank)
                else None,
            }
        )
    return render_template("dashboard/index.html", rows=rows)


@bp.route("/assessments/new", methods=["GET", "POST"])
@login_required
def new() -> str | Response:
    bank = app_bank()
    types_question = bank.question(PROGRAMME_TYPES_QUESTION)
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
