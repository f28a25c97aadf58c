"""The report's context: plain values only (no ORM objects), so the same
context renders from the database or straight from an exported file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assessment.engine.bank import CONFIDENCE_LABELS, Bank
from assessment.engine.conditions import describe
from assessment.engine.display import format_value
from assessment.engine.document import AssessmentDocument
from assessment.engine.progress import resolve
from assessment.engine.scoring import LEVEL_LABELS, ScoringResult, score

REPORT_TEMPLATE_VERSION = "1"


def build_report_context(
    bank: Bank,
    document: AssessmentDocument,
    result: ScoringResult | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Everything the report template shows, as dicts, lists and strings."""
    lang = document.language
    values = document.answer_values()
    result = result or score(bank, values)
    visibility = resolve(bank, values)
    answers = document.answers_by_question()
    labels = {q.id: q.text.get_text(lang) for q in bank.questions}

    sections = []
    for progress in visibility.sections:
        section = progress.section
        rows = []
        for question in progress.visible:
            answer = answers.get(question.id)
            rows.append(
                {
                    "id": question.id,
                    "text": question.text.get_text(lang),
                    "answer": format_value(question, answer.value, lang) if answer else None,
                    "required": question.required,
                    "note": answer.note if answer else "",
                    "source": answer.source if answer else "",
                    "confidence": CONFIDENCE_LABELS[answer.confidence]
                    if answer and answer.confidence
                    else "",
                }
            )
        sections.append(
            {
                "id": section.id,
                "title": section.title.get_text(lang),
                "module": bank.module(section.module_id).title.get_text(lang),
                "questions": rows,
            }
        )

    rights = []
    for right_result in result.rights:
        right = bank.right(right_result.right_id)
        rights.append(
            {
                "label": right.label.get_text(lang),
                "anchors": right.anchors,
                "level": right_result.level,
                "level_label": LEVEL_LABELS[right_result.level],
                "answered": right_result.answered,
                "unknown": right_result.unknown,
                "drivers": [
                    labels.get(item.question_id, item.question_id)
                    for item in right_result.trace
                    if item.risk == right_result.level - 1 and item.risk > 0
                ],
            }
        )

    skipped = [
        {
            "id": item.question.id,
            "text": item.question.text.get_text(lang),
            "reason": f"Shown only when {describe(item.condition, labels)}",
        }
        for item in visibility.skipped
    ]
    moment = now or dt.datetime.now(dt.UTC)
    return {
        "lang": lang,
        "title": document.title,
        "programme": document.programme,
        "organisation": document.organisation,
        "status": document.status,
        "uuid": document.uuid,
        "revision": document.revision,
        "bank": {"id": bank.id, "version": bank.version, "title": bank.title.get_text(lang)},
        "created_at": document.created_at[:10],
        "updated_at": document.updated_at[:10],
        "submitted_at": (document.submitted_at or "")[:10],
        "generated_at": moment.strftime("%Y-%m-%d %H:%M UTC"),
        "template_version": REPORT_TEMPLATE_VERSION,
        "progress": visibility.percent,
        "summary": {
            "impact": result.impact_numeral,
            "recommendation": result.recommendation_label,
            "method_version": result.method_version,
        },
        "rights": rights,
        "sections": sections,
        "skipped": skipped,
    }
