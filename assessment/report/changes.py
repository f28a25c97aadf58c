"""What changed between two revisions of an assessment, as plain values for
the web page that compares revisions and for the report's "Changes since the
last issued report": the answers that differ, and each side's limitation-test
verdicts, impact level and recommendation, each side scored with
:func:`~assessment.engine.scoring.score` against the bank version it was
answered against.  Words are in the language of the newer revision's
assessment (the ``report`` catalogue, :mod:`assessment.report.i18n`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assessment.engine.answers import Answer
from assessment.engine.bank import CONFIDENCE_LABELS, Bank
from assessment.engine.diff import AnswerChange, diff_answers
from assessment.engine.document import AssessmentDocument
from assessment.engine.progress import resolve
from assessment.engine.scoring import VERDICT_LABELS, ScoringResult, score
from assessment.report.i18n import N_, answer_text, report_language

PART_LABELS = {
    "value": N_("answer"),
    "note": N_("note"),
    "source": N_("source"),
    "confidence": N_("confidence"),
    "confidential": N_("confidentiality"),
}


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: the document of a revision and the bank
    version it was answered against."""

    bank: Bank
    document: AssessmentDocument


def _score(side: Side) -> ScoringResult:
    values = side.document.answer_values()
    visibility = resolve(side.bank, values)
    return score(
        side.bank,
        values,
        side.document.confidences(),
        side.document.language,
        visibility=visibility,
        translate=report_language(side.document.language).gettext,
    )


def _summary(side: Side, result: ScoringResult, language: str) -> dict[str, Any]:
    low, high = result.range_numerals
    return {
        "revision": side.document.revision,
        "bank_version": side.bank.version,
        "level": result.impact_numeral,
        "range": low if low == high else f"{low}-{high}",
        "recommendation": report_language(language).gettext(result.recommendation_label),
    }


def _shown(bank: Bank, answer: Answer | None, language: str) -> str:
    if answer is None:
        return report_language(language).gettext("Not answered")
    if not bank.has_question(answer.question_id):
        return str(answer.value)
    return answer_text(bank.question(answer.question_id), answer.value, language)


def _answer_row(before: Side, after: Side, change: AnswerChange) -> dict[str, Any]:
    language = after.document.language
    qid = change.question_id
    bank = after.bank if after.bank.has_question(qid) else before.bank
    if bank.has_question(qid):
        question = bank.question(qid)
        label = question.text.get_text(language)
        section = bank.section(question.section_id).title.get_text(language)
    else:  # pragma: no cover - a stored answer always names a question of its bank
        label, section = qid, ""
    old, new = change.before, change.after
    _ = report_language(language).gettext

    def confidence(answer: Answer | None) -> str:
        return _(CONFIDENCE_LABELS[answer.confidence]) if answer and answer.confidence else ""

    return {
        "id": qid,
        "section": section,
        "question": label,
        "before": _shown(before.bank, old, language),
        "after": _shown(after.bank, new, language),
        "value_changed": "value" in change.parts,
        "parts": [PART_LABELS[p] for p in change.parts],
        "part_labels": [_(PART_LABELS[p]) for p in change.parts],
        "note": (old.note if old else "", new.note if new else ""),
        "source": (old.source if old else "", new.source if new else ""),
        "confidence": (confidence(old), confidence(new)),
        "confidential": (bool(old and old.confidential), bool(new and new.confidential)),
    }


def build_changes(before: Side, after: Side) -> dict[str, Any]:
    """The comparison of ``before`` and ``after``: both sides' level, range
    and recommendation, every limitation-test step with both verdicts, and
    every answer that differs (in the order of the questions)."""
    language = after.document.language
    _ = report_language(language).gettext
    old_result, new_result = _score(before), _score(after)
    old_summary = _summary(before, old_result, language)
    new_summary = _summary(after, new_result, language)
    old_steps = {s.step_id: s.verdict for s in old_result.steps}
    steps = []
    for finding in new_result.steps:
        old = old_steps.pop(finding.step_id, None)
        steps.append(
            {
                "label": after.bank.step(finding.step_id).label.get_text(language),
                "before": _(VERDICT_LABELS[old]) if old else _("Not assessed"),
                "after": _(VERDICT_LABELS[finding.verdict]),
                "changed": old != finding.verdict,
            }
        )
    for step_id, old in old_steps.items():  # a step the newer bank no longer has
        steps.append(
            {
                "label": before.bank.step(step_id).label.get_text(language),
                "before": _(VERDICT_LABELS[old]),
                "after": _("Not assessed"),
                "changed": True,
            }
        )
    order = {q.id: n for n, q in enumerate(after.bank.questions)}
    changes = sorted(
        diff_answers(before.document.answers_by_question(), after.document.answers_by_question()),
        key=lambda c: (order.get(c.question_id, len(order)), c.question_id),
    )
    return {
        "before": old_summary,
        "after": new_summary,
        "level_changed": old_summary["level"] != new_summary["level"],
        "range_changed": old_summary["range"] != new_summary["range"],
        "recommendation_changed": old_summary["recommendation"] != new_summary["recommendation"],
        "steps": steps,
        "steps_changed": sum(1 for s in steps if s["changed"]),
        "answers": [_answer_row(before, after, c) for c in changes],
    }
