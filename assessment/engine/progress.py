"""Which parts of the bank apply to a set of answers, and how complete it is.

Visibility is decided in bank order: a condition reads only the answers to
questions that are themselves visible, so hiding a question also hides what
depends on it.  Stored answers to hidden questions are kept (the user may
change their mind) but never count, score or print as answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assessment.engine.bank import STATUS_PLANNED, Bank, Practice, Question, Section
from assessment.engine.conditions import Condition, evaluate

#: :attr:`Skipped.level` of a ``practice: gap`` question of a planned programme.
PLANNED = "planned"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A question that does not apply, and why.

    ``level`` is where the ruling condition sits (``"module"``, ``"section"``
    or ``"question"``), or :data:`PLANNED` for a question about practice that
    cannot be known before the programme runs; then ``condition`` is ``None``.
    """

    question: Question
    condition: Condition | None
    level: str

    @property
    def planned(self) -> bool:
        return self.level == PLANNED


@dataclass(frozen=True, slots=True)
class SectionProgress:
    section: Section
    visible: tuple[Question, ...]
    answered: int
    required: int
    required_answered: int

    @property
    def total(self) -> int:
        return len(self.visible)

    @property
    def complete(self) -> bool:
        return self.required_answered == self.required

    @property
    def percent(self) -> int:
        return 100 if not self.visible else round(100 * self.answered / len(self.visible))


@dataclass(frozen=True, slots=True)
class Visibility:
    """Everything that applies to one set of answers."""

    sections: tuple[SectionProgress, ...]
    skipped: tuple[Skipped, ...]
    answers: Mapping[str, Any] = field(repr=False)

    @property
    def visible_question_ids(self) -> frozenset[str]:
        return frozenset(q.id for s in self.sections for q in s.visible)

    @property
    def percent(self) -> int:
        """Share of applicable questions answered, 0-100."""
        total = sum(s.total for s in self.sections)
        answered = sum(s.answered for s in self.sections)
        return 100 if total == 0 else round(100 * answered / total)

    @property
    def complete(self) -> bool:
        """Whether every applicable required question has an answer."""
        return all(s.complete for s in self.sections)

    def missing_required(self) -> tuple[Question, ...]:
        """Applicable required questions without an answer, in bank order."""
        return tuple(
            q for s in self.sections for q in s.visible if q.required and q.id not in self.answers
        )

    def sections_by_module(self) -> dict[str, tuple[SectionProgress, ...]]:
        """The applicable sections grouped by their module's id, in bank order;
        a module with none applicable is absent."""
        grouped: dict[str, list[SectionProgress]] = {}
        for progress in self.sections:
            grouped.setdefault(progress.section.module_id, []).append(progress)
        return {module_id: tuple(parts) for module_id, parts in grouped.items()}

    def section_progress(self, section_id: str) -> SectionProgress | None:
        """Progress of an applicable section, or ``None`` if it does not apply."""
        for progress in self.sections:
            if progress.section.id == section_id:
                return progress
        return None


def resolve(bank: Bank, answers: Mapping[str, Any]) -> Visibility:
    """Work out the applicable sections and questions for ``answers``
    (question id -> value).  The returned ``answers`` holds only the answers
    to applicable questions.

    A question with ``practice: gap`` is skipped (level :data:`PLANNED`) while
    the answer to the bank's ``status`` role is ``"planned"``."""
    status_id = bank.role("status")
    seen: dict[str, Any] = {}
    sections: list[SectionProgress] = []
    skipped: list[Skipped] = []
    for module in bank.modules:
        module_shown = evaluate(module.show_if, seen)
        for section in module.sections:
            section_shown = module_shown and evaluate(section.show_if, seen)
            visible: list[Question] = []
            for question in section.questions:
                if not module_shown:
                    skipped.append(Skipped(question, _must(module.show_if), "module"))
                elif not section_shown:
                    skipped.append(Skipped(question, _must(section.show_if), "section"))
                elif not evaluate(question.show_if, seen):
                    skipped.append(Skipped(question, _must(question.show_if), "question"))
                elif (
                    question.practice is Practice.GAP
                    and status_id is not None
                    and seen.get(status_id) == STATUS_PLANNED
                ):
                    skipped.append(Skipped(question, None, PLANNED))
                else:
                    visible.append(question)
                    if question.id in answers:
                        seen[question.id] = answers[question.id]
            if section_shown:
                answered = sum(1 for q in visible if q.id in seen)
                required = [q for q in visible if q.required]
                sections.append(
                    SectionProgress(
                        section=section,
                        visible=tuple(visible),
                        answered=answered,
                        required=len(required),
                        required_answered=sum(1 for q in required if q.id in seen),
                    )
                )
    return Visibility(sections=tuple(sections), skipped=tuple(skipped), answers=seen)


def _must(condition: Condition | None) -> Condition:
    if condition is None:  # pragma: no cover - a hidden part always has a condition
        raise AssertionError("hidden without a condition")
    return condition
