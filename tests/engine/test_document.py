from __future__ import annotations

import json
from typing import Any

import pytest

from assessment.config import DEFAULT_BANK_DIR
from assessment.engine.answers import Answer
from assessment.engine.bank import Confidence
from assessment.engine.document import (
    AssessmentDocument,
    DocumentError,
    canonical_json,
    load_document,
    to_data,
)
from assessment.engine.loader import load_bank_cached
from assessment.engine.scoring import UNKNOWN_RISK, score
from tests.helpers import make_document

BANK = load_bank_cached(str(DEFAULT_BANK_DIR))


def _document(*answers: Answer) -> AssessmentDocument:
    return make_document(*answers, revision=3)


def test_document_round_trips_byte_for_byte() -> None:
    document = _document(
        Answer("scope.programme_types", ["camera"]),
        Answer(
            "cam.live_identification", "yes", "note", "src", Confidence.REPORTED, confidential=True
        ),
    )
    again = load_document(canonical_json(document), BANK)
    assert again.answers_by_question() == document.answers_by_question()
    assert (again.uuid, again.title, again.revision) == (document.uuid, document.title, 3)
    assert canonical_json(again) == canonical_json(document)


def _data(**changes: Any) -> dict[str, Any]:
    data = to_data(_document(Answer("scope.programme_types", ["camera"])))
    for path, value in changes.items():
        target = data
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format_version": 9}, "unsupported format_version 9"),
        ({"bank__version": "0.0"}, "unknown bank version '0.0'"),
        ({"bank__id": "other"}, "unknown question bank 'other'"),
        (
            {"answers": [{"question": "cam.nope", "value": "yes"}]},
            "answers[0]: unknown question id 'cam.nope'",
        ),
        (
            {"answers": [{"question": "lim.specific_law", "value": 3}]},
            "answers[0] (lim.specific_law): Answer yes, no",
        ),
        ({"answers": [{"question": "desc.people_affected", "value": "many"}]}, "Enter a number"),
        ({"assessment__status": "approved"}, "assessment.status must be one of"),
        ({"answers": "none"}, "'answers' must be a list"),
    ],
)
def test_invalid_documents_are_rejected_with_reason(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        load_document(json.dumps(_data(**changes)), BANK)
    assert message in str(caught.value)


def test_not_json() -> None:
    with pytest.raises(DocumentError, match="not valid JSON"):
        load_document(b"{oops", BANK)


def test_unknown_is_never_scored_as_safe() -> None:
    base = {"scope.programme_types": ["camera"]}
    safe = score(BANK, {**base, "cam.human_review": "yes"})
    unknown = score(BANK, {**base, "cam.human_review": "unknown"})
    level = {r.right_id: r.level for r in safe.rights}
    level_unknown = {r.right_id: r.level for r in unknown.rights}
    assert level["liberty_remedy"] == 1
    assert level_unknown["liberty_remedy"] == 1 + UNKNOWN_RISK
    trace = next(r for r in unknown.rights if r.right_id == "liberty_remedy").trace
    assert trace[0].question_id == "cam.human_review"
    assert trace[0].unknown


def test_overall_level_and_recommendation_follow_the_worst_right() -> None:
    result = score(BANK, {"scope.programme_types": ["camera"], "lim.specific_law": "no"})
    assert result.impact_numeral == "IV"
    assert result.recommendation == "do_not_proceed"
    calm = score(BANK, {"scope.programme_types": ["camera"], "lim.specific_law": "yes"})
    assert calm.impact_numeral == "I"
    assert calm.recommendation == "proceed"


def test_answers_to_questions_that_do_not_apply_are_ignored() -> None:
    result = score(BANK, {"scope.programme_types": ["payment"], "cam.protest_use": "yes"})
    assembly = next(r for r in result.rights if r.right_id == "assembly")
    assert assembly.level == 1
    assert assembly.answered == 0


def test_scoring_is_deterministic() -> None:
    answers = {
        "scope.programme_types": ["camera", "location"],
        "loc.data_source": ["operator"],
        "cam.live_identification": "yes",
        "cam.watchlist_criteria": "unknown",
    }
    assert score(BANK, answers) == score(BANK, dict(reversed(list(answers.items()))))
