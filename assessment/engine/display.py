"""Human-readable answers, shared by the review page and the report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assessment.engine.answers import OTHERS_NOT_KNOWN
from assessment.engine.bank import STATUS_PLANNED, Bank, Practice, Question, QuestionType, Text

#: What follows the chosen options of an open list ("Camera, Phone, and others
#: not known"), in English: a msgid of the report's catalogue, translated by
#: the callers that show answers in another language (see
#: :func:`assessment.report.i18n.answer_text`).
OTHERS_NOT_KNOWN_TEXT = "and others not known"
DISPLAY_LABELS = {OTHERS_NOT_KNOWN: OTHERS_NOT_KNOWN_TEXT}


def question_text(question: Question, status: str | None) -> Text:
    """The wording to show: ``planned_text`` for a ``practice: design`` question
    of a programme whose status is ``"planned"``, else ``text``."""
    if status == STATUS_PLANNED and question.practice is Practice.DESIGN:
        return question.planned_text
    return question.text


def wording(question: Question, bank: Bank, answers: Mapping[str, Any], language: str) -> str:
    """The text of ``question`` to show, in ``language``, for the programme status
    that ``answers`` give (see :func:`question_text`)."""
    status_question = bank.role("status")
    status = answers.get(status_question) if status_question else None
    return question_text(question, status if isinstance(status, str) else None).get_text(language)


def format_value(
    question: Question, value: Any, language: str = "en", others: str = OTHERS_NOT_KNOWN_TEXT
) -> str:
    """``value`` as the words the user chose or typed (option labels, not
    codes); an open list ends with ``others`` (", and others not known")."""
    if question.type is QuestionType.GROUP:
        rows = []
        for row in value or []:
            parts = [
                f"{field.text.get_text(language)}: "
                f"{format_value(field, row[field.id], language, others)}"
                for field in question.fields
                if field.id in row
            ]
            rows.append("; ".join(parts))
        return "\n".join(rows)
    if question.is_choice:
        items = value if isinstance(value, list) else [value]
        labels = []
        for item in items:
            if item == OTHERS_NOT_KNOWN:
                continue
            option = question.option(str(item))
            labels.append(option.label.get_text(language) if option else str(item))
        if OTHERS_NOT_KNOWN in items:
            labels.append(others)
        return ", ".join(labels)
    if question.type is QuestionType.NUMBER and isinstance(value, int | float):
        return format_number(value, language)
    return str(value)


def option_label(bank: Bank, question_id: str, value: Any, language: str = "en") -> str | None:
    """The label, in ``language``, of the option ``value`` of a choice
    question, as a condition names it (``includes: live_fr``); ``None`` if
    ``question_id`` is not a choice question of ``bank`` or has no such option."""
    if not bank.has_question(question_id):
        return None
    question = bank.question(question_id)
    option = question.option(str(value)) if question.is_choice else None
    return option.label.get_text(language) if option is not None else None


#: The decimal sign of each language that does not write a point.
DECIMAL_SIGNS = {"ru": ","}


def format_number(value: float, language: str = "en") -> str:
    """``value`` as written in ``language``: thousands apart by a narrow no-break
    space (U+202F) and the language's decimal sign ("170\u202f000.5" in English,
    "170\u202f000,5" in Russian)."""
    text = f"{value:,}".replace(",", "\u202f")
    return text.replace(".", DECIMAL_SIGNS.get(language, "."))
