"""The calibration table of ``docs/methodology.md``: every scenario in
``assessment/examples/`` scores as the table, written before the method was
tuned, expects (level, recommendation and the verdict of every step)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from assessment.engine.document import load_document
from assessment.engine.scoring import (
    INSUFFICIENT,
    MET,
    NOT_MET,
    PARTLY_MET,
    RECOMMENDATION_LABELS,
    score,
)
from tests.helpers import BANK

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "assessment" / "examples"
METHODOLOGY = ROOT / "docs" / "methodology.md"
STEP_COLUMNS = {
    "LEG": "legality",
    "AIM": "legitimate_aim",
    "NEC": "necessity",
    "LIM": "least_intrusive",
    "PRO": "proportionality",
    "NDS": "non_discrimination",
    "DAT": "data_safeguards",
    "OVS": "oversight",
    "TRA": "transparency",
    "REM": "notification_remedy",
    "TIM": "time_limits",
    "PAR": "participation",
}
VERDICTS = {"met": MET, "partly": PARTLY_MET, "not_met": NOT_MET, "insufficient": INSUFFICIENT}
NUMERALS = {"I": 1, "II": 2, "III": 3, "IV": 4}


@dataclass(frozen=True)
class Expectation:
    file: str
    level: int
    recommendation: str
    steps: dict[str, frozenset[str]]


def calibration_table(text: str) -> list[Expectation]:
    """The rows of the table under "## Calibration"; raises ``ValueError`` if the
    section, the header or a cell is malformed."""
    match = re.search(r"^## Calibration\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if match is None:
        raise ValueError("docs/methodology.md has no '## Calibration' section")
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in match.group(1).splitlines()
        if line.strip().startswith("|")
    ]
    header, body = rows[0], [r for r in rows[2:] if r and r[0]]
    expected_header = ["file", "programme", "status", "level", "recommendation", *STEP_COLUMNS]
    if header != expected_header:
        raise ValueError(f"calibration table header is {header}, expected {expected_header}")
    table = []
    for row in body:
        cells = dict(zip(header, row, strict=True))
        if cells["recommendation"] not in RECOMMENDATION_LABELS:
            raise ValueError(f"{cells['file']}: unknown recommendation {cells['recommendation']}")
        table.append(
            Expectation(
                file=cells["file"].strip("`"),
                level=NUMERALS[cells["level"]],
                recommendation=cells["recommendation"],
                steps={
                    step: frozenset(VERDICTS[v.strip()] for v in cells[column].split("/"))
                    for column, step in STEP_COLUMNS.items()
                },
            )
        )
    return table


TABLE = calibration_table(METHODOLOGY.read_text(encoding="utf-8"))


def test_the_table_spans_every_level_and_recommendation() -> None:
    assert len(TABLE) >= 12
    assert {row.level for row in TABLE} == {1, 2, 3, 4}
    assert {row.recommendation for row in TABLE} == set(RECOMMENDATION_LABELS)
    assert {row.file for row in TABLE} == {p.name for p in EXAMPLES.glob("*.json")}


@pytest.mark.parametrize("expected", TABLE, ids=lambda row: row.file)
def test_scenario_scores_as_the_calibration_table_says(expected: Expectation) -> None:
    document = load_document((EXAMPLES / expected.file).read_bytes(), BANK)
    result = score(BANK, document.answer_values(), document.confidences())
    found = {
        "level": result.impact_level,
        "recommendation": result.recommendation,
        **{s.step_id: s.verdict for s in result.steps},
    }
    wanted = {"level": expected.level, "recommendation": expected.recommendation}
    assert {k: found[k] for k in wanted} == wanted, result.reasons
    mismatched = {
        step: (found[step], sorted(allowed))
        for step, allowed in expected.steps.items()
        if found[step] not in allowed
    }
    assert mismatched == {}, result.reasons


def test_a_malformed_table_is_refused() -> None:
    with pytest.raises(ValueError, match="no '## Calibration' section"):
        calibration_table("# Method\n")
    with pytest.raises(ValueError, match="header"):
        calibration_table("## Calibration\n| file | level |\n|---|---|\n| a.json | I |\n")
