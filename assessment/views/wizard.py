"""The wizard: one section per page, and the review page (the workflow's
steps are in :mod:`assessment.views.workflow`).

Every POST stores that page's valid answers at once.  Which questions show
is decided on the server from the stored answers, so the wizard needs no
JavaScript: when an answer makes new questions appear on the same page, the
page is shown again with them instead of moving on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from assessment.access import app_bank, app_config, db, login_required, require_user
from assessment.engine.answers import (
    OTHERS_NOT_KNOWN,
    AnswerValueError,
    allows_others_not_known,
    is_unknown,
)
from assessment.engine.bank import Bank, Question, QuestionType
from assessment.engine.progress import Visibility
from assessment.forms import (
    SectionForm,
    field_name,
    form_data_for,
    make_section_form,
    read_answer,
)
from assessment.i18n import confidence_labels, engine_message
from assessment.models import Assessment
from assessment.report.i18n import answer_text
from assessment.services.assessments import (
    AssessmentLocked,
    SubmittedAnswer,
    answers_of,
    save_answers,
    take_for_writing,
    visibility_of,
)
from assessment.services.comments import threads
from assessment.services.evidence import by_question as evidence_by_question
from assessment.services.evidence import megabytes
from assessment.services.results import findings_of
from assessment.services.summaries import store_summary
from assessment.services.workflow import locked_message, pending_changes, workflow_state
from assessment.views.common import own_assessment, pinned_bank

bp = Blueprint("wizard", __name__, url_prefix="/assessments/<assessment_id>")


def _neighbours(visibility: Visibility, section_id: str) -> tuple[str | None, str | None]:
    ids = [p.section.id for p in visibility.sections]
    index = ids.index(section_id)
    previous = ids[index - 1] if index > 0 else None
    following = ids[index + 1] if index + 1 < len(ids) else None
    return previous, following


def _asked_at_start(bank: Bank) -> frozenset[str]:
    """The questions the new-assessment page asks (and stores the answers to):
    the kinds of surveillance involved, the bank's ``programme_types`` role."""
    question_id = bank.role("programme_types")
    return frozenset({question_id} if question_id else ())


def _split(
    bank: Bank, visible: tuple[Question, ...], answered: Mapping[str, Any]
) -> tuple[tuple[Question, ...], tuple[Question, ...]]:
    """(the questions the section asks, those answered on the new-assessment
    page that it shows as answered instead).  ``?change=<question id>`` asks
    one of the latter again, so that its answer can be changed."""
    change = request.args.get("change")
    given = tuple(
        q for q in visible if q.id in _asked_at_start(bank) and q.id in answered and q.id != change
    )
    return tuple(q for q in visible if q not in given), given


def _remove_row(form: SectionForm, bank: Bank, questions: tuple[Question, ...]) -> str | None:
    """If the button pressed was a row's "Remove" (``remove-row:<question
    id>:<row index>``), take that row out of ``form``, leaving every other
    value as typed; returns the question's id (``None`` for another button)."""
    action = request.form.get("action", "")
    if not action.startswith("remove-row:"):
        return None
    question_id, _sep, index = action.removeprefix("remove-row:").rpartition(":")
    if not (index.isdigit() and bank.has_question(question_id)):
        return None
    question = bank.question(question_id)
    if question.type is not QuestionType.GROUP or question not in questions:
        return None
    rows = form.question_fields(question).value
    if int(index) < len(rows.entries):
        del rows.entries[int(index)]
        rows.last_index = len(rows.entries) - 1
        if not rows.entries:  # a table always shows a row to type in
            rows.append_entry()
    return question_id


def _new_row_index(value: Any) -> int:
    """Which row of a group a section page shows blank for a new row: the one
    after the stored rows (:func:`~assessment.forms.form_data_for` adds it)."""
    return len(value) if isinstance(value, list) else 0


def _stored_form(
    assessment: Assessment,
    form_class: type[SectionForm],
    questions: tuple[Question, ...],
    stored: Mapping[str, Any],
) -> SectionForm:
    """``form_class`` (of ``questions``) filled with the ``stored`` answers, at
    the assessment's current revision, as a page is loaded."""
    form = form_class(formdata=None, data=form_data_for(stored, questions, assessment.language))
    form.base_revision.data = str(assessment.revision)
    return form


def _render_section(
    assessment: Assessment,
    bank: Bank,
    visibility: Visibility,
    section_id: str,
    form: SectionForm,
    questions: tuple[Question, ...],
    *,
    status: int = 200,
    notice: str | None = None,
    evidence_error: tuple[str, str] | None = None,
    new_questions: frozenset[str] = frozenset(),
    given: tuple[Question, ...] = (),
    focus_row: str | None = None,
) -> tuple[str, int]:
    """The section page; ``new_questions`` are the ids of the questions an
    answer just brought up, marked "New" on the page; ``given`` those answered
    on the new-assessment page, shown with their answer and a link to change it;
    ``focus_row`` a group whose last row (the one just added) gets the focus."""
    previous, following = _neighbours(visibility, section_id)
    config = app_config()
    stored = visibility.answers
    html = render_template(
        "wizard/section.html",
        assessment=assessment,
        bank=bank,
        section=bank.section(section_id),
        visibility=visibility,
        form=form,
        fields=[form.question_fields(q) for q in questions],
        previous=previous,
        following=following,
        notice=notice,
        pending=pending_changes(assessment),
        lang=assessment.language,
        current_bank=app_bank(),
        evidence=evidence_by_question(assessment),
        evidence_error=evidence_error,
        evidence_limit=megabytes(config.evidence_file_max_bytes),
        comment_threads=threads(db(), assessment, [q.id for q in (*questions, *given)]),
        new_questions=new_questions,
        openable=frozenset(q.id for q in questions if allows_others_not_known(q)),
        given=[
            {
                "question": q,
                "shown": answer_text(q, stored[q.id], assessment.language),
                "change": url_for(
                    "wizard.section",
                    assessment_id=assessment.uuid,
                    section_id=section_id,
                    change=q.id,
                    _anchor=q.id,
                ),
            }
            for q in given
            if q.id in stored
        ],
        others_not_known=OTHERS_NOT_KNOWN,
        focus_row=focus_row,
    )
    return html, status


def stored_section_page(
    assessment: Assessment,
    section_id: str,
    *,
    status: int = 200,
    evidence_error: tuple[str, str] | None = None,
) -> Response | tuple[str, int]:
    """The section page with the stored answers (as a GET shows it), e.g.
    after an evidence upload was refused; ``evidence_error`` is (question id,
    message).  The review page if the section no longer applies."""
    bank = pinned_bank(assessment)
    stored = answers_of(assessment)
    visibility = visibility_of(assessment, bank, stored)
    progress = visibility.section_progress(section_id)
    if progress is None:
        if evidence_error:
            flash(evidence_error[1])
        return redirect(url_for("wizard.review", assessment_id=assessment.uuid))
    questions, given = _split(bank, progress.visible, stored)
    form_class = make_section_form(questions, assessment.language)
    form = _stored_form(assessment, form_class, questions, stored)
    return _render_section(
        assessment,
        bank,
        visibility,
        section_id,
        form,
        questions,
        status=status,
        notice=_("The file was not attached.") if evidence_error and status != 409 else None,
        evidence_error=evidence_error,
        given=given,
    )


def _refused_as_submitted(
    assessment: Assessment,
    bank: Bank,
    visibility: Visibility,
    section_id: str,
    form: SectionForm,
    questions: tuple[Question, ...],
    given: tuple[Question, ...] = (),
) -> tuple[str, int]:
    """409: the page again, with what the user typed, saying why nothing was saved."""
    form.base_revision.data = str(assessment.revision)
    return _render_section(
        assessment,
        bank,
        visibility,
        section_id,
        form,
        questions,
        status=409,
        notice=locked_message(assessment.status),
        given=given,
    )


@bp.route("/sections/<section_id>", methods=["GET", "POST"])
@login_required
def section(assessment_id: str, section_id: str) -> Any:
    assessment = own_assessment(assessment_id)
    bank = pinned_bank(assessment)
    if not bank.has_section(section_id):
        abort(404)
    if request.method == "POST":
        # Take it for writing first, so that its answers are read once, as the save finds them.
        take_for_writing(db(), assessment)
    stored = answers_of(assessment)
    visibility = visibility_of(assessment, bank, stored)
    progress = visibility.section_progress(section_id)
    if progress is None:
        flash(_("That section does not apply to this assessment."))
        return redirect(url_for("wizard.review", assessment_id=assessment.uuid))
    shown_before = progress.visible
    questions, given = _split(bank, shown_before, stored)
    form_class = make_section_form(questions, assessment.language)

    if request.method == "GET":
        form = _stored_form(assessment, form_class, questions, stored)
        added = request.args.get("added")
        added = added if added and any(q.id == added for q in questions) else None
        return _render_section(
            assessment,
            bank,
            visibility,
            section_id,
            form,
            questions,
            given=given,
            focus_row=added,
            notice=_("Saved. A new row was added.") if added else None,
        )

    form = form_class()
    form.validate()  # CSRF is checked before the view runs; field values by the engine below
    removed = _remove_row(form, bank, questions)
    if assessment.is_submitted:
        return _refused_as_submitted(
            assessment, bank, visibility, section_id, form, questions, given
        )
    submitted: dict[str, SubmittedAnswer] = {}
    errors: dict[str, list[str]] = {}
    for question in questions:
        fields = form.question_fields(question)
        try:
            submitted[question.id] = read_answer(fields, assessment.language)
        except AnswerValueError as error:
            errors[question.id] = [engine_message(error)]
    try:  # without the revision the page was loaded at, assume the oldest: never overwrite blindly
        base_revision = int(form.base_revision.data or 0)
    except ValueError:
        base_revision = 0
    try:
        result = save_answers(
            db(), assessment, require_user(), submitted, base_revision, section_id, taken=True
        )
    except AssessmentLocked:  # submitted (or more) by someone else while this page was saved
        return _refused_as_submitted(
            assessment, bank, visibility, section_id, form, questions, given
        )
    if result.changed:  # one scoring of the saved answers: the summary's and the next page's
        visibility = store_summary(db(), assessment, bank).visibility
    for question_id, theirs in result.conflicts.items():
        shown = answer_text(bank.question(question_id), theirs.value, assessment.language)
        errors.setdefault(question_id, []).append(
            _(
                "Someone else changed this answer while you were editing; it now reads:"
                " %(shown)s. Your version is kept below: save again to replace theirs.",
                shown=shown,
            )
        )

    progress = visibility.section_progress(section_id)
    now_visible, given = _split(bank, progress.visible if progress else (), visibility.answers)
    appeared = [q for q in now_visible if q not in shown_before]
    action = request.form.get("action", "continue")
    add_row = action.removeprefix("add-row:") if action.startswith("add-row:") else None
    if errors or appeared:
        form = make_section_form(now_visible, assessment.language)()
        form.validate()
        _remove_row(form, bank, now_visible)
        if add_row and bank.has_question(add_row) and bank.question(add_row) in now_visible:
            form.question_fields(bank.question(add_row)).value.append_entry()
        for question_id, messages in errors.items():
            if progress is not None and any(q.id == question_id for q in now_visible):
                form.question_fields(bank.question(question_id)).value.errors = messages
        form.base_revision.data = str(assessment.revision)
        if errors:
            notice = _("Some answers need attention; the others were saved.")
            status = 409 if result.conflicts else 422
        else:
            notice = _("Your answers brought up further questions on this page.")
            status = 200
        return _render_section(
            assessment,
            bank,
            visibility,
            section_id,
            form,
            now_visible,
            status=status,
            notice=notice,
            new_questions=frozenset(q.id for q in appeared),
            given=given,
            focus_row=add_row if add_row and not errors else None,
        )

    if add_row and any(q.id == add_row for q in now_visible):
        # Back to the page at the new blank row, whose first field takes the focus
        # (the fragment names that field: Chromium ignores autofocus when the
        # fragment names any other element).
        index = _new_row_index(visibility.answers.get(add_row))
        first = bank.question(add_row).fields[0].id
        return redirect(
            url_for(
                "wizard.section",
                assessment_id=assessment.uuid,
                section_id=section_id,
                added=add_row,
                _anchor=f"{field_name(add_row)}-{index}-{first}",
            )
        )
    if removed is not None:
        flash(_("The row was removed; your other answers are saved."))
        return redirect(
            url_for(
                "wizard.section",
                assessment_id=assessment.uuid,
                section_id=section_id,
                _anchor=removed,
            )
        )

    if action == "exit":
        flash(_("Your answers are saved."))
        return redirect(url_for("dashboard.index"))
    if progress is None:
        return redirect(url_for("wizard.review", assessment_id=assessment.uuid))
    previous, following = _neighbours(visibility, section_id)
    if action == "back":
        target = previous or section_id
        return redirect(url_for("wizard.section", assessment_id=assessment.uuid, section_id=target))
    if following is None:
        return redirect(url_for("wizard.review", assessment_id=assessment.uuid))
    return redirect(url_for("wizard.section", assessment_id=assessment.uuid, section_id=following))


@bp.route("/review")
@login_required
def review(assessment_id: str) -> str:
    assessment = own_assessment(assessment_id)
    return _render_review(assessment, pinned_bank(assessment))


def _render_review(assessment: Assessment, bank: Bank) -> str:
    """A summary first (the level, how much is answered, what is still open
    and where), the result (the report's figures, from one scoring), then
    every answer, grouped by the assessment's parts, one collapsible section
    each."""
    findings = findings_of(assessment, bank)
    visibility = findings.visibility
    stored = answers_of(assessment)
    lang = assessment.language
    comment_threads = threads(db(), assessment)
    sections = [
        {
            "progress": progress,
            "missing": sum(1 for q in progress.visible if q.required and q.id not in stored),
            "unknown": sum(
                1 for q in progress.visible if q.id in stored and is_unknown(stored[q.id].value)
            ),
            "open_comments": sum(
                1
                for q in progress.visible
                for root in comment_threads.get(q.id, [])
                if not root.resolved
            ),
            "rows": [
                {
                    "question": question,
                    "answer": stored.get(question.id),
                    "shown": answer_text(question, stored[question.id].value, lang)
                    if question.id in stored
                    else None,
                }
                for question in progress.visible
            ],
        }
        for progress in visibility.sections
    ]
    parts = [
        {"module": module, "sections": group}
        for module in bank.modules
        if (
            group := [
                shown
                for shown, progress in zip(sections, visibility.sections, strict=True)
                if progress.section.module_id == module.id
            ]
        )
    ]
    return render_template(
        "wizard/review.html",
        assessment=assessment,
        bank=bank,
        visibility=visibility,
        findings=findings.context,
        sections=sections,
        parts=parts,
        answered=sum(p.answered for p in visibility.sections),
        applicable=sum(p.total for p in visibility.sections),
        attention=[s for s in sections if s["missing"] or s["unknown"] or s["open_comments"]],
        missing=visibility.missing_required(),
        confidence_labels=confidence_labels(),
        workflow=workflow_state(db(), assessment),
        lang=lang,
        current_bank=app_bank(),
        evidence=evidence_by_question(assessment),
        comment_threads=comment_threads,
    )
