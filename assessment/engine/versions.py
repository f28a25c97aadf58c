"""Comparing two versions of a question bank, and what moving an assessment's
answers from one to the other keeps.

A question of the new bank is *unchanged* when the old bank has a question
with the same id, type, option values, English text and ``show_if`` (and, for
a repeatable group, the same columns by these measures); *changed* when the
id is there but any of those differs; *new* when the id is not.  Questions of
the old bank whose id the new one lacks are *removed*.

Only answers to unchanged questions carry over: an answer to a changed
question might no longer mean what the assessor meant, so it is shown to
them with its old value instead.  Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from assessment.engine.answers import Answer, AnswerValueError, check_value
from assessment.engine.bank import DEFAULT_LANGUAGE, Bank, Question
from assessment.engine.display import OTHERS_NOT_KNOWN_TEXT, format_value


class Change(StrEnum):
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    NEW = "new"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class QuestionChange:
    """One question's fate.  ``question`` is the new bank's (the old bank's
    for a removed one); ``differences`` names what changed: ``type``,
    ``options``, ``text``, ``show_if``, ``fields``."""

    question: Question
    change: Change
    section_id: str
    differences: tuple[str, ...] = ()

    @property
    def question_id(self) -> str:
        return self.question.id


@dataclass(frozen=True, slots=True)
class BankComparison:
    """Every question of both banks, by its fate, each list in wizard order."""

    old_version: str
    new_version: str
    unchanged: tuple[QuestionChange, ...]
    changed: tuple[QuestionChange, ...]
    new: tuple[QuestionChange, ...]
    removed: tuple[QuestionChange, ...]

    def change_of(self, question_id: str) -> QuestionChange | None:
        for item in (*self.unchanged, *self.changed, *self.new, *self.removed):
            if item.question_id == question_id:
                return item
        return None


def _option_values(question: Question) -> tuple[str, ...]:
    return tuple(option.value for option in question.options)


def differences(old: Question, new: Question) -> tuple[str, ...]:
    """What tells ``new`` apart from ``old`` by the measures of this module."""
    found = []
    if old.type is not new.type:
        found.append("type")
    if _option_values(old) != _option_values(new):
        found.append("options")
    if old.text.get(DEFAULT_LANGUAGE, "") != new.text.get(DEFAULT_LANGUAGE, ""):
        found.append("text")
    if old.show_if != new.show_if:
        found.append("show_if")
    old_fields = {f.id: f for f in old.fields}
    new_fields = {f.id: f for f in new.fields}
    if list(old_fields) != list(new_fields) or any(
        differences(old_fields[i], new_fields[i]) for i in new_fields
    ):
        found.append("fields")
    return tuple(found)


def compare_banks(old: Bank, new: Bank) -> BankComparison:
    """Sort every question of ``new`` into unchanged, changed and new, and
    list the questions of ``old`` that ``new`` no longer has."""
    unchanged: list[QuestionChange] = []
    changed: list[QuestionChange] = []
    added: list[QuestionChange] = []
    for question in new.questions:
        if not old.has_question(question.id):
            added.append(QuestionChange(question, Change.NEW, question.section_id))
            continue
        found = differences(old.question(question.id), question)
        if found:
            changed.append(QuestionChange(question, Change.CHANGED, question.section_id, found))
        else:
            unchanged.append(QuestionChange(question, Change.UNCHANGED, question.section_id))
    removed = tuple(
        QuestionChange(question, Change.REMOVED, question.section_id)
        for question in old.questions
        if not new.has_question(question.id)
    )
    return BankComparison(
        old.version, new.version, tuple(unchanged), tuple(changed), tuple(added), removed
    )


@dataclass(frozen=True, slots=True)
class LeftAnswer:
    """An answer that was not carried over, with its old value in words."""

    item: QuestionChange
    answer: Answer
    shown: str  # the old value as the assessor chose or typed it


@dataclass(frozen=True, slots=True)
class UpgradePlan:
    """What moving answers from one bank version to another does: ``carried``
    are kept as they are; ``left`` (answers to changed or removed questions,
    by question id) are not kept and are shown to the assessor.  ``new``,
    ``changed`` and ``removed`` are the questions to look at again."""

    comparison: BankComparison
    carried: tuple[Answer, ...]
    left: Mapping[str, LeftAnswer]
    changed: tuple[QuestionChange, ...]

    @property
    def new(self) -> tuple[QuestionChange, ...]:
        return self.comparison.new

    @property
    def removed(self) -> tuple[QuestionChange, ...]:
        return self.comparison.removed

    @property
    def to_review(self) -> tuple[QuestionChange, ...]:
        """New, changed and removed questions, in that order."""
        return (*self.new, *self.changed, *self.removed)


def plan_upgrade(
    old: Bank,
    new: Bank,
    answers: Mapping[str, Answer],
    language: str = DEFAULT_LANGUAGE,
    others: str = OTHERS_NOT_KNOWN_TEXT,
) -> UpgradePlan:
    """Which of ``answers`` (to questions of ``old``) carry over to ``new``.

    An answer to an unchanged question whose value the new question would
    nevertheless refuse (e.g. a narrower number range) is not carried: that
    question counts as changed (difference ``value``).  Answers to questions
    that neither bank has are dropped.  Answers left behind are shown in
    ``language``, an open list ending with ``others`` (its "and others not
    known" in that language).
    """
    comparison = compare_banks(old, new)
    by_id = {item.question_id: item for item in (*comparison.unchanged, *comparison.changed)}
    by_id.update({item.question_id: item for item in comparison.removed})
    carried: list[Answer] = []
    left: dict[str, LeftAnswer] = {}
    refused: set[str] = set()
    for question_id, answer in sorted(answers.items()):
        item = by_id.get(question_id)
        if item is None:
            continue
        if item.change is Change.UNCHANGED:
            try:
                check_value(new.question(question_id), answer.value)
            except AnswerValueError:
                refused.add(question_id)
                item = QuestionChange(item.question, Change.CHANGED, item.section_id, ("value",))
            else:
                carried.append(answer)
                continue
        shown = format_value(old.question(question_id), answer.value, language, others)
        left[question_id] = LeftAnswer(item, answer, shown)
    changed = tuple(
        left[question.id].item if question.id in refused else by_id[question.id]
        for question in new.questions  # in wizard order
        if question.id in refused
        or (question.id in by_id and by_id[question.id].change is Change.CHANGED)
    )
    return UpgradePlan(comparison, tuple(carried), MappingProxyType(left), changed)
