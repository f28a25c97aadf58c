from __future__ import annotations

import pytest

from assessment.engine.conditions import (
    AllOf,
    Answered,
    AnyOf,
    ConditionSyntaxError,
    Equals,
    Includes,
    Not,
    OneOf,
    describe,
    evaluate,
    parse_condition,
    referenced_questions,
)


def test_parse_every_form() -> None:
    assert parse_condition({"question": "a", "equals": "yes"}) == Equals("a", "yes")
    assert parse_condition({"question": "a", "in": ["x", "y"]}) == OneOf("a", ("x", "y"))
    assert parse_condition({"question": "a", "includes": "camera"}) == Includes("a", "camera")
    assert parse_condition({"question": "a", "answered": True}) == Answered("a")
    nested = parse_condition(
        {
            "all": [
                {"question": "a", "equals": 1},
                {"not": {"any": [{"question": "b", "answered": True}]}},
            ]
        }
    )
    assert nested == AllOf((Equals("a", 1), Not(AnyOf((Answered("b"),)))))
    assert list(referenced_questions(nested)) == ["a", "b"]


@pytest.mark.parametrize(
    "data",
    [
        {"question": "a"},
        {"question": "a", "equals": 1, "in": [1]},
        {"all": []},
        {"all": [{"question": "a", "answered": True}], "question": "b"},
        {"question": "a", "answered": False},
        {"question": "a", "in": "x"},
        "a == yes",
    ],
)
def test_parse_rejects_malformed(data: object) -> None:
    with pytest.raises(ConditionSyntaxError):
        parse_condition(data)


def test_evaluate() -> None:
    answers = {"a": "yes", "types": ["camera", "payment"], "level": 3}
    assert evaluate(None, answers)
    assert evaluate(Equals("a", "yes"), answers)
    assert not evaluate(Equals("a", "no"), answers)
    assert not evaluate(Equals("missing", "yes"), answers)
    assert evaluate(Equals("level", "3"), answers)  # YAML may quote a scale level
    assert evaluate(OneOf("a", ("no", "yes")), answers)
    assert evaluate(Includes("types", "payment"), answers)
    assert not evaluate(Includes("types", "location"), answers)
    assert not evaluate(Includes("a", "yes"), answers)  # not a list
    assert evaluate(Answered("a"), answers)
    assert not evaluate(Answered("b"), answers)
    assert evaluate(AllOf((Answered("a"), Includes("types", "camera"))), answers)
    assert not evaluate(AllOf((Answered("a"), Answered("b"))), answers)
    assert evaluate(AnyOf((Answered("b"), Answered("a"))), answers)
    assert evaluate(Not(Answered("b")), answers)


def test_describe_uses_question_text() -> None:
    condition = AllOf((Equals("a", "yes"), Not(Includes("t", "camera"))))
    assert describe(condition, {"a": "Live identification?"}) == (
        '("Live identification?" is "yes") and (not (t includes "camera"))'
    )


def test_describe_names_values_by_the_label_it_is_given() -> None:
    condition = AnyOf((Includes("t", "live_fr"), OneOf("a", ("yes", "other"))))
    labels = {("t", "live_fr"): "Live face recognition", ("a", "yes"): "Yes"}
    described = describe(condition, value_label=lambda q, v: labels.get((q, v)))
    assert described == '(t includes "Live face recognition") or (a is one of "Yes", "other")'
