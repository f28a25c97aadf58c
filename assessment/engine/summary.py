"""An assessment scored as the report scores it, and the few figures of that
result a list of assessments shows (progress, level, range, recommendation).

:func:`score_document` is the one engine call behind the review page, the
report, the auditor's summary and :func:`summarise`: the answers, their
confidences and the language of one document, with the visibility worked out
once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assessment.engine.bank import Bank
from assessment.engine.document import AssessmentDocument
from assessment.engine.progress import Visibility, resolve
from assessment.engine.scoring import ScoringResult, score


@dataclass(frozen=True, slots=True)
class Scored:
    """What the engine made of one assessment: which questions apply, and the result."""

    visibility: Visibility
    result: ScoringResult


def score_document(bank: Bank, document: AssessmentDocument) -> Scored:
    """Score ``document`` exactly as the report does: its answers, its
    confidences and its language, with the visibility worked out once."""
    values = document.answer_values()
    visibility = resolve(bank, values)
    result = score(bank, values, document.confidences(), document.language, visibility=visibility)
    return Scored(visibility, result)


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures of one scored assessment that a list shows and sorts by.

    ``programme_types`` are the kinds of surveillance chosen in the bank's
    ``programme_types`` question (none if the bank names no such question).
    """

    method_version: str
    answered: int  # applicable questions with an answer
    applicable: int
    impact_level: int  # 1-4
    level_low: int
    level_high: int
    recommendation: str
    programme_types: tuple[str, ...]

    @property
    def percent(self) -> int:
        """Share of applicable questions answered, 0-100 (as :attr:`Visibility.percent`)."""
        return 100 if self.applicable == 0 else round(100 * self.answered / self.applicable)

    def stored_values(self) -> dict[str, Any]:
        """The summary as plain values, as a table of summaries keeps them:
        the kinds as :func:`types_text`."""
        return {
            "method_version": self.method_version,
            "answered": self.answered,
            "applicable": self.applicable,
            "percent": self.percent,
            "impact_level": self.impact_level,
            "level_low": self.level_low,
            "level_high": self.level_high,
            "recommendation": self.recommendation,
            "programme_types": types_text(self.programme_types),
        }


def types_text(types: tuple[str, ...]) -> str:
    """``types`` as one text, ``,a,b,`` (``,`` for none), in which a kind
    ``a`` is found as the substring ``,a,``."""
    return "," + "".join(f"{t}," for t in types)


def summarise(bank: Bank, document: AssessmentDocument, scored: Scored | None = None) -> Summary:
    """The summary of ``document`` scored against ``bank``; ``scored`` is
    that scoring when the caller already has it (it is not checked)."""
    scored = scored or score_document(bank, document)
    sections = scored.visibility.sections
    types_question = bank.role("programme_types")
    types = document.answer_values().get(types_question) if types_question else None
    return Summary(
        method_version=scored.result.method_version,
        answered=sum(s.answered for s in sections),
        applicable=sum(s.total for s in sections),
        impact_level=scored.result.impact_level,
        level_low=scored.result.level_range[0],
        level_high=scored.result.level_range[1],
        recommendation=scored.result.recommendation,
        programme_types=_strings(types),
    )


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()
