"""The sheets people use: the action plan and every answer as tables, in the
assessment's language, written out as CSV or as an XLSX workbook.

A :class:`Sheet` is plain strings built from the exchange document (no ORM
objects), like the report's context: bank texts come from the bank in the
assessment's language (``Text.get_text``), the column headings and the
engine's labels from the ``report`` catalogue (see docs/report-language.md).

Both writers neutralise spreadsheet formulas: a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so
that a note such as ``=HYPERLINK(...)`` is shown as text, never evaluated
(see docs/exports.md).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Final

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from assessment.engine.bank import CONFIDENCE_LABELS, Bank
from assessment.engine.display import wording
from assessment.engine.document import AssessmentDocument
from assessment.engine.progress import Visibility, resolve
from assessment.report.i18n import answer_text, report_language

#: The first characters that make a spreadsheet read a cell as a formula
#: (OWASP, "CSV Injection").
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

CSV_MIMETYPE: Final = "text/csv"
XLSX_MIMETYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Widest column of the XLSX sheet, in characters; longer text wraps.
MAX_COLUMN_WIDTH: Final = 60


@dataclass(frozen=True, slots=True)
class Sheet:
    """One table: its name (the XLSX sheet's tab), headings and rows of text."""

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def neutralise(cell: str) -> str:
    """``cell`` with a leading apostrophe if a spreadsheet would read it as a
    formula (it starts with one of :data:`FORMULA_STARTS`), else unchanged."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def action_plan_sheet(
    bank: Bank, document: AssessmentDocument, visibility: Visibility | None = None
) -> Sheet:
    """The action plan: one row per measure the assessment records, one column
    per field of the bank's ``action_plan`` question (headed by the field's
    text).  No rows if the bank has no action plan or it does not apply."""
    language = document.language
    _ = report_language(language).gettext
    question_id = bank.role("action_plan")
    if question_id is None:
        return Sheet(_("Action plan"), (), ())
    values = (visibility or resolve(bank, document.answer_values())).answers
    question = bank.question(question_id)
    rows = values.get(question_id) or []
    return Sheet(
        _("Action plan"),
        tuple(field.text.get_text(language) for field in question.fields),
        tuple(
            tuple(
                "" if row.get(field.id) is None else answer_text(field, row[field.id], language)
                for field in question.fields
            )
            for row in rows
        ),
    )


def answers_sheet(
    bank: Bank, document: AssessmentDocument, visibility: Visibility | None = None
) -> Sheet:
    """Every question that applies, in wizard order, one row each: section,
    question id, question, answer as shown (empty if not answered), note,
    source, confidence and whether the note and source are confidential.
    The full edition: confidential notes and sources are included."""
    language = document.language
    _ = report_language(language).gettext
    visibility = visibility or resolve(bank, document.answer_values())
    answers = document.answers_by_question()
    rows = []
    for progress in visibility.sections:
        section = progress.section.title.get_text(language)
        for question in progress.visible:
            answer = answers.get(question.id)
            rows.append(
                (
                    section,
                    question.id,
                    wording(question, bank, visibility.answers, language),
                    answer_text(question, answer.value, language) if answer else "",
                    answer.note if answer else "",
                    answer.source if answer else "",
                    _(CONFIDENCE_LABELS[answer.confidence]) if answer and answer.confidence else "",
                    (_("Yes") if answer.confidential else _("No")) if answer else "",
                )
            )
    header = (
        _("Section"),
        _("Question ID"),
        _("Question"),
        _("Answer"),
        _("Note"),
        _("Source"),
        _("Confidence"),
        _("Confidential"),
    )
    return Sheet(_("Answers"), header, tuple(rows))


def to_csv(sheet: Sheet) -> bytes:
    """``sheet`` as CSV (RFC 4180: comma-separated, CRLF line ends, fields
    quoted where needed, quotes doubled) in UTF-8 with a byte-order mark, so
    that Excel opens Cyrillic correctly; formulas neutralised."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, dialect="excel", lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in sheet.header])
    writer.writerows([neutralise(cell) for cell in row] for row in sheet.rows)
    return text.getvalue().encode("utf-8-sig")


def to_xlsx(sheet: Sheet) -> bytes:
    """``sheet`` as an XLSX workbook of one sheet: a bold, frozen heading row,
    every cell a string (formulas neutralised, characters XML cannot hold
    removed), columns as wide as their text up to :data:`MAX_COLUMN_WIDTH`."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the default, unnamed sheet
    worksheet = workbook.create_sheet(_sheet_title(sheet.name))
    worksheet.append([_xlsx_cell(cell) for cell in sheet.header])
    for row in sheet.rows:
        worksheet.append([_xlsx_cell(cell) for cell in row])
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    worksheet.freeze_panes = "A2"
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(worksheet.iter_cols(), start=1):
        lines = (line for cell in column for line in str(cell.value or "").split("\n"))
        longest = max(map(len, lines), default=0)
        width = min(max(longest, 8) + 2, MAX_COLUMN_WIDTH)
        worksheet.column_dimensions[get_column_letter(index)].width = width
        for cell in column[1:]:
            cell.alignment = wrap
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(text: str) -> str:
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))


def _sheet_title(name: str) -> str:
    """``name`` as Excel allows a sheet's name: at most 31 characters, none of ``[]:*?/\\``."""
    return "".join(c for c in name if c not in "[]:*?/\\")[:31] or "Sheet"
