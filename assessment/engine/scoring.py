"""Scoring: from answers to a risk level per right, an overall level and a
recommendation, with a trace of every answer that moved a figure.

Method (version 1, deliberately simple and fully explainable):

* Each option of a choice question may carry a risk from 0 (none) to 3
  (maximum).  A "not known" answer counts as risk 2: unknown is never safe.
* A right's level (1-4: negligible, limited, significant, maximum) is one plus
  the highest risk among applicable answers to the questions bearing on it.
* The overall impact level (I-IV) is the highest right level.
* Recommendation: level IV - do not proceed; level III - proceed only with
  conditions; otherwise proceed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessment.engine.answers import is_unknown
from assessment.engine.bank import Bank, Question
from assessment.engine.progress import resolve

METHOD_VERSION = "1"
UNKNOWN_RISK = 2
LEVEL_LABELS = {1: "Negligible", 2: "Limited", 3: "Significant", 4: "Maximum"}
IMPACT_NUMERALS = {1: "I", 2: "II", 3: "III", 4: "IV"}
RECOMMENDATIONS = {
    "proceed": "Proceed",
    "proceed_with_conditions": "Proceed only with conditions",
    "do_not_proceed": "Do not proceed",
}


@dataclass(frozen=True, slots=True)
class TraceItem:
    """One answer that moved a figure, and by how much."""

    question_id: str
    value: Any
    risk: int
    unknown: bool


@dataclass(frozen=True, slots=True)
class RightResult:
    right_id: str
    level: int
    answered: int
    unknown: int
    trace: tuple[TraceItem, ...]

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self.level]


@dataclass(frozen=True, slots=True)
class ScoringResult:
    method_version: str
    rights: tuple[RightResult, ...]
    impact_level: int
    recommendation: str

    @property
    def impact_numeral(self) -> str:
        return IMPACT_NUMERALS[self.impact_level]

    @property
    def recommendation_label(self) -> str:
        return RECOMMENDATIONS[self.recommendation]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready rendering, stable in key order."""
        return {
            "method_version": self.method_version,
            "impact_level": self.impact_numeral,
            "recommendation": self.recommendation,
            "rights": [
                {
                    "right": r.right_id,
                    "level": r.level,
                    "label": r.label,
                    "answered": r.answered,
                    "unknown": r.unknown,
                    "trace": [
                        {"question": t.question_id, "value": t.value, "risk": t.risk}
                        for t in r.trace
                    ],
                }
                for r in self.rights
            ],
        }


def answer_risk(question: Question, value: Any) -> int | None:
    """The risk (0-3) an answer contributes, or ``None`` if it moves nothing."""
    if is_unknown(value):
        return UNKNOWN_RISK
    values = value if isinstance(value, list) else [value]
    risks = [
        option.risk
        for item in values
        if (option := question.option(str(item))) is not None and option.risk is not None
    ]
    return max(risks) if risks else None


def score(bank: Bank, answers: Mapping[str, Any]) -> ScoringResult:
    """Score ``answers`` (question id -> value) against ``bank``.

    Pure and deterministic: the same inputs always give an equal result.
    Answers to questions that do not apply are ignored.
    """
    applicable = resolve(bank, answers).answers
    per_right: dict[str, list[TraceItem]] = {right.id: [] for right in bank.rights}
    answered: dict[str, int] = {right.id: 0 for right in bank.rights}
    for question_id, value in applicable.items():
        question = bank.question(question_id)
        risk = answer_risk(question, value)
        for right_id in question.rights:
            answered[right_id] += 1
            if risk is not None:
                per_right[right_id].append(
                    TraceItem(question_id, value, risk, unknown=is_unknown(value))
                )
    rights = tuple(
        RightResult(
            right_id=right.id,
            level=1 + max((t.risk for t in per_right[right.id]), default=0),
            answered=answered[right.id],
            unknown=sum(1 for t in per_right[right.id] if t.unknown),
            trace=tuple(sorted(per_right[right.id], key=lambda t: (-t.risk, t.question_id))),
        )
        for right in bank.rights
    )
    impact = max((r.level for r in rights), default=1)
    if impact == 4:
        recommendation = "do_not_proceed"
    elif impact == 3:
        recommendation = "proceed_with_conditions"
    else:
        recommendation = "proceed"
    return ScoringResult(METHOD_VERSION, rights, impact, recommendation)
