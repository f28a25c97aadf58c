from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from assessment.config import DEFAULT_BANK_DIR
from assessment.engine.answers import OTHERS_NOT_KNOWN, Answer
from assessment.engine.bank import Confidence
from assessment.engine.document import (
    AssessmentDocument,
    DocumentError,
    SignOff,
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


def test_a_sign_off_round_trips_and_is_left_out_when_there_is_none() -> None:
    draft = _document(Answer("scope.programme_types", ["camera"]))
    assert "sign_off" not in to_data(draft)["assessment"]  # the bytes of a draft do not change
    signed = replace(
        draft,
        status="approved",
        sign_off=SignOff(
            "Ana Lima", "Head of research", "2026-03-01", "I approve «this».\nSigned."
        ),
    )
    data = to_data(signed)["assessment"]
    assert data["sign_off"] == {
        "name": "Ana Lima",
        "position": "Head of research",
        "date": "2026-03-01",
        "statement": "I approve «this».\nSigned.",
    }
    again = load_document(canonical_json(signed), BANK)
    assert again.sign_off == signed.sign_off
    assert again.status == "approved"
    assert canonical_json(again) == canonical_json(signed)


@pytest.mark.parametrize("status", ["draft", "in_review", "approved", "issued", "submitted"])
def test_every_workflow_status_and_the_old_submitted_are_read(status: str) -> None:
    assert load_document(json.dumps(_data(assessment__status=status)), BANK).status == status


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
        ({"assessment__status": "final"}, "assessment.status must be one of"),
        ({"assessment__sign_off": "Ana"}, "assessment.sign_off must be an object"),
        (
            {"assessment__sign_off": {"name": "Ana", "date": "yesterday"}},
            "assessment.sign_off.date must be a date (YYYY-MM-DD)",
        ),
        (
            {"assessment__sign_off": {"name": " ", "date": "2026-03-01"}},
            "assessment.sign_off.name is required",
        ),
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


def test_an_open_list_round_trips_and_a_closed_one_still_imports() -> None:
    """ "These, and others not known" is the list with OTHERS_NOT_KNOWN at its
    end; an archive written before it existed has closed lists only."""
    opened = _document(
        Answer("scope.programme_types", ["camera"]),
        Answer("cam.functions", ["recording", "live_fr", OTHERS_NOT_KNOWN]),
    )
    data = json.loads(canonical_json(opened))
    stored = {a["question"]: a["value"] for a in data["answers"]}
    assert stored["cam.functions"] == ["recording", "live_fr", "+others"]
    again = load_document(canonical_json(opened), BANK)
    assert again.answers_by_question()["cam.functions"].value == [
        "recording",
        "live_fr",
        OTHERS_NOT_KNOWN,
    ]
    assert canonical_json(again) == canonical_json(opened)

    older = json.loads(canonical_json(_document(Answer("cam.functions", ["recording"]))))
    assert load_document(json.dumps(older), BANK).answers_by_question()["cam.functions"].value == [
        "recording"
    ]


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("scope.programme_types", ["camera", "+others"]),  # no "not known": no open list
        ("cam.functions", ["+others"]),  # nothing chosen
        ("cam.functions", ["unknown", "+others"]),
        ("cam.functions", ["recording", "+others", "+others"]),
        ("cam.functions", ["recording", "+other"]),
    ],
)
def test_an_open_list_is_refused_where_it_does_not_fit(question: str, value: Any) -> None:
    document = json.loads(canonical_json(_document(Answer("scope.programme_types", ["camera"]))))
    document["answers"].append({"question": question, "value": value})
    with pytest.raises(DocumentError):
        load_document(json.dumps(document), BANK)
