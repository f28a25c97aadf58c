"""What changed between two sets of answers: pure, no database.

An answer changed when its value, note, source, confidence or
confidentiality differ, or when it was added or cleared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assessment.engine.answers import Answer

#: The parts of an answer a change can touch, in the order they are shown.
PARTS = ("value", "note", "source", "confidence", "confidential")


@dataclass(frozen=True, slots=True)
class AnswerChange:
    """One question whose answer differs; ``before`` or ``after`` is ``None``
    when the question had no answer on that side."""

    question_id: str
    before: Answer | None
    after: Answer | None

    @property
    def parts(self) -> tuple[str, ...]:
        """Which of :data:`PARTS` differ (all of those set, for an added or
        cleared answer)."""
        if self.before is not None and self.after is not None:
            return tuple(p for p in PARTS if getattr(self.before, p) != getattr(self.after, p))
        present = self.after or self.before
        return tuple(p for p in PARTS if getattr(present, p) not in ("", None, False))


def diff_answers(before: Mapping[str, Answer], after: Mapping[str, Answer]) -> list[AnswerChange]:
    """Every question whose answer differs between ``before`` and ``after``
    (question id -> answer), in question-id order."""
    changes = []
    for question_id in sorted(before.keys() | after.keys()):
        old, new = before.get(question_id), after.get(question_id)
        if old != new:
            changes.append(AnswerChange(question_id, old, new))
    return changes
