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
from tests.helpers import make_document

BANK = load_bank_cached(str(DEFAULT_BANK_DIR))


def _document(*answers: Answer) -> AssessmentDocument:
    return make_document(*answers, revision=3)


def test_document_round_trips_byte_for_byte() -> None:
    document = _document(
        Answer("scope.programme_types", ["camera"]),
        Answer("cam.protest_use", "yes", "note", "src", Confidence.REPORTED, confidential=True),
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
            {"answers": [{"question": "lim.legal_basis", "value": 3}]},
            "answers[0] (lim.legal_basis): Answer yes, no",
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
