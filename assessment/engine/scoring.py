"""The scoring method: from answers to findings an auditor can follow.

The method is described for people in ``docs/methodology.md``; this module is
its only implementation.  In short:

* **Per right** (UN Guiding Principles / DIHR, CNIL levels): a right is
  engaged only by answers that name it (an option's own ``rights``, else the
  question's).  Severity is the highest of its three dimensions (scale, scope,
  irremediability), raised by one level when an affected vulnerable group's
  exposure bears on that right; likelihood is the highest likelihood answer,
  raised when programmes are combined (the bank's ``cumulative`` rule).
  Safeguards earn credit by strength and by the evidence behind them (the
  answer's confidence) and lower likelihood (up to three steps) or severity
  (at most one).  Residual risk uses the same matrix as inherent risk.
* **Per limitation-test step**: each condition is decisive or contributory.
  A decisive condition not met fails the step; contributory conditions fail
  it only when more of them fail than are met, and otherwise leave it "met in
  part".  "Not applicable" answers are never counted.  An unknown
  precondition fails the step where the burden of proof is on the state; an
  unknown question about practice (for a planned programme) is an
  information gap.  Proportionality also weighs the residual risk.
* **Overall**: the impact level (I-IV) is the highest residual risk, raised
  to at least III if a step is not met and to IV if a core step is not met or
  an absolute element is engaged.  Failed steps cannot be offset by low risk.
* **Unknown is never safe**, and its effect is shown: the level is reported
  with its range, from the known answers only to the worst case for every
  unknown one, with the completeness of the assessment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from assessment.engine.answers import OTHERS_NOT_KNOWN, is_not_applicable, is_open_list, is_unknown
from assessment.engine.bank import (
    Bank,
    Confidence,
    Question,
    QuestionType,
    ScoringKind,
    SeverityDimension,
    Step,
    Weight,
)
from assessment.engine.conditions import evaluate
from assessment.engine.progress import Visibility, resolve

METHOD_VERSION = "4"
LEVEL_LABELS = {1: "Negligible", 2: "Limited", 3: "Significant", 4: "Maximum"}
RISK_LABELS = {1: "Low", 2: "Moderate", 3: "High", 4: "Very high"}
IMPACT_NUMERALS = {1: "I", 2: "II", 3: "III", 4: "IV"}
UNKNOWN_LEVEL = 3
BASE_LIKELIHOOD = 2  # a right engaged by the programme, with no likelihood evidence
MAX_LIKELIHOOD_REDUCTION = 3
MAX_SEVERITY_REDUCTION = 1
POINTS_PER_STEP = 8
#: Credit points per unit of safeguard strength, by the evidence behind the answer:
#: a full safeguard (strength 2) confirmed by an official source is one step.
EVIDENCE_POINTS: Mapping[Confidence | None, int] = {
    Confidence.CONFIRMED: 4,
    Confidence.REPORTED: 3,
    Confidence.ASSUMED: 2,
    None: 2,
    Confidence.UNKNOWN: 1,
}
ACTION_POINTS = 4  # an implemented measure of the action plan, per row
PLANNED = "planned"
RUNNING_STATUSES = frozenset({"running", "pilot"})

#: RISK_MATRIX[severity][likelihood] -> risk level 1-4.  Severity weighs more
#: than likelihood (UNGP): maximum severity is at least "high" however unlikely.
RISK_MATRIX: Mapping[int, Mapping[int, int]] = {
    1: {1: 1, 2: 1, 3: 2, 4: 2},
    2: {1: 1, 2: 2, 3: 2, 4: 3},
    3: {1: 2, 2: 3, 3: 3, 4: 4},
    4: {1: 3, 2: 3, 3: 4, 4: 4},
}

MET, PARTLY_MET, NOT_MET, INSUFFICIENT = "met", "partly_met", "not_met", "insufficient"
VERDICT_LABELS = {
    MET: "Met",
    PARTLY_MET: "Met in part",
    NOT_MET: "Not met",
    INSUFFICIENT: "Not enough information",
}
#: Outcomes of one condition of a step, as traced.
UNKNOWN_OUTCOME, GAP, NOT_APPLICABLE_OUTCOME, RESIDUAL = (
    "unknown",
    "gap",
    "not_applicable",
    "residual",
)
RECOMMENDATION_LABELS = {
    "proceed": "Proceed",
    "proceed_with_conditions": "Proceed only with conditions",
    "do_not_proceed": "Do not proceed",
    "suspend": "Suspend the programme",
}


class Role(StrEnum):
    """What an answer did to a right's figures, in the order the report lists them."""

    SCALE = "scale"
    SCOPE = "scope"
    IRREMEDIABILITY = "irremediability"
    VULNERABILITY = "vulnerability"
    LIKELIHOOD = "likelihood"
    CUMULATIVE = "cumulative"
    SAFEGUARD = "safeguard"
    ACTION_PLAN = "action plan"


ROLE_ORDER = tuple(Role)


class UnknownPolicy(StrEnum):
    """How unknown answers are read: the central finding presumes (unknown is
    never safe); the range reads them as absent and as the worst case."""

    PRESUME = "presume"
    KNOWN_ONLY = "known_only"
    WORST = "worst"


@dataclass(frozen=True, slots=True)
class TraceItem:
    """One answer that moved a figure: which question, what it said, what it did.
    For a safeguard, ``effect`` is its credit points."""

    question_id: str
    value: Any
    role: Role
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
    excluded: bool = False  # the assessor judged the right not engaged
    engaged_by: tuple[str, ...] = ()  # the questions whose answers engage it

    @property
    def counted(self) -> bool:
        """Whether the right counts towards the overall level."""
        return self.engaged and not self.excluded


@dataclass(frozen=True, slots=True)
class StepFinding:
    step_id: str
    verdict: str
    presumed: bool  # decided by the burden of proof, not by evidence
    #: (question id, value, outcome): outcome is met / not_met / unknown (presumed
    #: not met) / gap / not_applicable / residual.
    trace: tuple[tuple[str, Any, str], ...]
    strict: bool = False  # every condition counted as decisive (strict necessity)


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
    #: (known answers only, worst case for every unknown answer); the level lies between.
    level_range: tuple[int, int] = (1, 4)
    completeness: int = 0  # % of applicable questions with a known answer
    unknown_decisive: tuple[str, ...] = ()  # unknown answers that raised the level
    absolute: tuple[str, ...] = ()  # absolute elements engaged (ids)
    not_applicable: tuple[str, ...] = ()  # questions answered "does not apply"

    @property
    def impact_numeral(self) -> str:
        return IMPACT_NUMERALS[self.impact_level]

    @property
    def range_numerals(self) -> tuple[str, str]:
        return IMPACT_NUMERALS[self.level_range[0]], IMPACT_NUMERALS[self.level_range[1]]

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
            "level_range": list(self.range_numerals),
            "completeness": self.completeness,
            "unknown_decisive": list(self.unknown_decisive),
            "absolute": list(self.absolute),
            "not_applicable": list(self.not_applicable),
            "recommendation": self.recommendation,
            "recommendation_label": self.recommendation_label,
            "reasons": list(self.reasons),
            "rights": [
                {
                    "right": r.right_id,
                    "engaged": r.engaged,
                    "excluded": r.excluded,
                    "engaged_by": list(r.engaged_by),
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
                            "role": t.role.value,
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
                    "strict": s.strict,
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


# --- reading one answer -------------------------------------------------------------


def _items(value: Any) -> list[str]:
    """The options chosen (an open list's "and others not known" left out)."""
    if isinstance(value, list):
        return [str(item) for item in value if item != OTHERS_NOT_KNOWN]
    return [str(value)]


def _open(value: Any, policy: UnknownPolicy) -> bool:
    """Whether ``value`` is an open list ("these, and others not known") whose
    open part counts under ``policy``: as "not known" for the options not
    chosen, except on the known answers only (methodology §6)."""
    return policy is not UnknownPolicy.KNOWN_ONLY and is_open_list(value)


def _option_rights(question: Question, item: str) -> tuple[str, ...]:
    option = question.option(item)
    if option is not None and option.rights is not None:
        return option.rights
    return question.rights


def _all_option_rights(question: Question) -> frozenset[str]:
    """Every right any answer to ``question`` could engage (for an unknown answer)."""
    rights = set(question.rights)
    for option in question.options:
        if option.rights is not None:
            rights.update(option.rights)
    return frozenset(rights)


def _item_level(question: Question, item: Any) -> int | None:
    spec = question.scoring
    if spec is None:
        return None
    if spec.thresholds:
        if not isinstance(item, int | float) or isinstance(item, bool):
            return None
        return 1 + sum(1 for threshold in spec.thresholds if item >= threshold)
    return spec.levels.get(str(item))


def _highest_level(question: Question) -> int:
    spec = question.scoring
    if spec is None or spec.thresholds:
        return 4
    return max(spec.levels.values(), default=4)


def _unknown_level(question: Question, policy: UnknownPolicy) -> int:
    highest = _highest_level(question)
    if policy is UnknownPolicy.WORST:
        return highest
    return max(min(UNKNOWN_LEVEL, highest), 1)


def _level_by_right(question: Question, value: Any) -> dict[str, tuple[int, Any]]:
    """Right -> (level, the answer behind it) for a known answer to a severity or
    likelihood question: each chosen option bears on the rights it engages."""
    spec = question.scoring
    if spec is not None and spec.thresholds:
        level = _item_level(question, value)
        return {} if level is None else {right: (level, value) for right in question.rights}
    found: dict[str, tuple[int, Any]] = {}
    for item in _items(value):
        level = _item_level(question, item)
        if level is None:
            continue
        for right in _option_rights(question, item):
            if right not in found or found[right][0] < level:
                found[right] = (level, value)
    return found


#: Answers of these types document the programme; they engage no right.
DOCUMENTING_TYPES = frozenset(
    {QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT, QuestionType.DATE, QuestionType.GROUP}
)


def _engages(question: Question, value: Any) -> frozenset[str]:
    """The rights a known answer engages: those its chosen options name (or the
    question's, for options without their own list and for numbers).  Free text,
    dates, repeatable groups, safeguards and the action plan engage none."""
    if question.type in DOCUMENTING_TYPES:
        return frozenset()
    if question.scoring is not None and question.scoring.kind in (
        ScoringKind.SAFEGUARD,
        ScoringKind.ACTION_PLAN,
    ):
        return frozenset()
    if question.options and question.type is not QuestionType.GROUP:
        return frozenset(r for item in _items(value) for r in _option_rights(question, item))
    return frozenset(question.rights)


def _low_confidence(question_id: str, confidence: Mapping[str, Confidence | None]) -> bool:
    return confidence.get(question_id) in (Confidence.ASSUMED, Confidence.UNKNOWN)


# --- the inputs of one evaluation ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Inputs:
    bank: Bank
    applicable: Mapping[str, Any]  # known, unknown and not-applicable answers that apply
    missing: frozenset[str]  # applicable required questions without an answer
    confidence: Mapping[str, Confidence | None]
    policy: UnknownPolicy
    planned: bool
    special: frozenset[str]  # role questions that do not engage rights themselves

    def role_value(self, role: str) -> Any:
        question_id = self.bank.role(role)
        return None if question_id is None else self.applicable.get(question_id)

    def answers(self) -> Iterable[tuple[Question, Any, bool]]:
        """(question, value, unknown) for every answer that counts under the policy."""
        for question_id, value in self.applicable.items():
            if is_not_applicable(value):
                continue
            unknown = is_unknown(value)
            if unknown and self.policy is UnknownPolicy.KNOWN_ONLY:
                continue
            yield self.bank.question(question_id), value, unknown


def _vulnerable_rights(inputs: _Inputs) -> tuple[frozenset[str], TraceItem | None]:
    """The rights on which an affected vulnerable group's exposure bears."""
    question_id = inputs.bank.role("vulnerable_groups")
    if question_id is None or question_id not in inputs.applicable:
        return frozenset(), None
    question = inputs.bank.question(question_id)
    value = inputs.applicable[question_id]
    if is_not_applicable(value):
        return frozenset(), None
    if is_unknown(value) or _open(value, inputs.policy):
        if inputs.policy is UnknownPolicy.KNOWN_ONLY:
            return frozenset(), None
        every = frozenset(r.id for r in inputs.bank.rights)
        return every, TraceItem(question_id, value, Role.VULNERABILITY, 1, True)
    rights = frozenset(r for item in _items(value) for r in _option_rights(question, item))
    if not rights:
        return frozenset(), None
    return rights, TraceItem(question_id, value, Role.VULNERABILITY, 1)


def _excluded(inputs: _Inputs) -> frozenset[str]:
    value = inputs.role_value("excluded_rights")
    if not isinstance(value, list):
        return frozenset()
    known = {r.id for r in inputs.bank.rights}
    return frozenset(item for item in value if item in known)


# --- per right ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Counted:
    """An answer that counts under the evaluation's policy, read once for every right."""

    question: Question
    value: Any
    unknown: bool
    opened: bool  # an open list: its chosen options, and "not known" for the others
    engages: frozenset[str]  # the rights it engages, as a question that engages rights


def _counted(inputs: _Inputs) -> tuple[_Counted, ...]:
    counted = []
    for question, value, unknown in inputs.answers():
        opened = not unknown and _open(value, inputs.policy)
        if question.type in DOCUMENTING_TYPES:
            engages: frozenset[str] = frozenset()
        elif unknown or opened:
            engages = _all_option_rights(question)
        else:
            engages = _engages(question, value)
        counted.append(_Counted(question, value, unknown, opened, engages))
    return tuple(counted)


def _score_right(
    inputs: _Inputs,
    counted: tuple[_Counted, ...],
    right_id: str,
    vulnerable: tuple[frozenset[str], TraceItem | None],
    cumulative: bool,
    excluded: frozenset[str],
) -> RightFinding:
    dimensions = {d.value: 1 for d in SeverityDimension}
    likelihood = 0
    points = {"likelihood": 0, "severity": 0}
    trace: list[TraceItem] = []
    engaged_by: list[str] = []
    unknown_answers = 0
    weak = 0
    for answer in counted:
        question, value, unknown = answer.question, answer.value, answer.unknown
        spec = question.scoring
        if spec is not None and spec.kind is ScoringKind.ACTION_PLAN:
            implemented = sum(
                1
                for row in value or []
                if row.get("addresses") == right_id and row.get("status") == "implemented"
            )
            if implemented:
                points["likelihood"] += implemented * ACTION_POINTS
                trace.append(
                    TraceItem(
                        question.id, implemented, Role.ACTION_PLAN, implemented * ACTION_POINTS
                    )
                )
            continue
        if spec is not None and spec.kind is ScoringKind.SAFEGUARD:
            if right_id not in question.rights:
                continue
            strength = 0 if unknown else (_item_level(question, value) or 0)
            given = 0
            if not unknown and isinstance(value, list):
                # An open list earns the credit of its chosen options only.
                strength = max(
                    (_item_level(question, item) or 0 for item in _items(value)), default=0
                )
            if strength:
                given = strength * EVIDENCE_POINTS[inputs.confidence.get(question.id)]
                points[spec.reduces] += given
            unknown_answers += unknown
            weak += (
                unknown
                or _open(value, inputs.policy)
                or _low_confidence(question.id, inputs.confidence)
            )
            trace.append(TraceItem(question.id, value, Role.SAFEGUARD, given, unknown))
            continue
        if question.id in inputs.special:
            continue
        if question.type in DOCUMENTING_TYPES:
            continue
        opened = answer.opened
        if right_id not in answer.engages:
            continue
        engaged_by.append(question.id)
        if spec is None:
            continue
        unknown_answers += unknown or opened
        weak += unknown or opened or _low_confidence(question.id, inputs.confidence)
        if unknown:
            level: int | None = _unknown_level(question, inputs.policy)
        else:
            level = _level_by_right(question, value).get(right_id, (None, None))[0]
            if opened:
                level = max(level or 0, _unknown_level(question, inputs.policy))
        if level is None:
            continue
        if spec.kind is ScoringKind.SEVERITY and spec.dimension is not None:
            dimension = spec.dimension.value
            dimensions[dimension] = max(dimensions[dimension], level)
            trace.append(TraceItem(question.id, value, Role(dimension), level, unknown or opened))
        else:
            likelihood = max(likelihood, level)
            trace.append(TraceItem(question.id, value, Role.LIKELIHOOD, level, unknown or opened))

    if not engaged_by:
        return RightFinding(
            right_id,
            False,
            1,
            dimensions,
            False,
            1,
            1,
            0,
            0,
            1,
            1,
            1,
            "high",
            0,
            (),
            excluded=right_id in excluded,
        )
    severity = _severity(dimensions)
    vulnerable_rights, vulnerable_item = vulnerable
    uplift = vulnerable_item is not None and right_id in vulnerable_rights and severity < 4
    if uplift and vulnerable_item is not None:
        severity += 1
        trace.append(vulnerable_item)
    likelihood = likelihood or BASE_LIKELIHOOD
    rule = inputs.bank.cumulative
    if cumulative and rule is not None and right_id in rule.rights:
        raised = min(4, likelihood + rule.likelihood)
        trace.append(TraceItem("cumulative", None, Role.CUMULATIVE, raised - likelihood))
        likelihood = raised
    inherent = RISK_MATRIX[severity][likelihood]
    likelihood_cut = min(points["likelihood"] // POINTS_PER_STEP, MAX_LIKELIHOOD_REDUCTION)
    severity_cut = min(points["severity"] // POINTS_PER_STEP, MAX_SEVERITY_REDUCTION)
    residual_severity = max(1, severity - severity_cut)
    residual_likelihood = max(1, likelihood - likelihood_cut)
    residual = RISK_MATRIX[residual_severity][residual_likelihood]
    moved = sum(1 for t in trace if t.role not in (Role.VULNERABILITY, Role.ACTION_PLAN))
    share = weak / moved if moved else 1.0
    confidence_level = "high" if share < 0.2 else "medium" if share < 0.5 else "low"
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
        trace=tuple(
            sorted(trace, key=lambda t: (ROLE_ORDER.index(t.role), -t.effect, t.question_id))
        ),
        excluded=right_id in excluded,
        engaged_by=tuple(engaged_by),
    )


def _severity(dimensions: Mapping[str, int]) -> int:
    """The severity of a right's harm: the gravest of scale and irremediability,
    raised by scope to at most one level above that.  Scope counts how many people
    bear the harm; it widens a grave interference but does not by itself make a
    minimal one grave (methodology, section 3.2)."""
    gravity = max(dimensions["scale"], dimensions["irremediability"])
    return max(gravity, min(dimensions["scope"], gravity + 1))


# --- per limitation-test step -------------------------------------------------------


def _condition_outcome(question: Question, value: Any) -> str | None:
    """met / not_met for a known answer, ``None`` when the answer says neither."""
    if question.type is QuestionType.GROUP:
        key = "rows" if value else "empty"
        return question.verdicts.get(key)
    given = {question.verdicts.get(item) for item in _items(value)}
    if NOT_MET in given:
        return NOT_MET
    if MET in given:
        return MET
    return None


def _score_step(inputs: _Inputs, step: Step) -> StepFinding:
    strict = step.strict_when is not None and evaluate(step.strict_when, inputs.applicable)
    trace: list[tuple[str, Any, str]] = []
    decisive_fail = known_decisive_fail = False
    met = failed = presumed_failed = gaps = 0
    for question in inputs.bank.questions:
        if question.step != step.id:
            continue
        if question.id in inputs.applicable:
            value = inputs.applicable[question.id]
        elif question.id in inputs.missing:
            value = None
        else:
            continue
        decisive = strict or question.weight is Weight.DECISIVE
        if value is not None and is_not_applicable(value):
            trace.append((question.id, value, NOT_APPLICABLE_OUTCOME))
            continue
        # An open list whose chosen options do not fail the step, where an option
        # not chosen could, is read as "not known" here (methodology §6).
        opened = (
            value is not None
            and _open(value, inputs.policy)
            and _condition_outcome(question, value) != NOT_MET
            and NOT_MET in question.verdicts.values()
        )
        if value is None or is_unknown(value) or opened:
            if inputs.policy is UnknownPolicy.KNOWN_ONLY:
                continue
            if NOT_MET not in question.verdicts.values():
                # No answer to this question fails the step, so not knowing it
                # cannot either: it is shown as a gap that costs nothing.
                trace.append((question.id, value, GAP))
                continue
            about_practice = inputs.planned and question.practice is not None
            if inputs.policy is UnknownPolicy.WORST or (
                step.burden_on_state and not about_practice
            ):
                trace.append((question.id, value, UNKNOWN_OUTCOME))
                failed += not decisive
                presumed_failed += not decisive
                decisive_fail = decisive_fail or decisive
            else:
                trace.append((question.id, value, GAP))
                gaps += 1
            continue
        outcome = _condition_outcome(question, value)
        if outcome is None:
            continue
        trace.append((question.id, value, outcome))
        if outcome == MET:
            met += 1
        elif decisive:
            decisive_fail = known_decisive_fail = True
        else:
            failed += 1
    burden = step.burden_on_state and inputs.policy is not UnknownPolicy.KNOWN_ONLY
    verdict = _verdict(decisive_fail, met, failed, gaps, burden)
    evident = _verdict(known_decisive_fail, met, failed - presumed_failed, 0, False)
    presumed = verdict == NOT_MET and evident != NOT_MET
    return StepFinding(step.id, verdict, presumed, tuple(trace), strict)


def _verdict(decisive_fail: bool, met: int, failed: int, gaps: int, burden: bool) -> str:
    if decisive_fail or failed > met:
        return NOT_MET
    if failed:
        # Known failures decide the step only if its gaps cannot change the verdict
        # (every gap met or every gap failed gives the same); else it is open.
        return PARTLY_MET if failed + gaps <= met else INSUFFICIENT
    if gaps or not met:
        return NOT_MET if (not met and not gaps and burden) else INSUFFICIENT
    return MET


def _weigh_residual(inputs: _Inputs, finding: StepFinding, highest: int) -> StepFinding:
    """Proportionality: a Very high residual risk cannot pass on the operator's say-so."""
    if highest < 4:
        return finding
    question_id = inputs.bank.role("evidence_of_benefit")
    shown = (
        question_id is not None
        and inputs.applicable.get(question_id) == "yes"
        and inputs.confidence.get(question_id) in (Confidence.CONFIRMED, Confidence.REPORTED)
    )
    trace = (*finding.trace, (RESIDUAL, highest, MET if shown else NOT_MET))
    if not shown:
        return StepFinding(finding.step_id, NOT_MET, False, trace, finding.strict)
    verdict = PARTLY_MET if finding.verdict == MET else finding.verdict
    return StepFinding(finding.step_id, verdict, finding.presumed, trace, finding.strict)


# --- overall ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Evaluation:
    rights: tuple[RightFinding, ...]
    steps: tuple[StepFinding, ...]
    absolute: tuple[str, ...]
    impact: int


def _evaluate(inputs: _Inputs) -> _Evaluation:
    bank = inputs.bank
    vulnerable = _vulnerable_rights(inputs)
    excluded = _excluded(inputs)
    cumulative = bank.cumulative is not None and evaluate(bank.cumulative.when, inputs.applicable)
    counted = _counted(inputs)
    rights = tuple(
        _score_right(inputs, counted, right.id, vulnerable, cumulative, excluded)
        for right in bank.rights
    )
    highest = max((r.residual for r in rights if r.counted), default=1)
    steps = []
    for step in bank.steps:
        finding = _score_step(inputs, step)
        if step.weighs_residual:
            finding = _weigh_residual(inputs, finding, highest)
        steps.append(finding)
    absolute = tuple(a.id for a in bank.absolute if evaluate(a.when, inputs.applicable))
    impact = highest
    if any(s.verdict == NOT_MET for s in steps):
        impact = max(impact, 3)
    if absolute or any(s.verdict == NOT_MET and bank.step(s.step_id).core for s in steps):
        impact = 4
    return _Evaluation(rights, tuple(steps), absolute, impact)


def score(
    bank: Bank,
    answers: Mapping[str, Any],
    confidence: Mapping[str, Confidence | None] | None = None,
    language: str = "en",
    visibility: Visibility | None = None,
    translate: Callable[[str], str] | None = None,
) -> ScoringResult:
    """Score ``answers`` (question id -> value) against ``bank``.

    ``confidence`` (question id -> the assessor's confidence) sets the credit of
    safeguards and the confidence of findings.  ``visibility`` may be passed if
    already worked out for the same answers.  ``translate`` (a gettext
    function; its msgids are in the report's catalogue) words the reasons in
    ``language``; without it they are in English.  Pure and deterministic; answers to
    questions that do not apply are ignored, and unanswered required questions
    count as unknown.
    """
    confidence = confidence or {}
    visibility = visibility or resolve(bank, answers)
    status_question = bank.role("status")
    planned = status_question is not None and visibility.answers.get(status_question) == PLANNED
    special = frozenset(
        q for q in (bank.role("vulnerable_groups"), bank.role("excluded_rights")) if q
    )

    def evaluate_with(policy: UnknownPolicy) -> _Evaluation:
        return _evaluate(
            _Inputs(
                bank=bank,
                applicable=visibility.answers,
                missing=frozenset(q.id for q in visibility.missing_required()),
                confidence=confidence,
                policy=policy,
                planned=planned,
                special=special,
            )
        )

    central = evaluate_with(UnknownPolicy.PRESUME)
    known_only = evaluate_with(UnknownPolicy.KNOWN_ONLY)
    worst = evaluate_with(UnknownPolicy.WORST)
    rights, steps, impact = central.rights, central.steps, central.impact

    def label(right_id: str) -> str:
        return bank.right(right_id).label.get_text(language)

    def step_names(findings: Iterable[StepFinding]) -> str:
        return ", ".join(bank.step(s.step_id).label.get_text(language) for s in findings)

    _ = translate or str
    reasons: list[str] = []
    highest = max((r.residual for r in rights if r.counted), default=1)
    top = [r for r in rights if r.counted and r.residual == highest]
    top_names = ", ".join(label(r.right_id) for r in top)
    reasons.append(
        _("Highest residual risk: %(risk)s (%(rights)s).")
        % {"risk": _(RISK_LABELS[highest]), "rights": top_names}
    )
    failed = [s for s in steps if s.verdict == NOT_MET]
    failed_core = [s for s in failed if bank.step(s.step_id).core]
    partly = [s for s in steps if s.verdict == PARTLY_MET]
    insufficient = [s for s in steps if s.verdict == INSUFFICIENT]
    if failed and highest < 3:
        reasons.append(_("Raised to III: a limitation-test step is not met."))
    if failed_core and highest < 4:
        reasons.append(_("Raised to IV: a core limitation-test step is not met."))
    for element in bank.absolute:
        if element.id in central.absolute:
            reasons.append(
                _("Cannot be balanced away: %(element)s (level IV).")
                % {"element": element.label.get_text(language)}
            )
    for right in rights:
        if right.excluded and right.engaged:
            reasons.append(
                _("Excluded by the assessor although answers engage it: %(right)s.")
                % {"right": label(right.right_id)}
            )

    status_value = visibility.answers.get(status_question) if status_question else None
    if central.absolute or failed_core or impact == 4:
        recommendation = "do_not_proceed"
        if failed_core:
            reasons.append(
                _("Not justifiable while these core steps fail: %(steps)s.")
                % {"steps": step_names(failed_core)}
            )
        elif not central.absolute:
            reasons.append(_("Residual risk remains very high after the reported safeguards."))
        if status_value in RUNNING_STATUSES:
            recommendation = "suspend"
            reasons.append(_("The programme is already in use, so it should be suspended."))
    elif failed or impact == 3 or partly or insufficient:
        recommendation = "proceed_with_conditions"
        if failed:
            reasons.append(
                _("Conditions: remedy the steps not met (%(steps)s).")
                % {"steps": step_names(failed)}
            )
        if partly:
            reasons.append(
                _("Conditions: remedy the deficiencies of %(steps)s.")
                % {"steps": step_names(partly)}
            )
        if insufficient:
            reasons.append(
                _("Conditions: supply the missing information for %(steps)s.")
                % {"steps": step_names(insufficient)}
            )
    else:
        recommendation = "proceed"

    unknown_decisive: tuple[str, ...] = ()
    if known_only.impact < impact:
        unknown_decisive = _unknown_behind(central, known_only.impact)
        reasons.append(
            _("Level %(level)s rather than %(known)s because of unknown answers: %(questions)s.")
            % {
                "level": IMPACT_NUMERALS[impact],
                "known": IMPACT_NUMERALS[known_only.impact],
                "questions": ", ".join(unknown_decisive),
            }
        )

    applicable_ids = visibility.visible_question_ids
    known = sum(
        1
        for q in applicable_ids
        if q in visibility.answers and not is_unknown(visibility.answers[q])
    )
    triggered = tuple(
        TriggeredRecommendation(
            rule.id, rule.text.get_text(language), rule.rights, rule.references, rule.priority
        )
        for rule in sorted(bank.recommendations, key=lambda r: (r.priority, r.id))
        if evaluate(rule.when, visibility.answers)
    )
    return ScoringResult(
        method_version=METHOD_VERSION,
        rights=rights,
        steps=steps,
        impact_level=impact,
        recommendation=recommendation,
        reasons=tuple(reasons),
        recommendations=triggered,
        level_range=(known_only.impact, worst.impact),
        completeness=100 if not applicable_ids else round(100 * known / len(applicable_ids)),
        unknown_decisive=unknown_decisive,
        absolute=central.absolute,
        not_applicable=tuple(q for q, v in visibility.answers.items() if is_not_applicable(v)),
    )


def _unknown_behind(central: _Evaluation, known_level: int) -> tuple[str, ...]:
    """The unknown answers in the findings that put the level above ``known_level``."""
    found: list[str] = []
    for right in central.rights:
        if right.counted and right.residual > known_level:
            found.extend(t.question_id for t in right.trace if t.unknown)
    for step in central.steps:
        if step.verdict == NOT_MET and step.presumed:
            found.extend(q for q, _, outcome in step.trace if outcome == UNKNOWN_OUTCOME)
    return tuple(dict.fromkeys(found))
