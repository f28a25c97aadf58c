"""The report's context: plain values only (no ORM objects), so the same
context renders from the database or straight from an exported file."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from assessment.engine.bank import CONFIDENCE_LABELS, Bank
from assessment.engine.conditions import describe
from assessment.engine.display import format_value
from assessment.engine.document import AssessmentDocument, canonical_json
from assessment.engine.progress import resolve
from assessment.engine.scoring import (
    BASE_LIKELIHOOD,
    LEVEL_LABELS,
    MAX_LIKELIHOOD_REDUCTION,
    MAX_SEVERITY_REDUCTION,
    METHOD_VERSION,
    RISK_LABELS,
    RISK_MATRIX,
    STRENGTH_PER_STEP,
    UNKNOWN_LEVEL,
    VERDICT_LABELS,
    ScoringResult,
    score,
)

REPORT_TEMPLATE_VERSION = "2"
ROLE_LABELS = {
    "scale": "Severity: scale",
    "scope": "Severity: scope",
    "irremediability": "Severity: irremediability",
    "vulnerability": "Severity: vulnerable groups (+1)",
    "likelihood": "Likelihood",
    "safeguard": "Safeguard",
    "action plan": "Implemented measures",
}


def _programme_modules(visibility: Any) -> list[str]:
    modules = []
    for progress in visibility.sections:
        module_id = progress.section.module_id
        if module_id in ("camera", "location", "payment") and module_id not in modules:
            modules.append(module_id)
    return modules


def build_report_context(
    bank: Bank,
    document: AssessmentDocument,
    result: ScoringResult | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Everything the report template shows, as dicts, lists and strings."""
    lang = document.language
    values = document.answer_values()
    result = result or score(bank, values, document.confidences(), lang)
    visibility = resolve(bank, values)
    answers = document.answers_by_question()
    labels = {q.id: q.text.get_text(lang) for q in bank.questions}

    def shown(question_id: str, value: Any) -> str:
        if value is None:
            return "Not answered"
        return format_value(bank.question(question_id), value, lang)

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
    for finding in result.rights:
        right = bank.right(finding.right_id)
        rights.append(
            {
                "label": right.label.get_text(lang),
                "anchors": right.anchors,
                "engaged": finding.engaged,
                "severity": f"{finding.severity} {LEVEL_LABELS[finding.severity]}",
                "likelihood": f"{finding.likelihood} {LEVEL_LABELS[finding.likelihood]}",
                "inherent": finding.inherent,
                "inherent_label": RISK_LABELS[finding.inherent],
                "residual": finding.residual,
                "residual_label": RISK_LABELS[finding.residual],
                "residual_detail": (
                    f"severity {finding.residual_severity}, "
                    f"likelihood {finding.residual_likelihood}"
                ),
                "confidence": finding.confidence,
                "drivers": [
                    {
                        "role": ROLE_LABELS[item.role],
                        "question": labels.get(item.question_id, item.question_id),
                        "answer": "Not known"
                        if item.unknown
                        else (
                            f"{item.value} measures"
                            if item.role == "action plan"
                            else shown(item.question_id, item.value)
                        ),
                        "effect": item.effect,
                    }
                    for item in finding.trace
                    if item.effect > 0 or item.unknown
                ],
            }
        )

    steps = []
    for step_finding in result.steps:
        step = bank.step(step_finding.step_id)
        steps.append(
            {
                "label": step.label.get_text(lang),
                "description": step.description.get_text(lang),
                "verdict": step_finding.verdict,
                "verdict_label": VERDICT_LABELS[step_finding.verdict]
                + (" (burden of proof on the state)" if step_finding.presumed else ""),
                "core": step.core,
                "decided_by": [
                    {
                        "question": labels.get(question_id, question_id),
                        "answer": shown(question_id, value),
                        "outcome": {"met": "supports", "not_met": "fails", "unknown": "unknown"}[
                            outcome
                        ],
                    }
                    for question_id, value, outcome in step_finding.trace
                ],
                "references": [
                    f"{bank.references[r].citation}, {bank.references[r].provision}"
                    for r in step.references
                ],
            }
        )

    recommendations = [
        {
            "text": rec.text,
            "priority": rec.priority,
            "rights": ", ".join(bank.right(r).label.get_text(lang) for r in rec.rights),
            "references": [
                f"{bank.references[r].citation}, {bank.references[r].provision}"
                for r in rec.references
            ],
        }
        for rec in result.recommendations
    ]

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
        "generated_iso": moment.isoformat(timespec="seconds"),
        "export_sha256": hashlib.sha256(canonical_json(document)).hexdigest(),
        "keywords": ", ".join(
            [
                "human rights impact assessment",
                "surveillance",
                *(bank.module(m).title.get_text(lang) for m in _programme_modules(visibility)),
            ]
        ),
        "template_version": REPORT_TEMPLATE_VERSION,
        "progress": visibility.percent,
        "summary": {
            "impact": result.impact_numeral,
            "recommendation": result.recommendation_label,
            "reasons": list(result.reasons),
            "method_version": result.method_version,
        },
        "method": {
            "version": METHOD_VERSION,
            "matrix": [
                [RISK_LABELS[RISK_MATRIX[sev][lik]] for lik in range(1, 5)] for sev in range(1, 5)
            ],
            "levels": LEVEL_LABELS,
            "unknown_level": UNKNOWN_LEVEL,
            "base_likelihood": BASE_LIKELIHOOD,
            "strength_per_step": STRENGTH_PER_STEP,
            "max_likelihood_reduction": MAX_LIKELIHOOD_REDUCTION,
            "max_severity_reduction": MAX_SEVERITY_REDUCTION,
            "core_steps": [s.label.get_text(lang) for s in bank.steps if s.core],
            "state_burden_steps": [s.label.get_text(lang) for s in bank.steps if s.burden_on_state],
        },
        "rights": rights,
        "steps": steps,
        "recommendations": recommendations,
        "sections": sections,
        "skipped": skipped,
    }
