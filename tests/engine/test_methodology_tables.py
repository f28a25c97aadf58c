"""The lists in docs/methodology.md §10 (questions about practice, vulnerable
groups and rights, decisive conditions) say what the bank says."""

from __future__ import annotations

import re
from pathlib import Path

from assessment.engine.bank import Weight
from tests.helpers import BANK

METHODOLOGY = (Path(__file__).resolve().parents[2] / "docs" / "methodology.md").read_text(
    encoding="utf-8"
)


def _table(heading: str) -> list[list[str]]:
    match = re.search(rf"^### {re.escape(heading)}\s*$(.*?)(?=^##)", METHODOLOGY, re.M | re.S)
    assert match, heading
    rows = [
        [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        for line in match.group(1).splitlines()
        if line.startswith("|")
    ]
    return rows[2:]


def test_questions_about_practice_are_listed_as_the_bank_has_them() -> None:
    listed = {(q, practice, step) for q, practice, step in _table("Questions about practice")}
    bank = {(q.id, q.practice.value, q.step or "-") for q in BANK.questions if q.practice}
    assert listed == bank


def test_vulnerable_groups_raise_the_rights_the_table_says() -> None:
    listed = {group: rights for group, rights in _table("Vulnerable groups × rights")}
    question = BANK.question(BANK.role("vulnerable_groups") or "")
    bank = {
        o.value: ", ".join(o.rights) or "none" for o in question.options if o.rights is not None
    }
    assert listed == bank


def test_decisive_conditions_are_listed_as_the_bank_has_them() -> None:
    listed = {(q, step) for q, step in _table("Decisive conditions")}
    bank = {(q.id, q.step) for q in BANK.questions if q.step and q.weight is Weight.DECISIVE}
    assert listed == bank
