"""The report's context: plain values only (no ORM objects), so the same
context renders from the database or straight from an exported file."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assessment.engine.answers import is_unknown
from assessment.engine.bank import CONFIDENCE_LABELS, Bank
from assessment.engine.conditions import describe, referenced_questions
from assessment.engine.display import format_value
from assessment.engine.document import AssessmentDocument, canonical_json
from assessment.engine.progress import resolve
from assessment.engine.scoring import (
    BASE_LIKELIHOOD,
    LEVEL_LABELS,
    MAX_LIKELIHOOD_REDUCTION,
    MAX_SEVERITY_REDUCTION,
    METHOD_VERSION,
    POINTS_PER_STEP,
    RISK_LABELS,
    RISK_MATRIX,
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


def right_code(number: int) -> str:
    """The short code of the ``number``-th right (1-based), used in the heat
    maps where full names do not fit: "R1", "R2", ..."""
    return f"R{number}"


def _programme_modules(visibility: Any) -> list[str]:
    modules = []
    for progress in visibility.sections:
        module_id = progress.section.module_id
        if module_id in ("camera", "location", "payment") and module_id not in modules:
            modules.append(module_id)
    return modules


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of the change history printed in the report."""

    at: str
    who: str
    action: str
    revision: int


class _References:
    """Numbers references in order of first citation, for "[n]" links."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.order: list[str] = []

    def cite(self, reference_ids: Any) -> list[int]:
        numbers = []
        for reference_id in reference_ids:
            if reference_id not in self.order:
                self.order.append(reference_id)
            numbers.append(self.order.index(reference_id) + 1)
        return numbers

    def listing(self) -> list[dict[str, Any]]:
        return [
            {
                "number": number,
                "citation": self.bank.references[r].citation,
                "provision": self.bank.references[r].provision,
            }
            for number, r in enumerate(self.order, start=1)
        ]


def build_report_context(
    bank: Bank,
    document: AssessmentDocument,
    result: ScoringResult | None = None,
    now: dt.datetime | None = None,
    history: Sequence[HistoryEntry] | None = None,
) -> dict[str, Any]:
    """Everything the report template shows, as dicts, lists and strings.

    ``history`` is the assessment's change history; without it (a report
    rendered from a file) the report says the history is not included.
    """
    lang = document.language
    citations = _References(bank)
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
    for number, finding in enumerate(result.rights, 1):
        right = bank.right(finding.right_id)
        rights.append(
            {
                "code": right_code(number),
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
                "refs": citations.cite(step.references),
            }
        )

    recommendations = [
        {
            "id": rec.id,
            "text": rec.text,
            "priority": rec.priority,
            "rights": ", ".join(bank.right(r).label.get_text(lang) for r in rec.rights),
            "refs": citations.cite(rec.references),
        }
        for rec in result.recommendations
    ]
    extra = _structure(bank, document, result, visibility, recommendations, rights, shown)

    skipped = [
        {
            "id": item.question.id,
            "text": item.question.text.get_text(lang),
            "reason": "Cannot be known before the programme runs"
            if item.condition is None
            else f"Shown only when {describe(item.condition, labels)}",
        }
        for item in visibility.skipped
    ]
    moment = now or dt.datetime.now(dt.UTC)
    return {
        **extra,
        "refs": citations.listing(),
        "history": None
        if history is None
        else [
            {"at": h.at, "who": h.who, "action": h.action, "revision": h.revision} for h in history
        ],
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
        "edition": {"name": "full", "withheld": 0},
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
            "matrix_levels": [
                [RISK_MATRIX[sev][lik] for lik in range(1, 5)] for sev in range(1, 5)
            ],
            "levels": LEVEL_LABELS,
            "unknown_level": UNKNOWN_LEVEL,
            "base_likelihood": BASE_LIKELIHOOD,
            "points_per_step": POINTS_PER_STEP,
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


PROGRAMME_MODULES = ("camera", "location", "payment")
ROLE_ORDER = ("scale", "scope", "irremediability", "likelihood", "safeguard")


def _structure(
    bank: Bank,
    document: AssessmentDocument,
    result: ScoringResult,
    visibility: Any,
    recommendations: list[dict[str, Any]],
    rights: list[dict[str, Any]],
    shown: Any,
) -> dict[str, Any]:
    """The parts of the report built from the answers as a whole: summary
    highlights, scope, description, heat maps, module findings, gaps, plan."""
    lang = document.language
    values = visibility.answers
    answers = document.answers_by_question()

    def label_of(question_id: str) -> str:
        return bank.question(question_id).text.get_text(lang)

    engaged = [r for r in rights if r["engaged"]]
    top_risks = sorted(engaged, key=lambda r: (-r["residual"], -r["inherent"]))[:3]

    scope = {
        "position": shown("scope.assessor_position", values.get("scope.assessor_position")),
        "sources": shown("scope.sources", values.get("scope.sources")),
        "unknown": sum(1 for v in values.values() if is_unknown(v)),
        "answered": len(values),
        "applicable": sum(p.total for p in visibility.sections),
        "low_confidence": [r["label"] for r in engaged if r["confidence"] == "low"],
        "outside": values.get("scope.assessor_position") == "outside_public",
    }

    description = [
        {"question": q.text.get_text(lang), "answer": shown(q.id, values.get(q.id))}
        for p in visibility.sections
        if p.section.module_id == "description"
        for q in p.visible
    ]

    short = {r.id: r.label.get_text(lang) for r in bank.rights}
    code = {f.right_id: right_code(n) for n, f in enumerate(result.rights, 1)}
    heatmap: dict[str, list[list[list[str]]]] = {}
    for kind in ("inherent", "residual"):
        grid: list[list[list[str]]] = [[[] for _ in range(4)] for _ in range(4)]
        for finding in result.rights:
            if not finding.engaged:
                continue
            severity = finding.severity if kind == "inherent" else finding.residual_severity
            likelihood = finding.likelihood if kind == "inherent" else finding.residual_likelihood
            grid[4 - severity][likelihood - 1].append(code[finding.right_id])
        heatmap[kind] = grid

    rules = {rule.id: rule for rule in bank.recommendations}
    in_module = {
        m: frozenset(q.id for q in bank.questions if q.module_id == m) for m in PROGRAMME_MODULES
    }
    modules = []
    for module_id in PROGRAMME_MODULES:
        if not any(p.section.module_id == module_id for p in visibility.sections):
            continue
        seen: dict[str, dict[str, Any]] = {}
        for finding in result.rights:
            for item in finding.trace:
                if item.question_id not in in_module[module_id]:
                    continue
                entry = seen.setdefault(
                    item.question_id,
                    {
                        "question": label_of(item.question_id),
                        "answer": "Not known"
                        if item.unknown
                        else shown(item.question_id, item.value),
                        "role": item.role,
                        "effect": item.effect,
                        "rights": [],
                    },
                )
                entry["rights"].append(short[finding.right_id])
        findings = sorted(
            (f for f in seen.values() if f["effect"] >= 3 or f["answer"] == "Not known"),
            key=lambda f: (
                ROLE_ORDER.index(f["role"]) if f["role"] in ROLE_ORDER else 9,
                -f["effect"],
            ),
        )
        module_recs = [
            rec
            for rec in recommendations
            if any(q in in_module[module_id] for q in referenced_questions(rules[rec["id"]].when))
        ]
        modules.append(
            {
                "title": bank.module(module_id).title.get_text(lang),
                "findings": findings,
                "recommendations": module_recs,
            }
        )

    unknown_answers = [
        {
            "question": label_of(q),
            "section": bank.section(bank.question(q).section_id).title.get_text(lang),
        }
        for q, v in values.items()
        if is_unknown(v)
    ]
    unanswered = [
        {
            "question": q.text.get_text(lang),
            "section": p.section.title.get_text(lang),
            "required": q.required,
        }
        for p in visibility.sections
        for q in p.visible
        if q.id not in values
    ]

    plan_question = bank.question("safe.actions") if bank.has_question("safe.actions") else None
    action_plan = []
    if plan_question is not None:
        for row in values.get("safe.actions") or []:
            action_plan.append(
                {
                    field.id: shown_field(field, row.get(field.id), lang)
                    for field in plan_question.fields
                }
            )
    assessor_notes = answers.get("safe.sign_off")
    return {
        "top_risks": top_risks,
        "top_recommendations": [r for r in recommendations if r["priority"] == 1][:5],
        "scope_method": scope,
        "description": description,
        "heatmap": heatmap,
        "modules": modules,
        "gaps": {"unknown": unknown_answers, "unanswered": unanswered},
        "action_plan": action_plan,
        "assessor": assessor_notes.value if assessor_notes else "",
    }


def shown_field(field: Any, value: Any, language: str) -> str:
    return "" if value is None else format_value(field, value, language)
