"""Answers and the validation of answer values against their question.

An answer's ``value`` is JSON data whose shape depends on the question type:

==================  ==========================================
single_choice       option value (str)
multiple_choice     list of option values (non-empty, no repeats); a
                    question that allows "not known" may end the list
                    with :data:`OTHERS_NOT_KNOWN`: "these, and others
                    not known" (an *open* list)
yes_no_unknown      "yes", "no" or "unknown"
scale4              1, 2, 3 or 4 (int), or "unknown"
short_text          str (at most ``max_length``, default 200)
long_text           str (at most ``max_length``, default 20 000)
number              int or float within ``minimum`` / ``maximum``
date                ISO date "YYYY-MM-DD"
group               list of rows, each a mapping field id -> value
==================  ==========================================

:func:`check_value` is the single place that decides whether a value is valid;
the web forms and the JSON import both call it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from assessment.engine.bank import (
    NOT_APPLICABLE,
    UNKNOWN,
    Confidence,
    Question,
    QuestionType,
)
from assessment.engine.inputs import (
    NumberRejected,
    number_text,
    read_number,
    unstorable_code,
)

SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 20_000
NOTE_MAX = 5_000
SOURCE_MAX = 2_000
YES_NO_UNKNOWN = ("yes", "no", UNKNOWN)
OTHERS_NOT_KNOWN = "+others"
"""The last item of an open multiple-choice answer: the options before it
apply, and others may too, not known which.  No option can have this value
(the bank's option values are lower-case letters, digits and underscores)."""
SCALE_LEVELS = (1, 2, 3, 4)


class AnswerValueError(ValueError):
    """A value that does not fit its question; the message is for the user.

    ``message`` is the English text, a template with ``%(name)s`` placeholders
    filled from ``values`` (numbers, texts, or another :class:`AnswerValueError`
    or :class:`~assessment.engine.inputs.NumberRejected` for a message inside
    this one).  ``str()`` gives the message filled in English (a nested number
    message in the language the number was read in); the web layer translates
    ``message`` and formats ``values`` in the interface language
    (:func:`assessment.i18n.engine_message`).  The engine knows no Flask.
    """

    def __init__(self, message: str, **values: Any) -> None:
        self.message = message
        self.values = values
        filled = {name: _plain(value) for name, value in values.items()}
        super().__init__(message % filled if values else message)


def _plain(value: Any) -> str:
    """A message value as English text: numbers as plain digits."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class Answer:
    """One stored answer with the assessor's metadata about it.

    ``confidential`` marks the note and source as not for the public edition
    of the report.
    """

    question_id: str
    value: Any
    note: str = ""
    source: str = ""
    confidence: Confidence | None = None
    confidential: bool = False


def _check_single(question: Question, value: Any) -> Any:
    if not isinstance(value, str) or question.option(value) is None:
        raise AnswerValueError("Choose one of the listed options.")
    return value


def allows_others_not_known(question: Question) -> bool:
    """Whether ``question`` may be answered "these, and others not known": a
    multiple-choice question that allows "not known"."""
    return question.type is QuestionType.MULTIPLE_CHOICE and question.option(UNKNOWN) is not None


def is_open_list(value: Any) -> bool:
    """Whether ``value`` is an open multiple-choice answer ("these, and
    others not known")."""
    return isinstance(value, list) and OTHERS_NOT_KNOWN in value


def chosen_options(value: Any) -> Any:
    """``value`` without the "and others not known" mark: the options chosen
    (the value itself when it is not a list)."""
    if not isinstance(value, list):
        return value
    return [item for item in value if item != OTHERS_NOT_KNOWN]


def _check_multiple(question: Question, value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise AnswerValueError("Choose at least one of the listed options.")
    if len(set(map(str, value))) != len(value):
        raise AnswerValueError("An option was chosen twice.")
    opened = OTHERS_NOT_KNOWN in value
    if opened and not allows_others_not_known(question):
        raise AnswerValueError("This question cannot be answered 'and others not known'.")
    value = chosen_options(value)
    if opened and not value:
        raise AnswerValueError(
            "Choose the options you know of with 'And others not known', or choose 'Not known'."
        )
    for item in value:
        if not isinstance(item, str) or question.option(item) is None:
            raise AnswerValueError("'%(item)s' is not one of the listed options.", item=item)
    if UNKNOWN in value and (len(value) > 1 or opened):
        raise AnswerValueError("'Not known' cannot be combined with other options.")
    if NOT_APPLICABLE in value and (len(value) > 1 or opened):
        raise AnswerValueError("'Does not apply' cannot be combined with other options.")
    order = [option.value for option in question.options]
    return sorted(value, key=order.index) + ([OTHERS_NOT_KNOWN] if opened else [])


def _allows_not_applicable(question: Question, value: Any) -> bool:
    return bool(value == NOT_APPLICABLE and question.option(NOT_APPLICABLE) is not None)


def _check_yes_no(question: Question, value: Any) -> Any:
    if _allows_not_applicable(question, value):
        return value
    if value not in YES_NO_UNKNOWN:
        raise AnswerValueError("Answer yes, no or not known.")
    return value


def _check_scale(question: Question, value: Any) -> Any:
    if value == UNKNOWN or _allows_not_applicable(question, value):
        return value
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or value not in SCALE_LEVELS:
        raise AnswerValueError("Choose a level from 1 to 4, or not known.")
    return int(value)


def _text_checker(default_max: int) -> Callable[[Question, Any], Any]:
    def check(question: Question, value: Any) -> Any:
        if not isinstance(value, str):
            raise AnswerValueError("Enter text.")
        value = value.strip()
        if not value:
            raise AnswerValueError("Enter text.")
        limit = question.max_length or default_max
        if len(value) > limit:
            raise AnswerValueError(
                "Keep this under %(limit)s characters (now %(length)s).",
                limit=limit,
                length=len(value),
            )
        _check_storable(value)
        return value

    return check


def _check_number(question: Question, value: Any, language: str = "en") -> Any:
    if isinstance(value, str):
        try:
            value = read_number(value, language)
        except NumberRejected as error:
            raise AnswerValueError("%(error)s", error=error) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AnswerValueError("Enter a number, for example 170000 or 2.5.")
    if question.minimum is not None and value < question.minimum:
        raise AnswerValueError("Enter a number of at least %(minimum)s.", minimum=question.minimum)
    if question.maximum is not None and value > question.maximum:
        raise AnswerValueError("Enter a number of at most %(maximum)s.", maximum=question.maximum)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value


def _check_date(question: Question, value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise AnswerValueError("Enter a date as YYYY-MM-DD.")
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise AnswerValueError("Enter a real date as YYYY-MM-DD, e.g. 2020-03-30.") from None


def _check_group(question: Question, value: Any, language: str = "en") -> Any:
    if not isinstance(value, list):
        raise AnswerValueError("A repeatable group's answer is a list of rows.")
    rows: list[dict[str, Any]] = []
    for number, row in enumerate(value, start=1):
        if not isinstance(row, Mapping):
            raise AnswerValueError("Row %(row)s is not a set of fields.", row=number)
        unknown = set(row) - {field.id for field in question.fields}
        if unknown:
            raise AnswerValueError(
                "Row %(row)s has unknown fields: %(fields)s.",
                row=number,
                fields=", ".join(sorted(unknown)),
            )
        checked: dict[str, Any] = {}
        for field in question.fields:
            if field.id in row and row[field.id] not in (None, "", []):
                try:
                    checked[field.id] = check_value(field, row[field.id], language)
                except AnswerValueError as error:
                    raise AnswerValueError(
                        "Row %(row)s, %(field)s: %(error)s",
                        row=number,
                        field=field.text.get_text(language),
                        error=error,
                    ) from None
            elif field.required:
                raise AnswerValueError(
                    "Row %(row)s: %(field)s is required.",
                    row=number,
                    field=field.text.get_text(language),
                )
        if checked:
            rows.append(checked)
    if not rows:
        raise AnswerValueError("Add at least one row.")
    return rows


VALUE_CHECKERS: Mapping[QuestionType, Callable[[Question, Any], Any]] = {
    QuestionType.SINGLE_CHOICE: _check_single,
    QuestionType.MULTIPLE_CHOICE: _check_multiple,
    QuestionType.YES_NO_UNKNOWN: _check_yes_no,
    QuestionType.SCALE4: _check_scale,
    QuestionType.SHORT_TEXT: _text_checker(SHORT_TEXT_MAX),
    QuestionType.LONG_TEXT: _text_checker(LONG_TEXT_MAX),
    QuestionType.NUMBER: _check_number,
    QuestionType.DATE: _check_date,
    QuestionType.GROUP: _check_group,
}


def check_value(question: Question, value: Any, language: str = "en") -> Any:
    """Return ``value`` normalised for ``question`` (trimmed text, ISO date, int
    scale level, options in bank order).  A number typed as text is read as
    people write numbers in ``language``, the assessment's
    (:func:`~assessment.engine.inputs.read_number`): "170 000", "12,7 млн".

    Raises :class:`AnswerValueError` with a message fit to show the user.
    """
    try:
        checker = VALUE_CHECKERS[question.type]
    except KeyError:  # pragma: no cover - the loader rejects unknown types
        raise AnswerValueError("unsupported question type %(type)s", type=question.type) from None
    if question.type is QuestionType.NUMBER:
        return _check_number(question, value, language)
    if question.type is QuestionType.GROUP:
        return _check_group(question, value, language)
    return checker(question, value)


UNSTORABLE_MESSAGES: Final = {
    "This text": "This text contains a character that cannot be stored: %(code)s (%(kind)s). "
    "Remove it and try again.",
    "The note": "The note contains a character that cannot be stored: %(code)s (%(kind)s). "
    "Remove it and try again.",
    "The source": "The source contains a character that cannot be stored: %(code)s (%(kind)s). "
    "Remove it and try again.",
}
"""The message for text the database cannot store, by what holds it; ``kind``
is a message of its own (a NUL character, half of a surrogate pair)."""


def unstorable_error(text: str, what: str = "This text") -> AnswerValueError | None:
    """The error for ``text`` (``what``: a key of :data:`UNSTORABLE_MESSAGES`)
    if it holds a character the database cannot store, else ``None``."""
    found = unstorable_code(text)
    if found is None:
        return None
    code, kind = found
    return AnswerValueError(UNSTORABLE_MESSAGES[what], code=code, kind=AnswerValueError(kind))


def _check_storable(text: str, what: str = "This text") -> None:
    """Raises :class:`AnswerValueError` if the database cannot store ``text``."""
    error = unstorable_error(text, what)
    if error is not None:
        raise error


def check_metadata(note: Any, source: Any, confidence: Any) -> tuple[str, str, Confidence | None]:
    """Validate an answer's note, source and confidence.

    Raises :class:`AnswerValueError` on a wrong type, an over-long text, a
    character the database cannot store or an unknown confidence level.
    """
    if not isinstance(note, str) or not isinstance(source, str):
        raise AnswerValueError("Note and source must be text.")
    if len(note) > NOTE_MAX:
        raise AnswerValueError("Keep the note under %(limit)s characters.", limit=NOTE_MAX)
    if len(source) > SOURCE_MAX:
        raise AnswerValueError("Keep the source under %(limit)s characters.", limit=SOURCE_MAX)
    _check_storable(note, "The note")
    _check_storable(source, "The source")
    if confidence in (None, ""):
        return note.strip(), source.strip(), None
    try:
        level = Confidence(confidence)
    except ValueError:
        allowed = ", ".join(level.value for level in Confidence)
        raise AnswerValueError("Confidence must be one of: %(allowed)s.", allowed=allowed) from None
    return note.strip(), source.strip(), level


def is_unknown(value: Any) -> bool:
    """Whether ``value`` is the explicit "not known" answer."""
    return bool(value == UNKNOWN or value == [UNKNOWN])


def is_not_applicable(value: Any) -> bool:
    """Whether ``value`` is the explicit "does not apply" answer."""
    return bool(value == NOT_APPLICABLE or value == [NOT_APPLICABLE])
