"""The report's context: plain values only (no ORM objects), so the same
context renders from the database or straight from an exported file.

One function builds each part of the report; each takes the facts it needs
from :class:`_Facts`, which holds what every part shares: the bank, the
document, its visibility and its score, each worked out once per render.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assessment.engine.answers import Answer, is_not_applicable, is_unknown
from assessment.engine.bank import CONFIDENCE_LABELS, Bank, Question, Weight
from assessment.engine.conditions import describe, referenced_questions
from assessment.engine.display import option_label, question_text
from assessment.engine.document import (
    EVIDENCE_KIND_LABELS,
    STATUS_LABELS,
    AssessmentDocument,
    canonical_json,
)
from assessment.engine.progress import Visibility, resolve
from assessment.engine.scoring import (
    ACTION_POINTS,
    BASE_LIKELIHOOD,
    EVIDENCE_POINTS,
    GAP,
    LEVEL_LABELS,
    MAX_LIKELIHOOD_REDUCTION,
    MAX_SEVERITY_REDUCTION,
    METHOD_VERSION,
    NOT_APPLICABLE_OUTCOME,
    POINTS_PER_STEP,
    RESIDUAL,
    RISK_LABELS,
    RISK_MATRIX,
    UNKNOWN_LEVEL,
    UNKNOWN_OUTCOME,
    VERDICT_LABELS,
    Role,
    ScoringResult,
    TraceItem,
    score,
)
from assessment.report.i18n import N_, ReportLanguage, answer_text, report_language

REPORT_TEMPLATE_VERSION = "4"
#: What the cover says of an assessment not (yet) issued, by status.
STATUS_NOTES = {
    "draft": N_("Draft: answers may still change."),
    "in_review": N_("In review: not yet approved; answers may still change."),
    "approved": N_("Approved, not yet issued."),
}
ROLE_LABELS = {
    Role.SCALE: N_("Severity: scale"),
    Role.SCOPE: N_("Severity: scope"),
    Role.IRREMEDIABILITY: N_("Severity: irremediability"),
    Role.VULNERABILITY: N_("Severity: vulnerable groups (+1)"),
    Role.LIKELIHOOD: N_("Likelihood"),
    Role.CUMULATIVE: N_("Likelihood: programmes combined"),
    Role.SAFEGUARD: N_("Safeguard (credit points)"),
    Role.ACTION_PLAN: N_("Implemented measures (credit points)"),
}
#: The role of an answer in a module's findings ("scale level 3 for ...").
ROLE_WORDS = {
    Role.SCALE: N_("scale"),
    Role.SCOPE: N_("scope"),
    Role.IRREMEDIABILITY: N_("irremediability"),
    Role.VULNERABILITY: N_("vulnerability"),
    Role.LIKELIHOOD: N_("likelihood"),
    Role.CUMULATIVE: N_("cumulative"),
    Role.SAFEGUARD: N_("safeguard"),
    Role.ACTION_PLAN: N_("action_plan"),
}
OUTCOME_LABELS = {
    "met": N_("supports"),
    "not_met": N_("fails"),
    UNKNOWN_OUTCOME: N_("not known: fails, burden on the state"),
    GAP: N_("not known: information gap"),
    NOT_APPLICABLE_OUTCOME: N_("does not apply: not counted"),
}
#: How sure a right's finding is (``RightFinding.confidence``).
FINDING_CONFIDENCE = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}
#: Module findings list answers at or above this level (and every unknown one).
NOTABLE_LEVEL = 3
DESCRIPTION_MODULE = "description"


def right_code(number: int) -> str:
    """The short code of the ``number``-th right (1-based), used in the heat
    maps where full names do not fit: "R1", "R2", ..."""
    return f"R{number}"


#: The change history's actions, as the report words them; any other action
#: is shown as recorded.  Saves that name their section and count are counted
#: instead (see :func:`_history`).
HISTORY_ACTIONS = {
    "created": N_("created the assessment"),
    "answers saved": N_("saved answers"),
    "imported": N_("imported the assessment from a file"),
    "upgraded": N_("moved the answers to a newer question bank"),
    "submitted for review": N_("submitted it for review"),
    "changes requested": N_("requested changes"),
    "approved": N_("approved it"),
    "issued": N_("issued the report"),
    "reassessment opened": N_("opened a reassessment"),
    "evidence added": N_("attached evidence"),
    "evidence removed": N_("removed evidence"),
}
SAVED = "answers saved"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One event of the change history: ``at`` is "YYYY-MM-DD HH:MM" (UTC),
    ``action`` as recorded; a save names its section and how many answers
    it changed.  The report groups the events by day and person."""

    at: str
    who: str
    action: str
    revision: int
    section_id: str | None = None
    answer_count: int | None = None


@dataclass(frozen=True, slots=True)
class CommentEntry:
    """One comment of an unresolved thread, listed in the full edition:
    ``depth`` 0 for the thread's first comment, 1 and more for replies."""

    question_id: str
    author: str
    at: str
    text: str
    depth: int = 0


class _References:
    """Numbers references in order of first citation, for "[n]" links."""

    def __init__(self, bank: Bank, language: str) -> None:
        self.bank = bank
        self.language = language
        self.order: list[str] = []

    def cite(self, reference_ids: Iterable[str]) -> list[int]:
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
                "provision": self.bank.references[r].provision.get_text(self.language),
            }
            for number, r in enumerate(self.order, start=1)
        ]


@dataclass(slots=True)
class _Facts:
    """What every part of the report reads, worked out once per render."""

    bank: Bank
    document: AssessmentDocument
    visibility: Visibility
    result: ScoringResult
    citations: _References
    words: ReportLanguage
    answers: dict[str, Answer] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.document.language

    def _(self, message: str) -> str:
        """``message`` (a msgid of the ``report`` catalogue) in the report's language."""
        return self.words.gettext(message)

    @property
    def values(self) -> Any:
        """The answers that apply (question id -> value)."""
        return self.visibility.answers

    @property
    def status(self) -> str | None:
        status_question = self.bank.role("status")
        value = self.values.get(status_question) if status_question else None
        return value if isinstance(value, str) else None

    def text(self, question: Question) -> str:
        """The question's wording for this programme's status."""
        return question_text(question, self.status).get_text(self.lang)

    def label(self, question_id: str) -> str:
        if not self.bank.has_question(question_id):
            return question_id
        return self.text(self.bank.question(question_id))

    def shown(self, question_id: str, value: Any) -> str:
        if value is None:
            return self._("Not answered")
        return answer_text(self.bank.question(question_id), value, self.lang)

    def role_answer(self, role: str) -> tuple[str | None, Any]:
        question_id = self.bank.role(role)
        return question_id, self.values.get(question_id) if question_id else None

    def section_title(self, question_id: str) -> str:
        section_id = self.bank.question(question_id).section_id
        return self.bank.section(section_id).title.get_text(self.lang)

    def right_label(self, right_id: str) -> str:
        return self.bank.right(right_id).label.get_text(self.lang)


def _facts(
    bank: Bank,
    document: AssessmentDocument,
    result: ScoringResult | None,
    visibility: Visibility | None,
) -> _Facts:
    """The shared facts, with ``visibility`` and ``result`` worked out here
    unless the caller has them (one call to :func:`score` either way)."""
    values = document.answer_values()
    visibility = visibility or resolve(bank, values)
    words = report_language(document.language)
    result = result or score(
        bank,
        values,
        document.confidences(),
        document.language,
        visibility=visibility,
        translate=words.gettext,
    )
    return _Facts(
        bank=bank,
        document=document,
        visibility=visibility,
        result=result,
        citations=_References(bank, document.language),
        words=words,
        answers=document.answers_by_question(),
    )


def _findings(facts: _Facts) -> dict[str, Any]:
    """The result: the parts the report and the web review page share.  Built
    in the report's order, so that references are numbered as in the report."""
    rights = _rights(facts)
    steps = _limitation_test(facts)
    recommendations = _recommendations(facts)
    return {
        "summary": _summary(facts),
        "top_risks": sorted(
            (r for r in rights if r["counted"]), key=lambda r: (-r["residual"], -r["inherent"])
        )[:3],
        "top_recommendations": [r for r in recommendations if r["priority"] == 1][:5],
        "steps": steps,
        "rights": rights,
        "heatmap": _heatmaps(facts),
        "gaps": _gaps(facts),
        "action_plan": _action_plan(facts),
        "recommendations": recommendations,
    }


def build_result_context(
    bank: Bank,
    document: AssessmentDocument,
    result: ScoringResult | None = None,
    visibility: Visibility | None = None,
) -> dict[str, Any]:
    """The findings of the report, with the same figures, for a web page: the
    summary (level, range, completeness, recommendation, decisive unknown
    answers), the limitation-test steps, the rights with their heat maps, the
    information gaps, the action plan and the recommendations, plus the
    method's level labels, matrix and risk labels to draw the heat maps with.

    ``visibility`` and ``result`` are worked out here unless the caller has them.
    """
    facts = _facts(bank, document, result, visibility)
    method = _method(facts)
    return {
        **_findings(facts),
        "levels": method["levels"],
        "matrix_levels": method["matrix_levels"],
        "risk_labels": RISK_LABELS,
        "refs": facts.citations.listing(),
    }


def build_report_context(
    bank: Bank,
    document: AssessmentDocument,
    result: ScoringResult | None = None,
    now: dt.datetime | None = None,
    history: Sequence[HistoryEntry] | None = None,
    visibility: Visibility | None = None,
    comments: Sequence[CommentEntry] | None = None,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the report template shows, as dicts, lists and strings.

    ``visibility`` and ``result`` are worked out here unless the caller has
    them.  ``history`` is the assessment's change history; without it (a
    report rendered from a file) the report says the history is not included.
    ``comments`` are the unresolved comments (full edition only; ``None``: not
    known, as for a report rendered from a file), ``changes`` the comparison
    with the last issued report (see
    :func:`assessment.services.history.changes_for_report`; ``None``: not known).
    """
    facts = _facts(bank, document, result, visibility)
    findings = _findings(facts)
    skipped = _skipped(facts)
    context = {
        **_cover(facts, now),
        **findings,
        "scope_method": _scope_method(facts, findings["rights"]),
        "description": _description(facts),
        "modules": _module_findings(facts, findings["recommendations"]),
        "engagement": _engagement(facts),
        "sections": _answers_appendix(facts),
        "skipped": skipped,
        "skipped_summary": _skipped_summary(facts, skipped),
        "method": _method(facts),
        "history": _history(facts, history),
        "evidence": _evidence(facts),
        "open_comments": _open_comments(facts, comments),
        "changes": changes,
    }
    context["refs"] = facts.citations.listing()  # after every part has cited
    return context


# --- the parts, in the order of the report ------------------------------------------


def _cover(facts: _Facts, now: dt.datetime | None) -> dict[str, Any]:
    document, bank, lang, words = facts.document, facts.bank, facts.lang, facts.words
    _ = facts._
    moment = now or dt.datetime.now(dt.UTC)
    _question, sign_off = facts.role_answer("sign_off")
    return {
        "lang": lang,
        "title": document.title,
        "programme": document.programme,
        "organisation": document.organisation,
        "status": document.status,
        "status_label": _(STATUS_LABELS[document.status])
        if document.status in STATUS_LABELS
        else document.status,
        "status_note": _(STATUS_NOTES[document.status]) if document.status in STATUS_NOTES else "",
        "sign_off": _sign_off(document, words),
        "uuid": document.uuid,
        "revision": document.revision,
        "bank": {"id": bank.id, "version": bank.version, "title": bank.title.get_text(lang)},
        "created_at": words.date(document.created_at),
        "updated_at": words.date(document.updated_at),
        "submitted_at": words.date(document.submitted_at or ""),
        "generated_at": words.moment(moment),
        "generated_iso": moment.isoformat(timespec="seconds"),
        "edition": {"name": "full", "withheld": 0},
        "export_sha256": hashlib.sha256(canonical_json(document)).hexdigest(),
        "keywords": ", ".join(
            [
                _("human rights impact assessment"),
                _("surveillance"),
                *(m.title.get_text(lang) for m in _programme_modules(facts)),
            ]
        ),
        "template_version": REPORT_TEMPLATE_VERSION,
        "progress": facts.visibility.percent,
        "assessor": sign_off if isinstance(sign_off, str) else "",
    }


def _sign_off(document: AssessmentDocument, words: ReportLanguage) -> dict[str, str] | None:
    """The approval printed on the cover: who, their position, when, and what they signed."""
    sign_off = document.sign_off
    if sign_off is None:
        return None
    return {
        "name": sign_off.name,
        "position": sign_off.position,
        "date": words.date(sign_off.date),
        "statement": sign_off.statement,
    }


def _summary(facts: _Facts) -> dict[str, Any]:
    result, lang = facts.result, facts.lang
    low, high = result.range_numerals
    return {
        "impact": result.impact_numeral,
        "range": low if low == high else f"{low}-{high}",
        "range_low": low,
        "range_high": high,
        "completeness": result.completeness,
        "recommendation": facts._(result.recommendation_label),
        "reasons": list(result.reasons),
        "method_version": result.method_version,
        "unknown_decisive": [
            {"question": facts.label(q), "section": facts.section_title(q)}
            for q in result.unknown_decisive
            if facts.bank.has_question(q)
        ],
        "absolute": [
            {"label": a.label.get_text(lang), "refs": facts.citations.cite(a.references)}
            for a in facts.bank.absolute
            if a.id in result.absolute
        ],
    }


def _scope_method(facts: _Facts, rights: list[dict[str, Any]]) -> dict[str, Any]:
    values = facts.values
    position_question, position = facts.role_answer("assessor_position")
    sources_question, sources = facts.role_answer("sources")
    return {
        "position": facts.shown(position_question, position) if position_question else "",
        "sources": facts.shown(sources_question, sources) if sources_question else "",
        "unknown": sum(1 for v in values.values() if is_unknown(v)),
        "not_applicable": sum(1 for v in values.values() if is_not_applicable(v)),
        "answered": len(values),
        "applicable": sum(p.total for p in facts.visibility.sections),
        "completeness": facts.result.completeness,
        "low_confidence": [r["label"] for r in rights if r["counted"] and r["confidence"] == "low"],
        "outside": position == "outside_public",
    }


def _description(facts: _Facts) -> list[dict[str, str]]:
    return [
        {"question": facts.text(q), "answer": facts.shown(q.id, facts.values.get(q.id))}
        for p in facts.visibility.sections
        if p.section.module_id == DESCRIPTION_MODULE
        for q in p.visible
    ]


def _limitation_test(facts: _Facts) -> list[dict[str, Any]]:
    steps = []
    for finding in facts.result.steps:
        step = facts.bank.step(finding.step_id)
        label = facts._(VERDICT_LABELS[finding.verdict])
        if finding.presumed:
            label += facts._(" (burden of proof on the state)")
        decided_by = []
        for question_id, value, outcome in finding.trace:
            if question_id == RESIDUAL:
                decided_by.append(
                    {
                        "question": facts._("Highest residual risk, weighed against shown benefit"),
                        "answer": facts._(RISK_LABELS[value]),
                        "outcome": facts._(
                            OUTCOME_LABELS["met" if outcome == "met" else "not_met"]
                        ),
                    }
                )
                continue
            question = facts.bank.question(question_id)
            decisive = outcome == "not_met" and _decisive(facts, question)
            decided_by.append(
                {
                    "question": facts.text(question),
                    "answer": facts.shown(question_id, value),
                    "outcome": facts._(OUTCOME_LABELS[outcome])
                    + (facts._(" (decisive)") if decisive else ""),
                }
            )
        steps.append(
            {
                "label": step.label.get_text(facts.lang),
                "description": step.description.get_text(facts.lang),
                "verdict": finding.verdict,
                "verdict_label": label,
                "strict": finding.strict,
                "core": step.core,
                "decided_by": decided_by,
                "refs": facts.citations.cite(step.references),
            }
        )
    return steps


def _decisive(facts: _Facts, question: Question) -> bool:
    step = facts.result.step(question.step) if question.step else None
    return bool(step and step.strict) or question.weight is Weight.DECISIVE


def _rights(facts: _Facts) -> list[dict[str, Any]]:
    rights = []
    for number, finding in enumerate(facts.result.rights, 1):
        right = facts.bank.right(finding.right_id)
        rights.append(
            {
                "code": right_code(number),
                "label": right.label.get_text(facts.lang),
                "anchors": right.anchors,
                "engaged": finding.engaged,
                "excluded": finding.excluded,
                "counted": finding.counted,
                "engaged_by": [facts.label(q) for q in finding.engaged_by],
                "severity": f"{finding.severity} {facts._(LEVEL_LABELS[finding.severity])}",
                "likelihood": f"{finding.likelihood} {facts._(LEVEL_LABELS[finding.likelihood])}",
                "inherent": finding.inherent,
                "inherent_label": facts._(RISK_LABELS[finding.inherent]),
                "residual": finding.residual,
                "residual_label": facts._(RISK_LABELS[finding.residual]),
                "residual_detail": facts._("severity %(severity)s, likelihood %(likelihood)s")
                % {
                    "severity": finding.residual_severity,
                    "likelihood": finding.residual_likelihood,
                },
                "confidence": finding.confidence,
                "confidence_label": facts._(FINDING_CONFIDENCE[finding.confidence])
                if finding.confidence in FINDING_CONFIDENCE
                else finding.confidence,
                "drivers": [
                    _driver(facts, item)
                    for item in finding.trace
                    if item.effect > 0 or item.unknown
                ],
            }
        )
    return rights


def _driver(facts: _Facts, item: TraceItem) -> dict[str, Any]:
    _ = facts._
    if item.role is Role.CUMULATIVE:
        question, answer = _("Several programmes or data sources are combined"), _("yes")
    elif item.role is Role.ACTION_PLAN:
        question = facts.label(item.question_id)
        answer = _("%(count)s measures") % {"count": item.value}
    else:
        question = facts.label(item.question_id)
        answer = _("Not known") if item.unknown else facts.shown(item.question_id, item.value)
    unit = _("points") if item.role in (Role.SAFEGUARD, Role.ACTION_PLAN) else _("level")
    return {
        "role": _(ROLE_LABELS[item.role]),
        "question": question,
        "answer": answer,
        "effect": item.effect,
        "unit": unit,
    }


def _heatmaps(facts: _Facts) -> dict[str, list[list[list[str]]]]:
    code = {f.right_id: right_code(n) for n, f in enumerate(facts.result.rights, 1)}
    heatmap: dict[str, list[list[list[str]]]] = {}
    for kind in ("inherent", "residual"):
        grid: list[list[list[str]]] = [[[] for _ in range(4)] for _ in range(4)]
        for finding in facts.result.rights:
            if not finding.counted:
                continue
            severity = finding.severity if kind == "inherent" else finding.residual_severity
            likelihood = finding.likelihood if kind == "inherent" else finding.residual_likelihood
            grid[4 - severity][likelihood - 1].append(code[finding.right_id])
        heatmap[kind] = grid
    return heatmap


def _programme_modules(facts: _Facts) -> list[Any]:
    """The applicable modules that describe a kind of programme: those shown
    by the answer to the ``programme_types`` question."""
    types_question = facts.bank.role("programme_types")
    applicable = {p.section.module_id for p in facts.visibility.sections}
    return [
        module
        for module in facts.bank.modules
        if module.id in applicable and types_question in tuple(referenced_questions(module.show_if))
    ]


def _module_findings(facts: _Facts, recommendations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rules = {rule.id: rule for rule in facts.bank.recommendations}
    modules = []
    for module in _programme_modules(facts):
        in_module = frozenset(q.id for q in facts.bank.questions if q.module_id == module.id)
        seen: dict[str, dict[str, Any]] = {}
        for finding in facts.result.rights:
            for item in finding.trace:
                if item.question_id not in in_module:
                    continue
                entry = seen.setdefault(
                    item.question_id,
                    {
                        "question": facts.label(item.question_id),
                        "answer": facts._("Not known")
                        if item.unknown
                        else facts.shown(item.question_id, item.value),
                        "unknown": item.unknown,
                        "role": item.role.value,
                        "role_label": facts._(ROLE_WORDS[item.role]),
                        "effect": item.effect,
                        "rights": [],
                    },
                )
                entry["rights"].append(facts.right_label(finding.right_id))
        notable = [
            f
            for f in seen.values()
            if f["role"] not in (Role.SAFEGUARD, Role.ACTION_PLAN)
            and (f["effect"] >= NOTABLE_LEVEL or f["unknown"])
        ]
        modules.append(
            {
                "title": module.title.get_text(facts.lang),
                "findings": sorted(
                    notable, key=lambda f: (tuple(Role).index(Role(f["role"])), -f["effect"])
                ),
                "recommendations": [
                    rec
                    for rec in recommendations
                    if any(q in in_module for q in referenced_questions(rules[rec["id"]].when))
                ],
            }
        )
    return modules


def _gaps(facts: _Facts) -> dict[str, list[dict[str, Any]]]:
    def entry(question: Question) -> dict[str, Any]:
        return {"question": facts.text(question), "section": facts.section_title(question.id)}

    visible = [q for p in facts.visibility.sections for q in p.visible]
    return {
        "unknown": [entry(q) for q in visible if is_unknown(facts.values.get(q.id))],
        "unanswered": [
            {**entry(q), "required": q.required} for q in visible if q.id not in facts.values
        ],
        "not_applicable": [
            {**entry(q), "note": facts.answers[q.id].note if q.id in facts.answers else ""}
            for q in visible
            if is_not_applicable(facts.values.get(q.id))
        ],
        "before_start": [
            entry(item.question) for item in facts.visibility.skipped if item.condition is None
        ],
    }


def _engagement(facts: _Facts) -> dict[str, Any] | None:
    """The record of engagement with rights-holders, if the bank has one."""
    question_id, rows = facts.role_answer("engagement")
    if question_id is None:
        return None
    question = facts.bank.question(question_id)
    return {
        "columns": [f.text.get_text(facts.lang) for f in question.fields],
        "rows": [
            [shown_field(f, row.get(f.id), facts.lang) for f in question.fields]
            for row in rows or []
        ],
    }


def _action_plan(facts: _Facts) -> list[dict[str, str]]:
    question_id, rows = facts.role_answer("action_plan")
    if question_id is None:
        return []
    question = facts.bank.question(question_id)
    return [
        {f.id: shown_field(f, row.get(f.id), facts.lang) for f in question.fields}
        for row in rows or []
    ]


def _recommendations(facts: _Facts) -> list[dict[str, Any]]:
    return [
        {
            "id": rec.id,
            "text": rec.text,
            "priority": rec.priority,
            "rights": ", ".join(facts.right_label(r) for r in rec.rights),
            "refs": facts.citations.cite(rec.references),
        }
        for rec in facts.result.recommendations
    ]


def _answers_appendix(facts: _Facts) -> list[dict[str, Any]]:
    evidence_count: dict[str, int] = {}
    for evidence in facts.document.evidence:
        evidence_count[evidence.question_id] = evidence_count.get(evidence.question_id, 0) + 1
    sections = []
    for progress in facts.visibility.sections:
        section = progress.section
        rows = []
        for question in progress.visible:
            answer = facts.answers.get(question.id)
            rows.append(
                {
                    "id": question.id,
                    "text": facts.text(question),
                    "answer": answer_text(question, answer.value, facts.lang) if answer else None,
                    "required": question.required,
                    "note": answer.note if answer else "",
                    "source": answer.source if answer else "",
                    "confidence": facts._(CONFIDENCE_LABELS[answer.confidence])
                    if answer and answer.confidence
                    else "",
                    "evidence": evidence_count.get(question.id, 0),
                }
            )
        sections.append(
            {
                "id": section.id,
                "title": section.title.get_text(facts.lang),
                "module": facts.bank.module(section.module_id).title.get_text(facts.lang),
                "questions": rows,
            }
        )
    return sections


def _skipped(facts: _Facts) -> list[dict[str, str]]:
    labels = {q.id: q.text.get_text(facts.lang) for q in facts.bank.questions}
    _ = facts._
    return [
        {
            "id": item.question.id,
            "text": item.question.text.get_text(facts.lang),
            "reason": _("Cannot be known before the programme runs")
            if item.condition is None
            else _("Shown only when %(condition)s")
            % {
                "condition": describe(
                    item.condition,
                    labels,
                    _,
                    facts.words.quote,
                    lambda question, value: option_label(facts.bank, question, value, facts.lang),
                )
            },
        }
        for item in facts.visibility.skipped
    ]


def _skipped_summary(facts: _Facts, skipped: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The questions that did not apply (``skipped``, from :func:`_skipped`),
    counted per section (per module where a whole module was left out), each
    with the distinct conditions that left them out, in the bank's order."""
    groups: dict[str, dict[str, Any]] = {}
    for item, shown in zip(facts.visibility.skipped, skipped, strict=True):
        module = facts.bank.module(item.question.module_id).title.get_text(facts.lang)
        if item.level == "module":
            where = module
        else:
            section = facts.bank.section(item.question.section_id).title.get_text(facts.lang)
            where = f"{module}: {section}"
        group = groups.setdefault(where, {"section": where, "count": 0, "reasons": []})
        group["count"] += 1
        if shown["reason"] not in group["reasons"]:
            group["reasons"].append(shown["reason"])
    return list(groups.values())


def _method(facts: _Facts) -> dict[str, Any]:
    bank, lang, _ = facts.bank, facts.lang, facts._
    return {
        "version": METHOD_VERSION,
        "matrix": [
            [_(RISK_LABELS[RISK_MATRIX[sev][lik]]) for lik in range(1, 5)] for sev in range(1, 5)
        ],
        "matrix_levels": [[RISK_MATRIX[sev][lik] for lik in range(1, 5)] for sev in range(1, 5)],
        "levels": {level: _(label) for level, label in LEVEL_LABELS.items()},
        "unknown_level": UNKNOWN_LEVEL,
        "base_likelihood": BASE_LIKELIHOOD,
        "points_per_step": POINTS_PER_STEP,
        "evidence_points": {
            (_(CONFIDENCE_LABELS[c]) if c else _("No confidence given")): points
            for c, points in EVIDENCE_POINTS.items()
        },
        "action_points": ACTION_POINTS,
        "max_likelihood_reduction": MAX_LIKELIHOOD_REDUCTION,
        "max_severity_reduction": MAX_SEVERITY_REDUCTION,
        "core_steps": [s.label.get_text(lang) for s in bank.steps if s.core],
        "state_burden_steps": [s.label.get_text(lang) for s in bank.steps if s.burden_on_state],
        "strict_steps": [s.label.get_text(lang) for s in bank.steps if s.strict_when],
        "top_risk": _(RISK_LABELS[max(RISK_LABELS)]),
    }


NOT_EMBEDDED_FROM_FILE = N_(
    "The files are not embedded: this report was rendered from an exchange file, which "
    "lists evidence by hash only; the installation that holds the assessment keeps the files."
)


def _evidence(facts: _Facts) -> dict[str, Any]:
    """Appendix E: every evidence file with its question, name, type, size and
    SHA-256 (a withheld file of the public edition only as existing).
    ``embedded`` and ``note`` say whether the files are in the PDF; the
    renderer sets them (:func:`assessment.report.render.render_report`)."""
    files = []
    for number, evidence in enumerate(facts.document.evidence, start=1):
        known = facts.bank.has_question(evidence.question_id)
        files.append(
            {
                "number": number,
                "question_id": evidence.question_id,
                "question": facts.text(facts.bank.question(evidence.question_id)) if known else "",
                "withheld": evidence.withheld,
                "name": evidence.name,
                "kind": facts._(EVIDENCE_KIND_LABELS[evidence.kind])
                if evidence.kind in EVIDENCE_KIND_LABELS
                else evidence.kind,
                "size": size_text(evidence.size, facts.words),
                "sha256": evidence.sha256,
                "attachment": "",
            }
        )
    return {"files": files, "embedded": False, "note": facts._(NOT_EMBEDDED_FROM_FILE)}


def size_text(size: int, words: ReportLanguage) -> str:
    """A file size as the report writes it ("1.5 MB", "12 KB", "300 bytes")."""
    if size >= 1024 * 1024:
        return words.gettext("%(size)s MB") % {"size": words.number(round(size / 2**20, 1))}
    if size >= 1024:
        return words.gettext("%(size)s KB") % {"size": words.number(size // 1024)}
    return words.ngettext("%(num)d byte", "%(num)d bytes", size) % {"num": size}


def _history(facts: _Facts, history: Sequence[HistoryEntry] | None) -> list[dict[str, Any]] | None:
    """Appendix D: one row per day and person, in order, saying what they did
    in the report's language ("12 answers in 'Legal and emergency context',
    'Camera functions'; submitted it for review", in the order they did it)
    and the revisions it made; ``None`` when the history is not known."""
    if history is None:
        return None
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in history:
        row = rows.setdefault(
            (entry.at[:10], entry.who),
            {"parts": [], "sections": [], "answers": 0, "revisions": []},
        )
        row["revisions"].append(entry.revision)
        if entry.action == SAVED and entry.answer_count is not None:
            if not row["answers"]:
                row["parts"].append(None)  # where the count of saved answers goes
            row["answers"] += entry.answer_count
            title = _section_title(facts, entry.section_id)
            if title and title not in row["sections"]:
                row["sections"].append(title)
        else:
            known = entry.action in HISTORY_ACTIONS
            action = facts._(HISTORY_ACTIONS[entry.action]) if known else entry.action
            if action not in row["parts"]:
                row["parts"].append(action)
    shown = []
    for (day, who), row in rows.items():
        saved = _saved_answers(facts.words, row["answers"], row["sections"])
        low, high = min(row["revisions"]), max(row["revisions"])
        shown.append(
            {
                "day": facts.words.date(day),
                "who": who,
                "what": "; ".join(saved if part is None else part for part in row["parts"]),
                "revisions": str(low) if low == high else f"{low}\u2013{high}",
            }
        )
    return shown


def _saved_answers(words: ReportLanguage, count: int, sections: list[str]) -> str:
    """ "12 answers in 'Legal and emergency context', 'Camera functions'"."""
    if not sections:
        return words.ngettext("%(num)d answer", "%(num)d answers", count) % {"num": count}
    return words.ngettext(
        "%(num)d answer in %(sections)s", "%(num)d answers in %(sections)s", count
    ) % {"num": count, "sections": ", ".join(words.quote(t) for t in sections)}


def _section_title(facts: _Facts, section_id: str | None) -> str:
    """The title of the section ``section_id`` in the report's language; the
    id itself for a section the bank no longer has, "" for none."""
    if not section_id:
        return ""
    if facts.bank.has_section(section_id):
        return facts.bank.section(section_id).title.get_text(facts.lang)
    return section_id


def _open_comments(
    facts: _Facts, comments: Sequence[CommentEntry] | None
) -> list[dict[str, Any]] | None:
    """The unresolved comments grouped by question, in the order of the
    questions; ``None`` when they are not known."""
    if comments is None:
        return None
    order = {q.id: n for n, q in enumerate(facts.bank.questions)}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for comment in comments:
        grouped.setdefault(comment.question_id, []).append(
            {
                "author": comment.author,
                "at": comment.at,
                "text": comment.text,
                "depth": comment.depth,
            }
        )
    return [
        {
            "question": facts.label(question_id),
            "section": facts.section_title(question_id)
            if facts.bank.has_question(question_id)
            else "",
            "comments": entries,
        }
        for question_id, entries in sorted(
            grouped.items(), key=lambda item: (order.get(item[0], len(order)), item[0])
        )
    ]


def shown_field(field: Any, value: Any, language: str) -> str:
    return "" if value is None else answer_text(field, value, language)
