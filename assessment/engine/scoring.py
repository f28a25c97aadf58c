"""The scoring method: from answers to findings an auditor can follow.

The method is described for people in ``docs/methodology.md``; this module is
its only implementation.  In short:

* **Per right** (UN Guiding Principles / DIHR, CNIL levels): severity is the
  highest of its three dimensions (scale, scope, irremediability), raised by
  one level when vulnerable groups are affected; likelihood is the highest
  likelihood answer.  Inherent risk comes from the risk matrix below.
  Safeguards in place lower likelihood (or severity, for remediability
  safeguards) by whole steps: two strength points per step, at most two steps
  of likelihood and one of severity.  Residual risk uses the same matrix.
* **Per limitation-test step**: a "not met" answer fails the step; an
  unknown answer fails it where the burden of proof is on the state and
  leaves it at "not enough information" otherwise.
* **Overall**: the impact level (I-IV) is the highest residual risk, raised
  to at least III if any step is not met and to IV if a core step is not met.
  Failed steps cannot be offset by low risk elsewhere.
* **Unknown is never safe**: an unknown severity or likelihood answer counts
  as the higher of 3 and nothing lower than the question's own range allows;
  an unknown safeguard counts as absent; both lower the finding's confidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assessment.engine.answers import is_unknown
from assessment.engine.bank import (
    Bank,
    Confidence,
    Question,
    ScoringKind,
    SeverityDimension,
)
from assessment.engine.conditions import evaluate
from assessment.engine.progress import resolve

METHOD_VERSION = "2"
LEVEL_LABELS = {1: "Negligible", 2: "Limited", 3: "Significant", 4: "Maximum"}
RISK_LABELS = {1: "Low", 2: "Moderate", 3: "High", 4: "Very high"}
IMPACT_NUMERALS = {1: "I", 2: "II", 3: "III", 4: "IV"}
UNKNOWN_LEVEL = 3
BASE_LIKELIHOOD = 2  # a right engaged by the programme, with no likelihood evidence
MAX_LIKELIHOOD_REDUCTION = 2
MAX_SEVERITY_REDUCTION = 1
STRENGTH_PER_STEP = 2
VULNERABLE_GROUPS_QUESTION = "rights.vulnerable_groups"
PROGRAMME_STATUS_QUESTION = "scope.status"

#: RISK_MATRIX[severity][likelihood] -> risk level 1-4.  Severity weighs more
#: than likelihood (UNGP): maximum severity is at least "high" however unlikely.
RISK_MATRIX: Mapping[int, Mapping[int, int]] = {
    1: {1: 1, 2: 1, 3: 2, 4: 2},
    2: {1: 1, 2: 2, 3: 2, 4: 3},
    3: {1: 2, 2: 3, 3: 3, 4: 4},
    4: {1: 3, 2: 3, 3: 4, 4: 4},
}

MET, NOT_MET, INSUFFICIENT = "met", "not_met", "insufficient"
VERDICT_LABELS = {MET: "Met", NOT_MET: "Not met", INSUFFICIENT: "Not enough information"}
RECOMMENDATION_LABELS = {
    "proceed": "Proceed",
    "proceed_with_conditions": "Proceed only with conditions",
    "do_not_proceed": "Do not proceed",
    "suspend": "Suspend the programme",
}


@dataclass(frozen=True, slots=True)
class TraceItem:
    """One answer that moved a figure: which question, what it said, what it did."""

    question_id: str
    value: Any
    role: str  # a severity dimension, "likelihood", "safeguard", "vulnerability" or "action plan"
    effect: int
    unknown: bool = False


@dataclass(frozen=True, slots=True)
class RightFinding:
    right_id: str
    engaged: bool
    severity: int
    dimensions: Mapping[str, int]
    vulnerability_uplift: bool
    likelihood: int
    inherent: int
    likelihood_reduction: int
    severity_reduction: int
    residual_severity: int
    residual_likelihood: int
    residual: int
    confidence: str  # "high", "medium", "low"
    unknown_answers: int
    trace: tuple[TraceItem, ...]


@dataclass(frozen=True, slots=True)
class StepFinding:
    step_id: str
    verdict: str
    presumed: bool  # decided by the burden of proof, not by evidence
    trace: tuple[tuple[str, Any, str], ...]  # (question id, value, "met"/"not_met"/"unknown")


@dataclass(frozen=True, slots=True)
class TriggeredRecommendation:
    id: str
    text: str
    rights: tuple[str, ...]
    references: tuple[str, ...]
    priority: int


@dataclass(frozen=True, slots=True)
class ScoringResult:
    method_version: str
    rights: tuple[RightFinding, ...]
    steps: tuple[StepFinding, ...]
    impact_level: int
    recommendation: str
    reasons: tuple[str, ...]
    recommendations: tuple[TriggeredRecommendation, ...] = field(default=())

    @property
    def impact_numeral(self) -> str:
        return IMPACT_NUMERALS[self.impact_level]

    @property
    def recommendation_label(self) -> str:
        return RECOMMENDATION_LABELS[self.recommendation]

    def right(self, right_id: str) -> RightFinding:
        return next(r for r in self.rights if r.right_id == right_id)

    def step(self, step_id: str) -> StepFinding:
        return next(s for s in self.steps if s.step_id == step_id)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready rendering with every figure and the answers behind it."""
        return {
            "method_version": self.method_version,
            "impact_level": self.impact_numeral,
            "recommendation": self.recommendation,
            "recommendation_label": self.recommendation_label,
            "reasons": list(self.reasons),
            "rights": [
                {
                    "right": r.right_id,
                    "engaged": r.engaged,
                    "severity": r.severity,
                    "dimensions": dict(r.dimensions),
                    "vulnerability_uplift": r.vulnerability_uplift,
                    "likelihood": r.likelihood,
                    "inherent": r.inherent,
                    "inherent_label": RISK_LABELS[r.inherent],
                    "residual_severity": r.residual_severity,
                    "residual_likelihood": r.residual_likelihood,
                    "residual": r.residual,
                    "residual_label": RISK_LABELS[r.residual],
                    "confidence": r.confidence,
                    "trace": [
                        {
                            "question": t.question_id,
                            "value": t.value,
                            "role": t.role,
                            "effect": t.effect,
                            "unknown": t.unknown,
                        }
                        for t in r.trace
                    ],
                }
                for r in self.rights
            ],
            "limitation_test": [
                {
                    "step": s.step_id,
                    "verdict": s.verdict,
                    "presumed": s.presumed,
                    "decided_by": [
                        {"question": q, "value": v, "outcome": o} for q, v, o in s.trace
                    ],
                }
                for s in self.steps
            ],
            "recommendations": [
                {
                    "id": r.id,
                    "priority": r.priority,
                    "text": r.text,
                    "rights": list(r.rights),
                    "references": list(r.references),
                }
                for r in self.recommendations
            ],
        }


def _level(question: Question, value: Any) -> int | None:
    """The level (or safeguard strength) ``value`` gives, ``None`` if it gives none."""
    spec = question.scoring
    if spec is None:
        return None
    if spec.thresholds:
        if not isinstance(value, int | float):
            return None
        return 1 + sum(1 for threshold in spec.thresholds if value >= threshold)
    items = value if isinstance(value, list) else [value]
    levels = [spec.levels[str(item)] for item in items if str(item) in spec.levels]
    return max(levels) if levels else None


def _unknown_level(question: Question) -> int:
    levels = question.scoring.levels if question.scoring else {}
    highest = max(levels.values(), default=4)
    return max(min(UNKNOWN_LEVEL, highest), 1)


def _low_confidence(question_id: str, confidence: Mapping[str, Confidence | None]) -> bool:
    return confidence.get(question_id) in (Confidence.ASSUMED, Confidence.UNKNOWN)


def _score_right(
    bank: Bank,
    right_id: str,
    applicable: Mapping[str, Any],
    confidence: Mapping[str, Confidence | None],
    vulnerable: TraceItem | None,
) -> RightFinding:
    dimensions = {d.value: 1 for d in SeverityDimension}
    likelihood = 0
    strength = {"likelihood": 0, "severity": 0}
    trace: list[TraceItem] = []
    engaged = False
    unknown_answers = 0
    weak = 0
    for question_id, value in applicable.items():
        question = bank.question(question_id)
        if right_id not in question.rights:
            continue
        engaged = True
        spec = question.scoring
        if spec is None:
            continue
        if spec.kind is ScoringKind.ACTION_PLAN:
            implemented = sum(
                1
                for row in value or []
                if row.get("addresses") == right_id and row.get("status") == "implemented"
            )
            if implemented:
                strength["likelihood"] += implemented
                trace.append(TraceItem(question_id, implemented, "action plan", implemented))
            continue
        unknown = is_unknown(value)
        unknown_answers += unknown
        weak += unknown or _low_confidence(question_id, confidence)
        if spec.kind is ScoringKind.SAFEGUARD:
            given = 0 if unknown else (_level(question, value) or 0)
            if given:
                strength[spec.reduces] += given
            trace.append(TraceItem(question_id, value, "safeguard", given, unknown))
            continue
        level = _unknown_level(question) if unknown else _level(question, value)
        if level is None:
            continue
        if spec.kind is ScoringKind.SEVERITY and spec.dimension is not None:
            dimensions[spec.dimension.value] = max(dimensions[spec.dimension.value], level)
            trace.append(TraceItem(question_id, value, spec.dimension.value, level, unknown))
        else:
            likelihood = max(likelihood, level)
            trace.append(TraceItem(question_id, value, "likelihood", level, unknown))

    if not engaged:
        return RightFinding(
            right_id, False, 1, dimensions, False, 1, 1, 0, 0, 1, 1, 1, "high", 0, ()
        )
    severity = max(dimensions.values())
    uplift = vulnerable is not None and severity < 4
    if uplift and vulnerable is not None:
        severity += 1
        trace.append(vulnerable)
    likelihood = likelihood or BASE_LIKELIHOOD
    inherent = RISK_MATRIX[severity][likelihood]
    likelihood_cut = min(strength["likelihood"] // STRENGTH_PER_STEP, MAX_LIKELIHOOD_REDUCTION)
    severity_cut = min(strength["severity"] // STRENGTH_PER_STEP, MAX_SEVERITY_REDUCTION)
    residual_severity = max(1, severity - severity_cut)
    residual_likelihood = max(1, likelihood - likelihood_cut)
    residual = RISK_MATRIX[residual_severity][residual_likelihood]
    moved = sum(1 for t in trace if t.role not in ("vulnerability", "action plan"))
    share = weak / moved if moved else 1.0
    confidence_level = "high" if share < 0.2 else "medium" if share < 0.5 else "low"
    role_order = {
        "scale": 0,
        "scope": 1,
        "irremediability": 2,
        "vulnerability": 3,
        "likelihood": 4,
        "safeguard": 5,
        "action plan": 6,
    }
    return RightFinding(
        right_id=right_id,
        engaged=True,
        severity=severity,
        dimensions=dimensions,
        vulnerability_uplift=uplift,
        likelihood=likelihood,
        inherent=inherent,
        likelihood_reduction=likelihood_cut,
        severity_reduction=severity_cut,
        residual_severity=residual_severity,
        residual_likelihood=residual_likelihood,
        residual=residual,
        confidence=confidence_level,
        unknown_answers=unknown_answers,
        trace=tuple(sorted(trace, key=lambda t: (role_order[t.role], -t.effect, t.question_id))),
    )


def _score_step(
    bank: Bank, step_id: str, applicable: Mapping[str, Any], missing: set[str]
) -> StepFinding:
    step = bank.step(step_id)
    trace: list[tuple[str, Any, str]] = []
    for question in bank.questions:
        if question.step != step_id:
            continue
        if question.id in applicable:
            value = applicable[question.id]
            if is_unknown(value):
                trace.append((question.id, value, "unknown"))
                continue
            items = value if isinstance(value, list) else [value]
            given = {question.verdicts.get(str(item)) for item in items}
            if NOT_MET in given:
                trace.append((question.id, value, NOT_MET))
            elif MET in given:
                trace.append((question.id, value, MET))
        elif question.id in missing:
            trace.append((question.id, None, "unknown"))
    outcomes = [outcome for _, _, outcome in trace]
    if NOT_MET in outcomes:
        return StepFinding(step_id, NOT_MET, False, tuple(trace))
    if "unknown" in outcomes or not outcomes:
        if step.burden_on_state:
            return StepFinding(step_id, NOT_MET, True, tuple(trace))
        return StepFinding(step_id, INSUFFICIENT, False, tuple(trace))
    return StepFinding(step_id, MET, False, tuple(trace))


def score(
    bank: Bank,
    answers: Mapping[str, Any],
    confidence: Mapping[str, Confidence | None] | None = None,
    language: str = "en",
) -> ScoringResult:
    """Score ``answers`` (question id -> value) against ``bank``.

    ``confidence`` (question id -> the assessor's confidence) lowers the
    confidence of findings resting on assumed or unknown facts.  Pure and
    deterministic; answers to questions that do not apply are ignored, and
    unanswered required questions count as unknown.
    """
    confidence = confidence or {}
    visibility = resolve(bank, answers)
    applicable = visibility.answers
    missing = {q.id for q in visibility.missing_required()}

    vulnerable: TraceItem | None = None
    groups = applicable.get(VULNERABLE_GROUPS_QUESTION)
    if groups is not None and groups not in ([], ["none"]) and not is_unknown(groups):
        vulnerable = TraceItem(VULNERABLE_GROUPS_QUESTION, groups, "vulnerability", 1)
    elif groups is not None and is_unknown(groups):
        vulnerable = TraceItem(VULNERABLE_GROUPS_QUESTION, groups, "vulnerability", 1, True)

    rights = tuple(
        _score_right(bank, right.id, applicable, confidence, vulnerable) for right in bank.rights
    )
    steps = tuple(_score_step(bank, step.id, applicable, missing) for step in bank.steps)

    reasons: list[str] = []
    impact = max((r.residual for r in rights if r.engaged), default=1)
    top = [r for r in rights if r.engaged and r.residual == impact]
    top_names = ", ".join(bank.right(r.right_id).label.get_text(language) for r in top)
    reasons.append(f"Highest residual risk: {RISK_LABELS[impact]} ({top_names}).")
    failed = [s for s in steps if s.verdict == NOT_MET]
    failed_core = [s for s in failed if bank.step(s.step_id).core]
    if failed and impact < 3:
        impact = 3
        reasons.append("Raised to III: a limitation-test step is not met.")
    if failed_core and impact < 4:
        impact = 4
        reasons.append("Raised to IV: a core limitation-test step is not met.")
    insufficient = [s for s in steps if s.verdict == INSUFFICIENT]

    if failed_core or impact == 4:
        recommendation = "do_not_proceed"
        if failed_core:
            names = ", ".join(bank.step(s.step_id).label.get_text(language) for s in failed_core)
            reasons.append(f"Not justifiable while these core steps fail: {names}.")
        else:
            reasons.append("Residual risk remains very high after the reported safeguards.")
    elif failed or impact == 3 or insufficient:
        recommendation = "proceed_with_conditions"
        if failed:
            names = ", ".join(bank.step(s.step_id).label.get_text(language) for s in failed)
            reasons.append(f"Conditions: remedy the steps not met ({names}).")
        if insufficient:
            reasons.append("Conditions: supply the missing information for the open steps.")
    else:
        recommendation = "proceed"
    if (
        recommendation == "do_not_proceed"
        and applicable.get(PROGRAMME_STATUS_QUESTION) == "running"
    ):
        recommendation = "suspend"
        reasons.append("The programme is already running, so it should be suspended.")

    triggered = tuple(
        TriggeredRecommendation(
            rule.id, rule.text.get_text(language), rule.rights, rule.references, rule.priority
        )
        for rule in sorted(bank.recommendations, key=lambda r: (r.priority, r.id))
        if evaluate(rule.when, applicable)
    )
    return ScoringResult(
        method_version=METHOD_VERSION,
        rights=rights,
        steps=steps,
        impact_level=impact,
        recommendation=recommendation,
        reasons=tuple(reasons),
        recommendations=triggered,
    )
