"""WTForms built from the question bank.

``FIELD_BUILDERS`` maps every question type to a builder; a type without one
is a start-up error (:func:`check_bank_supported`), never a silently missing
field.  Form fields only carry what the user typed; whether a value is valid
is decided by :func:`assessment.engine.answers.check_value`, the same check
the JSON import uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, DateInput, ListWidget, TextInput

from assessment.engine.answers import (
    NOTE_MAX,
    SOURCE_MAX,
    check_metadata,
    check_value,
    unstorable_error,
)
from assessment.engine.bank import CONFIDENCE_LABELS, Bank, Question, QuestionType
from assessment.engine.document import STATEMENT_MAX
from assessment.engine.inputs import number_text
from assessment.i18n import engine_message
from assessment.services.assessments import SubmittedAnswer
from assessment.services.comments import COMMENT_MAX
from assessment.services.results import SEARCH_MAX


class UnsupportedQuestionType(RuntimeError):
    """The bank uses a question type the web forms cannot show."""


class AppForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """The base of every form of the app.  Besides its fields' own validators,
    it refuses text the database cannot store (a NUL character, say) in any
    field, with a message next to that field; what was typed stays in the form.
    Passwords are exempt: they are hashed, never stored."""

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for field in _leaf_fields(self):
            message = _unstorable_in(field.data)
            if message is not None and not isinstance(field, PasswordField):
                field.errors = [*field.errors, message]
                valid = False
        return valid


def _leaf_fields(form: Iterable[Field]) -> Iterable[Field]:
    """The fields of ``form`` that hold values, also inside repeatable groups."""
    for field in form:
        if isinstance(field, FormField):
            yield from _leaf_fields(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                yield from _leaf_fields([entry])
        else:
            yield field


def _unstorable_in(data: Any) -> str | None:
    """The message for a field whose text (or any of its chosen values) the
    database cannot store."""
    texts = data if isinstance(data, list) else [data]
    for text in texts:
        if isinstance(text, str) and (error := unstorable_error(text)) is not None:
            return engine_message(error)
    return None


def _choices(question: Question, language: str) -> list[SelectChoice]:
    return [
        SelectChoice(option.value, option.label.get_text(language)) for option in question.options
    ]


def _radio(question: Question, language: str) -> Field:
    return RadioField(choices=_choices(question, language), validate_choice=False)


def _checkboxes(question: Question, language: str) -> Field:
    return SelectMultipleField(
        choices=_choices(question, language),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


def _short_text(question: Question, language: str) -> Field:
    return StringField(render_kw={"maxlength": question.max_length or 200})


def _long_text(question: Question, language: str) -> Field:
    return TextAreaField(render_kw={"rows": 5})


def _number(question: Question, language: str) -> Field:
    return StringField(widget=TextInput(), render_kw={"inputmode": "decimal"})


def _date(question: Question, language: str) -> Field:
    return StringField(widget=DateInput(), render_kw={"placeholder": "YYYY-MM-DD"})


def _row_select(question: Question, language: str) -> Field:
    return SelectField(
        choices=[SelectChoice("", "-"), *_choices(question, language)], validate_choice=False
    )


def _group(question: Question, language: str) -> Field:
    """A repeatable group: a list of row forms, one column per field.  Choice
    columns are drop-downs so that a row fits on one line."""
    columns: dict[str, Any] = {}
    for column in question.fields:
        if column.type is QuestionType.SINGLE_CHOICE:
            columns[column.id] = _row_select(column, language)
        elif column.type in FIELD_BUILDERS and column.type is not QuestionType.GROUP:
            columns[column.id] = FIELD_BUILDERS[column.type](column, language)
        else:
            raise UnsupportedQuestionType(f"{question.id}.{column.id}: {column.type}")
    row_form = type("RowForm", (Form,), columns)
    return FieldList(FormField(row_form), min_entries=1)


FieldBuilder = Callable[[Question, str], Field]
FIELD_BUILDERS: Mapping[QuestionType, FieldBuilder] = {
    QuestionType.SINGLE_CHOICE: _radio,
    QuestionType.MULTIPLE_CHOICE: _checkboxes,
    QuestionType.YES_NO_UNKNOWN: _radio,
    QuestionType.SCALE4: _radio,
    QuestionType.SHORT_TEXT: _short_text,
    QuestionType.LONG_TEXT: _long_text,
    QuestionType.NUMBER: _number,
    QuestionType.DATE: _date,
    QuestionType.GROUP: _group,
}


def check_bank_supported(bank: Bank) -> None:
    """Raises :class:`UnsupportedQuestionType` naming the first question whose
    type has no field builder."""
    for question in bank.questions:
        if question.type not in FIELD_BUILDERS:
            raise UnsupportedQuestionType(
                f"Question bank error: question {question.id} has type '{question.type}', "
                "which the web forms cannot show"
            )


def field_name(question_id: str) -> str:
    """The stable form-field name of a question (``cam.live`` -> ``q-cam.live``)."""
    return f"q-{question_id}"


@dataclass(frozen=True, slots=True)
class QuestionFields:
    """The form fields of one question: its answer and the metadata about it."""

    question: Question
    value: Field
    note: Field
    source: Field
    confidence: Field
    confidential: Field


class SectionForm(AppForm):
    base_revision = HiddenField()

    def question_fields(self, question: Question) -> QuestionFields:
        name = field_name(question.id)
        return QuestionFields(
            question,
            self[name],
            self[f"{name}-note"],
            self[f"{name}-source"],
            self[f"{name}-confidence"],
            self[f"{name}-confidential"],
        )


def make_section_form(questions: Iterable[Question], language: str) -> type[SectionForm]:
    """A form class with fields for ``questions``.

    Raises :class:`UnsupportedQuestionType` for a type without a builder.
    """
    attributes: dict[str, Any] = {}
    confidence_choices = [SelectChoice("", _l("Not stated"))] + [
        SelectChoice(level.value, gettext(label)) for level, label in CONFIDENCE_LABELS.items()
    ]
    for question in questions:
        try:
            builder = FIELD_BUILDERS[question.type]
        except KeyError:
            raise UnsupportedQuestionType(question.type) from None
        name = field_name(question.id)
        attributes[name] = builder(question, language)
        attributes[f"{name}-note"] = TextAreaField(render_kw={"rows": 2, "maxlength": NOTE_MAX})
        attributes[f"{name}-source"] = StringField(render_kw={"maxlength": SOURCE_MAX})
        attributes[f"{name}-confidence"] = RadioField(
            choices=confidence_choices, validate_choice=False, default=""
        )
        attributes[f"{name}-confidential"] = BooleanField()
    return type("BoundSectionForm", (SectionForm,), attributes)


def read_answer(fields: QuestionFields, language: str = "en") -> SubmittedAnswer:
    """The validated answer in ``fields``; an empty answer clears the question.
    Numbers are read as written in ``language``, the assessment's.

    Raises :class:`AnswerValueError` with the message to show next to the field.
    """
    raw = fields.value.data
    if fields.question.type is QuestionType.GROUP:
        raw = [
            {key: value for key, value in row.items() if value not in (None, "")}
            for row in raw or []
        ]
        raw = [row for row in raw if row]
    empty = raw is None or raw == "" or raw == [] or (isinstance(raw, str) and not raw.strip())
    note, source, confidence = check_metadata(
        fields.note.data or "", fields.source.data or "", fields.confidence.data or None
    )
    if empty:
        return SubmittedAnswer(None)
    value = check_value(fields.question, raw, language)
    return SubmittedAnswer(value, note, source, confidence, bool(fields.confidential.data))


def form_data_for(
    answers: Mapping[str, Any], questions: Iterable[Question], language: str = "en"
) -> dict[str, Any]:
    """Initial field data from stored answers (engine ``Answer`` objects);
    numbers as written in ``language``, so that they read back the same."""
    data: dict[str, Any] = {}
    for question in questions:
        answer = answers.get(question.id)
        if answer is None:
            continue
        name = field_name(question.id)
        value = answer.value
        if question.type is QuestionType.GROUP:
            data[name] = [{k: _field_text(v, language) for k, v in row.items()} for row in value]
            data[name].append({})
        elif isinstance(value, list):
            data[name] = [str(v) for v in value]
        else:
            data[name] = _field_text(value, language)
        data[f"{name}-note"] = answer.note
        data[f"{name}-source"] = answer.source
        data[f"{name}-confidence"] = answer.confidence.value if answer.confidence else ""
        data[f"{name}-confidential"] = answer.confidential
    return data


def _field_text(value: Any, language: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value, language)
    return str(value)


class LoginForm(AppForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class SignupForm(AppForm):
    organisation = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=200)])
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l(
            "Password: at least 12 characters, 15 or more recommended (a few unrelated words"
            " make a good one; up to 128 characters)"
        ),
        validators=[DataRequired(), Length(max=1024)],
    )


class NewAssessmentForm(AppForm):
    title = StringField(
        _l("Title of this assessment"), validators=[DataRequired(), Length(max=200)]
    )
    programme = StringField(_l("Programme assessed"), validators=[Length(max=200)])
    language = SelectField(_l("Language of the questions and the report"), validate_choice=True)
    programme_types = SelectMultipleField(
        _l("Kinds of surveillance involved"),
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class ActionForm(AppForm):
    """A form with nothing but the CSRF token, for POST-only buttons."""


class ApproveForm(FlaskForm):  # type: ignore[misc]
    """Approval with the sign-off printed on the report's cover."""

    position = StringField(
        _l("Your position (printed with your name)"), validators=[DataRequired(), Length(max=200)]
    )
    statement = TextAreaField(
        _l("Statement you sign"), validators=[DataRequired(), Length(max=STATEMENT_MAX)]
    )


class RequestChangesForm(FlaskForm):  # type: ignore[misc]
    changes = TextAreaField(
        _l("What should change (the editors see this)"),
        validators=[DataRequired(), Length(max=STATEMENT_MAX)],
    )


class IssueForm(FlaskForm):  # type: ignore[misc]
    reassess_by = DateField(
        _l("Reassess by (the date the programme is to be assessed again)"),
        validators=[DataRequired(message=_l("Give the reassessment date as YYYY-MM-DD."))],
    )


class DashboardFilterForm(Form):  # type: ignore[misc]  # WTForms' Form is untyped here too
    """The dashboard's search and filters: a GET form that only narrows what
    is shown, so it carries no CSRF token.  Choices are filled by the view."""

    q = StringField(_l("Search title or programme"), validators=[Length(max=SEARCH_MAX)])
    status = SelectField(_l("Status"), default="", validate_choice=True)
    level = SelectField(_l("Impact level"), default="", validate_choice=True)
    recommendation = SelectField(_l("Recommendation"), default="", validate_choice=True)
    type = SelectField(_l("Kind of surveillance"), default="", validate_choice=True)


ROLE_CHOICES = [
    SelectChoice("editor", _l("Editor: answers the questions")),
    SelectChoice("reviewer", _l("Reviewer: reads, comments, approves or requests changes")),
    SelectChoice("viewer", _l("Viewer: reads")),
    SelectChoice("owner", _l("Owner: manages members and share links, and may do everything")),
]


class InviteForm(FlaskForm):  # type: ignore[misc]
    email = StringField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="editor")


class RoleForm(FlaskForm):  # type: ignore[misc]
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class AcceptInvitationForm(FlaskForm):  # type: ignore[misc]
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(
        _l(
            "Password: at least 12 characters, 15 or more recommended (a few unrelated words"
            " make a good one; up to 128 characters)"
        ),
        validators=[DataRequired(), Length(max=1024)],
    )


class ChangePasswordForm(FlaskForm):  # type: ignore[misc]
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    password = PasswordField(
        _l(
            "New password: at least 12 characters, 15 or more recommended (a few unrelated"
            " words make a good one; up to 128 characters)"
        ),
        validators=[DataRequired(), Length(max=1024)],
    )


class ResetPasswordForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField(
        _l(
            "New password: at least 12 characters, 15 or more recommended (a few unrelated"
            " words make a good one; up to 128 characters)"
        ),
        validators=[DataRequired(), Length(max=1024)],
    )


class ShareLinkForm(AppForm):
    """A new share link.  Only the label is a form field: the validity and
    the edition are read and checked by the view and the service."""

    label = StringField(_l("For whom (optional)"), validators=[Length(max=200)])


class CommentForm(FlaskForm):  # type: ignore[misc]
    """A comment or a reply.  The text is checked by
    :func:`assessment.services.comments.check_text`, which says what is wrong."""

    text = TextAreaField(_l("Comment"), render_kw={"rows": 4, "maxlength": COMMENT_MAX})
