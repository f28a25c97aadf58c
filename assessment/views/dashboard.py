"""The organisation's list of assessments, and starting a new one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from assessment.access import (
    Permission,
    app_bank,
    app_banks,
    current_user,
    db,
    login_required,
    may,
    require_user,
)
from assessment.engine.scoring import IMPACT_NUMERALS, RECOMMENDATION_LABELS
from assessment.forms import DashboardFilterForm, NewAssessmentForm
from assessment.i18n import LANGUAGES, interface_language, ui_status_label
from assessment.services.assessments import (
    create_assessment,
    programme_types_question,
)
from assessment.services.results import (
    DashboardFilters,
    dashboard_page,
    sort_key,
    statuses_of,
)

bp = Blueprint("dashboard", __name__)


def _filter_form(statuses: list[str]) -> DashboardFilterForm:
    """The search and filter form, read from the query string, with its choices."""
    form = DashboardFilterForm(request.args)
    form.status.choices = [SelectChoice("", _("Any status"))] + [
        SelectChoice(s, ui_status_label(s)) for s in statuses
    ]
    form.level.choices = [SelectChoice("", _("Any level"))] + [
        SelectChoice(str(n), numeral) for n, numeral in IMPACT_NUMERALS.items()
    ]
    form.recommendation.choices = [SelectChoice("", _("Any recommendation"))] + [
        SelectChoice(value, _(label)) for value, label in RECOMMENDATION_LABELS.items()
    ]
    types_question = programme_types_question(app_bank())
    form.type.choices = [SelectChoice("", _("Any kind"))] + [
        SelectChoice(o.value, o.label.get_text(interface_language()))
        for o in types_question.options
        if o.value != "unknown"
    ]
    return form


#: The dashboard's columns: (heading, the order its link asks for; ``None``: none).
COLUMNS = (
    (_l("Title"), "title"),
    (_l("Programme"), None),
    (_l("Status"), "status"),
    (_l("Impact level"), "level"),
    (_l("Recommendation"), None),
    (_l("Progress"), None),
    (_l("Reassessment due"), "reassessment"),
    (_l("Last change"), "updated"),
)
#: Orders that start from the largest value when their heading is first chosen.
DESCENDING_FIRST = frozenset({"updated", "level"})


def _headings(sort: str, link_args: dict[str, Any]) -> list[dict[str, Any]]:
    """Each column heading with, for a sortable one, the link that sorts by
    it (the other way round if it is the current order) and its aria-sort."""
    headings = []
    for label, key in COLUMNS:
        heading: dict[str, Any] = {"label": label, "url": None, "aria_sort": None}
        if key is not None:
            if sort.removeprefix("-") == key:
                descending = sort.startswith("-")
                heading["aria_sort"] = "descending" if descending else "ascending"
                target = key if descending else f"-{key}"
            else:
                target = f"-{key}" if key in DESCENDING_FIRST else key
            heading["url"] = url_for("dashboard.index", **{**link_args, "sort": target})
        headings.append(heading)
    return headings


def _page_number(text: str | None) -> int:
    try:
        return max(1, int(text or "1"))
    except ValueError:
        return 1


@bp.route("/")
def index() -> str:
    """For a visitor who is not signed in, the landing page: what the tool is,
    for whom, what it does with their data, and the way to sign in, sign up or
    verify a report.  For a member (403 without the READ permission), the
    organisation's assessments with their result, a page at a time,
    narrowed by the GET form's search and filters and ordered by a column
    heading's link; the links to other pages and orders keep the search and
    filters.  A filter with a value that is not one of its choices is named
    in a message and not applied; the search text is kept."""
    visitor = current_user()
    if visitor is None:
        return render_template("landing/index.html")
    if not may(visitor, Permission.READ):
        abort(403)
    user = require_user()
    form = _filter_form(statuses_of(db(), user.organisation_id))
    valid = form.validate()
    if not valid:
        for name in form.errors:
            if name != "q":
                getattr(form, name).data = ""
    filters = DashboardFilters(
        search=(form.q.data or "") if not form.q.errors else "",
        status=form.status.data or "",
        level=int(form.level.data) if form.level.data else None,
        recommendation=form.recommendation.data or "",
        programme_type=form.type.data or "",
    )
    sort = sort_key(request.args.get("sort", ""))
    page = dashboard_page(
        db(),
        user.organisation_id,
        app_banks(),
        filters,
        sort=sort,
        page=_page_number(request.args.get("page")),
    )
    narrowed = filters != DashboardFilters()
    type_labels = {str(c.value): c.label for c in form.type.choices}
    link_args = {
        name: value
        for name, value in (
            ("q", filters.search),
            ("status", filters.status),
            ("level", str(filters.level) if filters.level is not None else ""),
            ("recommendation", filters.recommendation),
            ("type", filters.programme_type),
        )
        if value
    }
    sorted_args: dict[str, Any] = {**link_args, "sort": page.sort}
    return render_template(
        "dashboard/index.html",
        page=page,
        rows=page.rows,
        form=form,
        narrowed=narrowed,
        type_labels=type_labels,
        headings=_headings(page.sort, link_args),
        sort=page.sort,
        previous_url=url_for("dashboard.index", **sorted_args, page=page.number - 1)
        if page.number > 1
        else None,
        next_url=url_for("dashboard.index", **sorted_args, page=page.number + 1)
        if page.number < page.pages
        else None,
        current=app_banks().current,
    )


@bp.route("/assessments/new", methods=["GET", "POST"])
@login_required
def new() -> str | Response:
    bank = app_bank()
    types_question = programme_types_question(bank)
    user = require_user()
    form = NewAssessmentForm(language=user.language if user.language in bank.languages else "en")
    form.language.choices = [
        SelectChoice(code, name) for code, name in LANGUAGES.items() if code in bank.languages
    ]
    form.programme_types.choices = [
        SelectChoice(o.value, o.label.get_text(interface_language()))
        for o in types_question.options
        if o.value != "unknown"
    ]
    if form.validate_on_submit():
        chosen = [c for c in form.programme_types.data or [] if types_question.option(c)]
        if not chosen:
            form.programme_types.errors.append(_("Choose at least one kind of surveillance."))
        else:
            assessment = create_assessment(
                db(),
                bank,
                user,
                form.title.data,
                form.programme.data or "",
                chosen,
                form.language.data,
            )
            first = bank.sections[0].id
            return redirect(
                url_for("wizard.section", assessment_id=assessment.uuid, section_id=first)
            )
    return render_template("dashboard/new.html", form=form)
