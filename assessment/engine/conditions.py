"""Declarative display conditions (``show_if``) and their evaluation.

A condition is data from the bank, for example::

    show_if: {question: cam.live, equals: "yes"}
    show_if: {question: scope.types, includes: camera}
    show_if: {any: [{question: a, equals: "yes"}, {question: b, answered: true}]}

:func:`evaluate` is pure: it reads an answers mapping and returns a bool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias


@dataclass(frozen=True, slots=True)
class Equals:
    """Holds when the answer to ``question`` equals ``value``."""

    question: str
    value: Any


@dataclass(frozen=True, slots=True)
class OneOf:
    """Holds when the answer to ``question`` is one of ``values``."""

    question: str
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Includes:
    """Holds when the multiple-choice answer to ``question`` includes ``value``."""

    question: str
    value: str


@dataclass(frozen=True, slots=True)
class Answered:
    """Holds when ``question`` has an answer (any answer)."""

    question: str


@dataclass(frozen=True, slots=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    condition: Condition


Condition: TypeAlias = Equals | OneOf | Includes | Answered | AllOf | AnyOf | Not


class ConditionSyntaxError(ValueError):
    """A ``show_if`` mapping that is not one of the forms this module knows."""


def parse_condition(data: Any) -> Condition:
    """Build a :data:`Condition` from its YAML mapping.

    Raises :class:`ConditionSyntaxError` naming what is wrong.
    """
    if not isinstance(data, Mapping):
        raise ConditionSyntaxError(f"a condition must be a mapping, not {type(data).__name__}")
    combinators: dict[str, type[AllOf] | type[AnyOf]] = {"all": AllOf, "any": AnyOf}
    for key, build in combinators.items():
        if key in data:
            if len(data) != 1:
                raise ConditionSyntaxError(f"'{key}' must stand alone in its condition")
            items = data[key]
            if not isinstance(items, list) or not items:
                raise ConditionSyntaxError(f"'{key}' needs a non-empty list of conditions")
            return build(tuple(parse_condition(item) for item in items))
    if "not" in data:
        if len(data) != 1:
            raise ConditionSyntaxError("'not' must stand alone in its condition")
        return Not(parse_condition(data["not"]))
    question = data.get("question")
    if not isinstance(question, str) or not question:
        raise ConditionSyntaxError("a condition needs 'question' (or all/any/not)")
    tests = [key for key in ("equals", "in", "includes", "answered") if key in data]
    if len(tests) != 1 or len(data) != 2:
        raise ConditionSyntaxError(
            f"condition on '{question}' needs exactly one of equals/in/includes/answered"
        )
    test = tests[0]
    if test == "equals":
        return Equals(question, data["equals"])
    if test == "in":
        values = data["in"]
        if not isinstance(values, list) or not values:
            raise ConditionSyntaxError(f"'in' on '{question}' needs a non-empty list")
        return OneOf(question, tuple(values))
    if test == "includes":
        return Includes(question, str(data["includes"]))
    if data["answered"] is not True:
        raise ConditionSyntaxError(f"'answered' on '{question}' must be true")
    return Answered(question)


def evaluate(condition: Condition | None, answers: Mapping[str, Any]) -> bool:
    """Whether ``condition`` holds for ``answers`` (question id -> value).

    ``None`` always holds.  A question with no answer satisfies only ``Not``
    of something that needs an answer.
    """
    match condition:
        case None:
            return True
        case Equals(question, value):
            return question in answers and _same(answers[question], value)
        case OneOf(question, values):
            return question in answers and any(_same(answers[question], v) for v in values)
        case Includes(question, value):
            answer = answers.get(question)
            return isinstance(answer, list) and value in answer
        case Answered(question):
            return question in answers
        case AllOf(conditions):
            return all(evaluate(c, answers) for c in conditions)
        case AnyOf(conditions):
            return any(evaluate(c, answers) for c in conditions)
        case Not(inner):
            return not evaluate(inner, answers)
    raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover


def referenced_questions(condition: Condition | None) -> Iterator[str]:
    """Every question id ``condition`` reads, in order of appearance."""
    match condition:
        case None:
            return
        case Equals(question) | OneOf(question) | Includes(question) | Answered(question):
            yield question
        case AllOf(conditions) | AnyOf(conditions):
            for inner in conditions:
                yield from referenced_questions(inner)
        case Not(inner):
            yield from referenced_questions(inner)


def _same_text(text: str) -> str:
    return text


def _straight_quotes(text: str) -> str:
    return f'"{text}"'


def describe(
    condition: Condition,
    label_of: Mapping[str, str] | None = None,
    translate: Callable[[str], str] = _same_text,
    quote: Callable[[str], str] = _straight_quotes,
    value_label: Callable[[str, Any], str | None] | None = None,
) -> str:
    """Plain-English statement of ``condition`` for reports ("shown only when ...").

    ``label_of`` maps question ids to the short text used in place of the id.
    ``translate`` gives the connecting words in another language (a gettext
    function: its msgids are in the report's catalogue), ``quote`` puts a
    label or a value in that language's quotation marks.  ``value_label``
    gives, for a question id and a value, the words shown for that value
    (an option's label in the report's language), or ``None`` to show the
    value itself.
    """
    names = label_of or {}
    _ = translate

    def name(question: str) -> str:
        return quote(names[question]) if question in names else question

    def show(question: str, value: Any) -> str:
        label = value_label(question, value) if value_label is not None else None
        if label is not None:
            return quote(label)
        return quote(value) if isinstance(value, str) else str(value)

    def inner(part: Condition) -> str:
        return describe(part, names, translate, quote, value_label)

    match condition:
        case Equals(question, value):
            return _("%(question)s is %(value)s") % {
                "question": name(question),
                "value": show(question, value),
            }
        case OneOf(question, values):
            return _("%(question)s is one of %(values)s") % {
                "question": name(question),
                "values": ", ".join(show(question, v) for v in values),
            }
        case Includes(question, value):
            return _("%(question)s includes %(value)s") % {
                "question": name(question),
                "value": show(question, value),
            }
        case Answered(question):
            return _("%(question)s is answered") % {"question": name(question)}
        case AllOf(conditions):
            return _(" and ").join(f"({inner(c)})" for c in conditions)
        case AnyOf(conditions):
            return _(" or ").join(f"({inner(c)})" for c in conditions)
        case Not(negated):
            return _("not (%(condition)s)") % {"condition": inner(negated)}
    raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover


def _same(answer: Any, expected: Any) -> bool:
    # YAML may write `equals: 3` for a scale answer stored as 3, or `equals: "3"`.
    if isinstance(answer, bool) or isinstance(expected, bool):
        return answer is expected
    if isinstance(answer, int | float) and isinstance(expected, str):
        return str(answer) == expected
    if isinstance(answer, str) and isinstance(expected, int | float):
        return answer == str(expected)
    return bool(answer == expected)
