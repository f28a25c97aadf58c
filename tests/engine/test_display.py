from __future__ import annotations

from pathlib import Path

import pytest

from assessment.engine.display import question_text
from assessment.engine.loader import load_bank
from tests.engine.format2_bank import write_mini_bank


@pytest.mark.parametrize(
    ("question", "status", "expected"),
    [
        ("m.authorisation", "planned", "Who will authorise each use?"),
        ("m.authorisation", "running", "Who authorises each use?"),
        ("m.authorisation", None, "Who authorises each use?"),
        ("m.other_uses", "planned", "Has it been used for other purposes?"),
        ("m.linked", "planned", "Linked?"),
    ],
)
def test_design_questions_read_in_the_future_for_a_planned_programme(
    tmp_path: Path, question: str, status: str | None, expected: str
) -> None:
    bank = load_bank(write_mini_bank(tmp_path / "questions"))
    assert question_text(bank.question(question), status).get_text() == expected
