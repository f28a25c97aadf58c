"""The bank covers every element of the four frameworks an auditor checks.

The expected elements are listed here, from the instruments themselves, so
the test fails if the bank's framework catalogue loses an element as well
as when no question maps to one."""

from __future__ import annotations

import pytest

from tests.helpers import BANK

REQUIRED = {
    # Necessary & Proportionate Principles (2014): all 13.
    "np": {
        "legality",
        "legitimate_aim",
        "necessity",
        "adequacy",
        "proportionality",
        "competent_judicial_authority",
        "due_process",
        "user_notification",
        "transparency",
        "public_oversight",
        "integrity",
        "international_cooperation",
        "illegitimate_access",
    },
    # Siracusa Principles (1984), limitation criteria: §§5-12, 15-18, 25-26.
    "siracusa": {
        "prescribed_by_law",
        "legitimate_aim",
        "pressing_need",
        "proportionality",
        "least_restrictive",
        "purpose_limited",
        "non_arbitrary",
        "safeguards_remedies",
        "non_discrimination",
        "burden_on_state",
        "public_health",
    },
    # GDPR art. 35(7)(a)-(d).
    "gdpr35": {"description", "necessity_proportionality", "risks", "measures"},
    # EU AI Act art. 27(1)(a)-(f).
    "aiact27": {
        "processes",
        "period_frequency",
        "categories",
        "risks",
        "human_oversight",
        "mitigation_governance",
    },
}


def _mapped() -> dict[str, set[str]]:
    mapped: dict[str, set[str]] = {}
    for question in BANK.questions:
        for element in question.maps_to:
            framework, _, item = element.partition(":")
            mapped.setdefault(framework, set()).add(item)
    return mapped


@pytest.mark.parametrize("framework", sorted(REQUIRED))
def test_every_element_is_in_the_catalogue(framework: str) -> None:
    catalogue = {f.id: {e.id for e in f.elements} for f in BANK.frameworks}
    missing = REQUIRED[framework] - catalogue.get(framework, set())
    assert not missing, f"{framework} catalogue lacks {sorted(missing)}"


@pytest.mark.parametrize("framework", sorted(REQUIRED))
def test_every_element_is_covered_by_a_question(framework: str) -> None:
    missing = REQUIRED[framework] - _mapped().get(framework, set())
    assert not missing, f"no question maps to {framework}: {sorted(missing)}"


def test_bank_is_well_over_a_hundred_questions_each_with_reference_and_rights() -> None:
    assert len(BANK.questions) >= 130
    for question in BANK.questions:
        assert question.references, question.id
        assert question.rights, question.id
        assert question.help, question.id


def test_every_limitation_step_has_its_own_section_and_evidence() -> None:
    limitation = BANK.module("limitation")
    assert len(limitation.sections) == len(BANK.steps) == 12
    for step in BANK.steps:
        assert any(q.step == step.id for q in BANK.questions), f"no question decides {step.id}"


def test_every_programme_module_covers_its_risk_topics() -> None:
    """DOMAIN.md §3 lists 14 topics for cameras, 15 for location, 14 for payment
    data; each module has at least one question per topic."""
    counts = {
        m: sum(1 for q in BANK.questions if q.module_id == m)
        for m in ("camera", "location", "payment")
    }
    assert counts["camera"] >= 14
    assert counts["location"] >= 15
    assert counts["payment"] >= 14


def test_every_right_is_scored_by_some_question() -> None:
    for right in BANK.rights:
        assert any(right.id in q.rights and q.scoring for q in BANK.questions), right.id
