"""Properties of method 3 over generated answer sets: what "not applicable",
vulnerable groups, engagement by answers, evidence and unknown answers may
and may not do to a finding."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.engine.bank import (
    NOT_APPLICABLE,
    UNKNOWN,
    Confidence,
    Question,
    QuestionType,
    ScoringKind,
)
from assessment.engine.scoring import (
    INSUFFICIENT,
    MET,
    NOT_MET,
    PARTLY_MET,
    ScoringResult,
    score,
)
from tests.helpers import BANK

VERDICT_RANK = {MET: 0, PARTLY_MET: 1, INSUFFICIENT: 2, NOT_MET: 3}
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TYPES_QUESTION = BANK.role("programme_types") or "scope.programme_types"
GROUPS_QUESTION = BANK.role("vulnerable_groups") or "rights.vulnerable_groups"


def _real_options(question: Question) -> list[str]:
    return [o.value for o in question.options if o.value not in (UNKNOWN, NOT_APPLICABLE)]


def _value_strategy(question: Question) -> st.SearchStrategy[Any]:
    real = _real_options(question)
    special = [v for v in (UNKNOWN, NOT_APPLICABLE) if question.option(v)]
    if question.type is QuestionType.MULTIPLE_CHOICE:
        return st.lists(st.sampled_from(real), min_size=1, unique=True) | st.sampled_from(
            [[v] for v in special] or [[real[0]]]
        )
    if question.type is QuestionType.SCALE4:
        return st.sampled_from([1, 2, 3, 4, *special])
    if question.type is QuestionType.NUMBER:
        return st.integers(min_value=0, max_value=20_000_000)
    return st.sampled_from(real + special)


CANDIDATES = [
    q
    for q in BANK.questions
    if q.is_choice or (q.type is QuestionType.NUMBER and q.scoring is not None)
]
CANDIDATES = [q for q in CANDIDATES if q.id not in (TYPES_QUESTION, GROUPS_QUESTION)]
PROGRAMME_TYPES = _real_options(BANK.question(TYPES_QUESTION))


def _answers(types: list[str], questions: list[Question]) -> st.SearchStrategy[dict[str, Any]]:
    values = st.fixed_dictionaries({q.id: _value_strategy(q) for q in questions})
    return values.map(lambda picked: {TYPES_QUESTION: types, **picked})


answer_sets = st.tuples(
    st.lists(st.sampled_from(PROGRAMME_TYPES), min_size=1, unique=True),
    st.lists(st.sampled_from(CANDIDATES), max_size=16, unique_by=lambda q: q.id),
).flatmap(lambda drawn: _answers(*drawn))


def _no_higher(after: ScoringResult, before: ScoringResult) -> None:
    for a, b in zip(after.rights, before.rights, strict=True):
        assert a.residual <= b.residual, a.right_id
        assert a.inherent <= b.inherent, a.right_id
    assert after.impact_level <= before.impact_level


NOT_APPLICABLE_QUESTIONS = [q for q in BANK.questions if q.step and q.option(NOT_APPLICABLE)]


@PROPERTY_SETTINGS
@given(answers=answer_sets, question=st.sampled_from(NOT_APPLICABLE_QUESTIONS))
def test_not_applicable_is_never_counted_against_a_step(
    answers: dict[str, Any], question: Question
) -> None:
    step = question.step
    assert step is not None
    na_value = [NOT_APPLICABLE] if question.type is QuestionType.MULTIPLE_CHOICE else NOT_APPLICABLE
    na = score(BANK, {**answers, question.id: na_value}).step(step)
    assert all(q != question.id or o == "not_applicable" for q, _, o in na.trace)
    for other in (*_real_options(question), UNKNOWN):
        if other == UNKNOWN and not question.option(UNKNOWN):
            continue
        value = [other] if question.type is QuestionType.MULTIPLE_CHOICE else other
        if question.type is QuestionType.SCALE4 and other != UNKNOWN:
            value = int(other)
        answered = score(BANK, {**answers, question.id: value}).step(step)
        if question.verdicts.get(str(other)) == NOT_MET or other == UNKNOWN:
            assert VERDICT_RANK[na.verdict] <= VERDICT_RANK[answered.verdict], other
    if na.verdict == NOT_MET:
        without = {k: v for k, v in answers.items() if k != question.id}
        assert [o for q, _, o in na.trace if o in (NOT_MET, "unknown")], without


GROUPS = _real_options(BANK.question(GROUPS_QUESTION))


@PROPERTY_SETTINGS
@given(
    answers=answer_sets,
    groups=st.lists(st.sampled_from(GROUPS), min_size=1, unique=True),
    data=st.data(),
)
def test_removing_a_vulnerable_group_never_raises_a_right(
    answers: dict[str, Any], groups: list[str], data: st.DataObject
) -> None:
    removed = data.draw(st.sampled_from(groups))
    fewer = [g for g in groups if g != removed]
    before = score(BANK, {**answers, GROUPS_QUESTION: groups})
    after = score(BANK, {**answers, GROUPS_QUESTION: fewer} if fewer else answers)
    _no_higher(after, before)


def _privacy_only(question: Question) -> list[Any]:
    """Answers to ``question`` that engage privacy and nothing else."""
    if question.scoring is None or (
        question.scoring.kind is not ScoringKind.SEVERITY
        and (question.scoring.kind is not ScoringKind.LIKELIHOOD)
    ):
        return []
    found = []
    for option in question.options:
        rights = option.rights if option.rights is not None else question.rights
        if tuple(rights) == ("privacy",) and option.value in question.scoring.levels:
            value: Any = option.value
            if question.type is QuestionType.MULTIPLE_CHOICE:
                value = [value]
            elif question.type is QuestionType.SCALE4:
                value = int(value)
            found.append(value)
    if question.type is QuestionType.NUMBER and tuple(question.rights) == ("privacy",):
        found.extend([0, 20_000_000])
    return found


PRIVACY_ONLY = [(q, v) for q in BANK.questions for v in _privacy_only(q)]


@PROPERTY_SETTINGS
@given(answers=answer_sets, picked=st.sampled_from(PRIVACY_ONLY))
def test_an_answer_engaging_only_privacy_never_changes_assembly(
    answers: dict[str, Any], picked: tuple[Question, Any]
) -> None:
    question, value = picked
    without = {k: v for k, v in answers.items() if k != question.id}
    before = score(BANK, without).right("assembly")
    after = score(BANK, {**without, question.id: value}).right("assembly")
    assert (after.engaged, after.inherent, after.residual) == (
        before.engaged,
        before.inherent,
        before.residual,
    )


SAFEGUARDS = [q for q in BANK.questions if q.scoring and q.scoring.kind is ScoringKind.SAFEGUARD]
# From least to most evidence: "unknown" earns least; no confidence given counts as
# assumed, a safeguard on paper (methodology, section 3.5).
EVIDENCE = [Confidence.UNKNOWN, None, Confidence.ASSUMED, Confidence.REPORTED, Confidence.CONFIRMED]


def _strongest(question: Question) -> Any:
    spec = question.scoring
    assert spec is not None
    value = max(spec.levels, key=lambda v: spec.levels[v])
    if question.type is QuestionType.SCALE4:
        return int(value)
    return [value] if question.type is QuestionType.MULTIPLE_CHOICE else value


@PROPERTY_SETTINGS
@given(
    answers=answer_sets,
    question=st.sampled_from(SAFEGUARDS),
    weaker=st.integers(min_value=0, max_value=len(EVIDENCE) - 2),
    data=st.data(),
)
def test_more_evidence_for_a_safeguard_never_raises_risk(
    answers: dict[str, Any], question: Question, weaker: int, data: st.DataObject
) -> None:
    stronger = data.draw(st.integers(min_value=weaker + 1, max_value=len(EVIDENCE) - 1))
    guarded = {**answers, question.id: _strongest(question)}
    low = score(BANK, guarded, {question.id: EVIDENCE[weaker]})
    high = score(BANK, guarded, {question.id: EVIDENCE[stronger]})
    _no_higher(high, low)


@PROPERTY_SETTINGS
@given(answers=answer_sets)
def test_the_level_lies_within_its_range(answers: dict[str, Any]) -> None:
    result = score(BANK, answers)
    low, high = result.level_range
    assert low <= result.impact_level <= high
    assert 0 <= result.completeness <= 100
    if low < result.impact_level:
        assert result.unknown_decisive
