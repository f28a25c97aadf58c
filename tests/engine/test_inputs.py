"""Text the database cannot store and JSON beyond its bounds are refused
with a message, in the engine, before anything reaches a database."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assessment.engine.answers import Answer, AnswerValueError, check_metadata, check_value
from assessment.engine.document import DocumentError, load_document, to_data
from assessment.engine.inputs import (
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    JsonRejected,
    decode_json,
    unstorable_character,
)
from tests.helpers import BANK, make_document


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("plain text, Кириллица, 日本語, emoji 🛰", None),
        ("tab\tand newline\n are fine", None),
        ("a\x00b", "U+0000 (a NUL character)"),
        ("lone \ud800 surrogate", "U+D800 (half of a surrogate pair)"),
    ],
)
def test_unstorable_characters_are_named(text: str, found: str | None) -> None:
    assert unstorable_character(text) == found


def test_answers_with_a_nul_are_refused_with_a_message() -> None:
    with pytest.raises(AnswerValueError, match="contains a character that cannot be stored"):
        check_value(BANK.question("scope.operator"), "City\x00 police")
    with pytest.raises(AnswerValueError, match=r"The note contains .* U\+0000"):
        check_metadata("note\x00", "", None)
    with pytest.raises(AnswerValueError, match=r"The source contains .* U\+D800"):
        check_metadata("", "source \ud800", None)


def _exchange(**assessment: Any) -> dict[str, Any]:
    data = to_data(make_document(Answer("scope.programme_types", ["camera"])))
    data["assessment"].update(assessment)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "T\x00"}, "assessment.title contains a character that cannot be stored: U+0000"),
        ({"programme": "P\x00"}, "assessment.programme contains a character"),
        ({"organisation": "O\ud800"}, "assessment.organisation contains a character"),
    ],
)
def test_imported_metadata_with_unstorable_text_is_refused(
    change: dict[str, str], message: str
) -> None:
    raw = json.dumps(_exchange(**change))  # "\u0000" and "\ud800" as JSON escapes
    with pytest.raises(DocumentError) as caught:
        load_document(raw, BANK)
    assert message in str(caught.value)


def test_imported_answers_with_unstorable_text_are_refused() -> None:
    data = _exchange()
    data["answers"].append({"question": "scope.operator", "value": "Police", "note": "n\x00"})
    with pytest.raises(DocumentError, match=r"\(scope.operator\): The note contains"):
        load_document(json.dumps(data), BANK)


def test_deeply_nested_json_is_refused_without_recursion_error() -> None:
    for raw in (
        b"[" * 100_000,
        b"[" * 1_000 + b"]" * 1_000,
        b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    ):
        with pytest.raises(JsonRejected, match=f"nested more than {MAX_JSON_DEPTH} levels"):
            decode_json(raw)
    nested: Any = 1
    for _ in range(MAX_JSON_DEPTH):
        nested = [nested]
    assert decode_json(json.dumps(nested)) == nested  # exactly the limit is fine
    with pytest.raises(DocumentError, match="nested more than"):
        load_document(b"[" * 100_000, BANK)


def test_json_larger_than_the_limit_is_refused_before_decoding() -> None:
    too_big = b'"' + b"x" * MAX_JSON_BYTES + b'"'
    with pytest.raises(JsonRejected, match="larger than 8 MB"):
        decode_json(too_big)
    with pytest.raises(JsonRejected, match="larger than 8 MB"):
        decode_json("é" * (MAX_JSON_BYTES // 2 + 1))  # few characters, too many bytes
    with pytest.raises(DocumentError, match="larger than 8 MB"):
        load_document(too_big, BANK)
