"""Several bank versions: loading the archive beside the current bank, looking
one up, exchange files of an older version, and comparing two versions."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from assessment.config import DEFAULT_BANK_DIR
from assessment.engine.answers import OTHERS_NOT_KNOWN, Answer
from assessment.engine.bank import Confidence, QuestionType
from assessment.engine.banks import UnknownBankVersion, load_banks, load_exchange
from assessment.engine.conditions import Equals
from assessment.engine.document import DocumentError
from assessment.engine.loader import BankError, load_bank
from assessment.engine.versions import Change, compare_banks, differences, plan_upgrade
from tests.bank_versions import (
    ARCHIVE_1_0,
    CARRIED,
    CHANGED,
    MOSCOW_1_0,
    NEW,
    NEW_TEXT,
    REMOVED,
    make_bank_dir,
)

BANK_ID = "surveillance-hria"


def test_the_real_bank_and_its_archive_load() -> None:
    banks = load_banks(DEFAULT_BANK_DIR)
    assert banks.current.id == BANK_ID
    assert "1.0" in banks.versions_of(BANK_ID)
    assert banks.get(BANK_ID, "1.0").version == "1.0"


def test_the_archive_beside_a_newer_bank_is_keyed_by_version(tmp_path: Path) -> None:
    banks = load_banks(make_bank_dir(tmp_path))
    assert banks.current.version == "2.0"
    assert banks.versions_of(BANK_ID) == ("1.0", "2.0")
    old = banks.get(BANK_ID, "1.0")
    assert old is not banks.current
    assert old.has_question(REMOVED)
    assert not old.has_question(NEW)
    assert banks.current.has_question(NEW)
    assert not banks.current.has_question(REMOVED)
    assert banks.is_current(BANK_ID, "2.0")
    assert not banks.is_current(BANK_ID, "1.0")


def test_an_unknown_version_raises_a_named_error(tmp_path: Path) -> None:
    banks = load_banks(make_bank_dir(tmp_path))
    with pytest.raises(UnknownBankVersion) as raised:
        banks.get(BANK_ID, "0.9")
    assert str(raised.value) == (
        f"question bank {BANK_ID} 0.9 is not installed here (installed: 1.0, 2.0)"
    )
    assert not banks.has(BANK_ID, "0.9")


def test_a_malformed_archived_version_fails_naming_file_and_question(tmp_path: Path) -> None:
    root = make_bank_dir(tmp_path)
    camera = root / "archive" / "1.0" / "camera.yaml"
    text = camera.read_text(encoding="utf-8")
    camera.write_text(text.replace("type: yes_no_unknown", "type: yes_or_no", 1), "utf-8")
    with pytest.raises(BankError) as raised:
        load_banks(root)
    message = str(raised.value)
    assert message.startswith("Question bank error in questions/archive/1.0/camera.yaml, question ")
    assert "yes_or_no" in message


def test_an_archive_folder_must_be_named_after_its_version(tmp_path: Path) -> None:
    root = make_bank_dir(tmp_path)
    (root / "archive" / "1.0").rename(root / "archive" / "1.1")
    with pytest.raises(BankError, match=r"archive/1.1/bank.yaml: declares version 1.0"):
        load_banks(root)


def test_an_archived_bank_reads_the_shared_schema(tmp_path: Path) -> None:
    folder = tmp_path / "1.0"
    shutil.copytree(ARCHIVE_1_0, folder)
    with pytest.raises(BankError, match="cannot read the schema"):
        load_bank(folder)
    assert load_bank(folder, schema_dir=DEFAULT_BANK_DIR / "schema").version == "1.0"


def test_an_exchange_file_is_read_with_the_version_it_names(tmp_path: Path) -> None:
    banks = load_banks(make_bank_dir(tmp_path))
    document = load_exchange(MOSCOW_1_0.read_bytes(), banks)
    assert (document.bank_id, document.bank_version) == (BANK_ID, "1.0")
    assert REMOVED in document.answer_values()  # valid under 1.0, unknown to 2.0

    data = json.loads(MOSCOW_1_0.read_bytes())
    data["bank"]["version"] = "0.9"
    with pytest.raises(DocumentError) as raised:
        load_exchange(json.dumps(data), banks)
    assert raised.value.problems == [
        f"unknown bank version '0.9' of {BANK_ID} (this installation has versions 1.0, 2.0)"
    ]


def test_comparison_sorts_every_question(tmp_path: Path) -> None:
    old = load_bank(ARCHIVE_1_0, schema_dir=DEFAULT_BANK_DIR / "schema")
    new = load_banks(make_bank_dir(tmp_path)).current
    comparison = compare_banks(old, new)
    assert [c.question_id for c in comparison.changed] == [CHANGED]
    assert comparison.changed[0].differences == ("text",)
    assert comparison.changed[0].question.text.get_text() == NEW_TEXT
    assert [c.question_id for c in comparison.new] == [NEW]
    assert [c.question_id for c in comparison.removed] == [REMOVED]
    assert comparison.removed[0].section_id == "description.purpose"
    assert len(comparison.unchanged) == len(new.questions) - 2
    assert {c.change for c in comparison.unchanged} == {Change.UNCHANGED}
    assert compare_banks(old, old).changed == ()


def test_differences_by_type_options_text_show_if_and_fields() -> None:
    bank = load_bank(ARCHIVE_1_0, schema_dir=DEFAULT_BANK_DIR / "schema")
    choice = bank.question("cam.mode")
    assert differences(choice, choice) == ()
    assert differences(choice, dataclasses.replace(choice, options=choice.options[1:])) == (
        "options",
    )
    assert differences(choice, dataclasses.replace(choice, type=QuestionType.MULTIPLE_CHOICE)) == (
        "type",
    )
    assert differences(choice, dataclasses.replace(choice, show_if=Equals("x", "y"))) == (
        "show_if",
    )
    translated = dataclasses.replace(choice, text={**choice.text, "ru": "Другое"})
    assert differences(choice, translated) == ()  # only the English text counts
    group = next(q for q in bank.questions if q.type is QuestionType.GROUP)
    assert differences(group, dataclasses.replace(group, fields=group.fields[:-1])) == ("fields",)


def test_an_upgrade_plan_carries_unchanged_answers_only(tmp_path: Path) -> None:
    banks = load_banks(make_bank_dir(tmp_path))
    old = banks.get(BANK_ID, "1.0")
    carried = Answer(CARRIED, "A duty officer", "my note", "a source", Confidence.REPORTED, True)
    answers = {
        CARRIED: carried,
        CHANGED: Answer(CHANGED, "Quarantine checks"),
        REMOVED: Answer(REMOVED, "Contractors"),
        "no.such.question": Answer("no.such.question", "x"),
    }
    plan = plan_upgrade(old, banks.current, answers)
    assert plan.carried == (carried,)
    assert set(plan.left) == {CHANGED, REMOVED}
    assert plan.left[CHANGED].shown == "Quarantine checks"
    assert plan.left[REMOVED].item.change is Change.REMOVED
    assert [c.question_id for c in plan.to_review] == [NEW, CHANGED, REMOVED]


def test_an_answer_the_new_version_refuses_is_not_carried(tmp_path: Path) -> None:
    banks = load_banks(make_bank_dir(tmp_path, maximum_people=1000))
    old = banks.get(BANK_ID, "1.0")
    assert (
        differences(
            old.question("desc.people_affected"), banks.current.question("desc.people_affected")
        )
        == ()
    )
    plan = plan_upgrade(
        old,
        banks.current,
        {"desc.people_affected": Answer("desc.people_affected", 12_600_000)},
    )
    assert plan.carried == ()
    assert [c.question_id for c in plan.changed] == [CHANGED, "desc.people_affected"]
    assert plan.left["desc.people_affected"].item.differences == ("value",)


def test_an_open_list_left_behind_says_and_others_in_the_words_given() -> None:
    """An open multiple-choice answer to a question the new bank changed is
    shown ending with the phrase the caller gives (the web layer gives it in
    the assessment's language)."""
    banks = load_banks(DEFAULT_BANK_DIR)
    old, new = banks.get(BANK_ID, "1.0"), banks.current
    changed = {item.question_id for item in compare_banks(old, new).changed}
    question = next(
        q
        for q in old.questions
        if q.type is QuestionType.MULTIPLE_CHOICE and q.id in changed and len(q.options) > 1
    )
    first = question.options[0]
    answers = {question.id: Answer(question.id, [first.value, OTHERS_NOT_KNOWN])}
    plan = plan_upgrade(old, new, answers, "ru", "и другие, о которых неизвестно")
    assert plan.left[question.id].shown == (
        f"{first.label.get_text('ru')}, и другие, о которых неизвестно"
    )
    english = plan_upgrade(old, new, answers)
    assert english.left[question.id].shown.endswith(", and others not known")
