from __future__ import annotations

from typing import Any

import pytest

from assessment.config import DEFAULT_BANK_DIR
from assessment.engine.answers import (
    OTHERS_NOT_KNOWN,
    AnswerValueError,
    allows_others_not_known,
    check_metadata,
    check_value,
    chosen_options,
    is_not_applicable,
    is_open_list,
    is_unknown,
)
from assessment.engine.bank import Bank, Confidence
from assessment.engine.loader import load_bank, load_bank_cached
from tests.engine.format2_bank import write_mini_bank

BANK = load_bank_cached(str(DEFAULT_BANK_DIR))


@pytest.mark.parametrize(
    ("question", "given", "stored"),
    [
        ("cam.watchlist", "broad", "broad"),
        ("cam.watchlist", "unknown", "unknown"),
        ("loc.data_source", ["bluetooth", "operator"], ["operator", "bluetooth"]),
        ("lim.legal_basis", "no", "no"),
        ("lim.law_precise", "3", 3),
        ("lim.law_precise", 4, 4),
        ("scope.operator", "  Moscow police  ", "Moscow police"),
        ("desc.purpose", "Line one\nline two", "Line one\nline two"),
        ("desc.people_affected", "12 600 000", 12_600_000),
        ("desc.people_affected", "2.5", 2.5),
        ("desc.start_date", "2020-03-30", "2020-03-30"),
    ],
)
def test_valid_values_are_normalised(question: str, given: Any, stored: Any) -> None:
    assert check_value(BANK.question(question), given) == stored


@pytest.mark.parametrize(
    ("question", "given", "message"),
    [
        ("cam.watchlist", "everyone", "Choose one of the listed options"),
        ("loc.data_source", ["operator", "operator"], "chosen twice"),
        ("loc.data_source", ["operator", "unknown"], "cannot be combined"),
        ("loc.data_source", [], "at least one"),
        ("lim.legal_basis", "maybe", "yes, no or not known"),
        ("lim.law_precise", 5, "1 to 4"),
        ("lim.law_precise", True, "1 to 4"),
        ("scope.operator", "x" * 201, "under 200 characters"),
        ("desc.people_affected", "lots", "Enter a number"),
        ("desc.people_affected", "-3", "at least 0"),
        ("desc.people_affected", "nan", "Enter a number"),
        ("pay.window_days", 4000, "at most 3650"),
        ("desc.start_date", "2020-02-30", "real date"),
        ("desc.start_date", "30/03/2020", "real date"),
    ],
)
def test_invalid_values_give_a_message_for_the_user(
    question: str, given: Any, message: str
) -> None:
    with pytest.raises(AnswerValueError, match=message):
        check_value(BANK.question(question), given)


def test_metadata() -> None:
    assert check_metadata(" n ", " s ", "reported") == ("n", "s", Confidence.REPORTED)
    assert check_metadata("", "", "") == ("", "", None)
    with pytest.raises(AnswerValueError, match="Confidence must be one of"):
        check_metadata("", "", "certain")
    with pytest.raises(AnswerValueError, match="note under"):
        check_metadata("x" * 5001, "", None)


@pytest.fixture(scope="module")
def mini_bank(tmp_path_factory: pytest.TempPathFactory) -> Bank:
    return load_bank(write_mini_bank(tmp_path_factory.mktemp("bank") / "questions"))


@pytest.mark.parametrize(
    ("question", "given", "stored"),
    [
        ("m.authorisation", "not_applicable", "not_applicable"),
        ("m.functions", ["not_applicable"], ["not_applicable"]),
        ("m.opinions", "not_applicable", "not_applicable"),
        ("m.depends_on_gap", "not_applicable", "not_applicable"),
        ("m.depends_on_gap", "2", 2),
    ],
)
def test_does_not_apply_is_accepted_where_offered(
    mini_bank: Bank, question: str, given: Any, stored: Any
) -> None:
    value = check_value(mini_bank.question(question), given)
    assert value == stored
    assert is_not_applicable(value) == (stored in ("not_applicable", ["not_applicable"]))
    assert not is_unknown(value)


@pytest.mark.parametrize(
    ("question", "given", "message"),
    [
        ("m.functions", ["live_fr", "not_applicable"], "'Does not apply' cannot be combined"),
        ("m.linked", "not_applicable", "yes, no or not known"),
        ("m.status", "not_applicable", "Choose one of the listed options"),
    ],
)
def test_does_not_apply_is_refused_where_not_offered_or_mixed(
    mini_bank: Bank, question: str, given: Any, message: str
) -> None:
    with pytest.raises(AnswerValueError, match=message):
        check_value(mini_bank.question(question), given)


def test_does_not_apply_is_refused_on_a_scale_without_it() -> None:
    with pytest.raises(AnswerValueError, match="1 to 4"):
        check_value(BANK.question("lim.law_precise"), "not_applicable")


def test_is_not_applicable() -> None:
    assert is_not_applicable("not_applicable")
    assert is_not_applicable(["not_applicable"])
    assert not is_not_applicable(["not_applicable", "x"])
    assert not is_not_applicable("unknown")
    assert not is_not_applicable(None)


def test_an_open_list_keeps_its_mark_last_and_its_options_in_bank_order() -> None:
    question = BANK.question("cam.functions")
    assert allows_others_not_known(question)
    value = check_value(question, [OTHERS_NOT_KNOWN, "live_fr", "recording"])
    assert value == ["recording", "live_fr", OTHERS_NOT_KNOWN]
    assert is_open_list(value)
    assert chosen_options(value) == ["recording", "live_fr"]
    assert not is_open_list(check_value(question, ["recording"]))
    assert not allows_others_not_known(BANK.question("scope.programme_types"))
    with pytest.raises(AnswerValueError, match="Choose the options you know of"):
        check_value(question, [OTHERS_NOT_KNOWN])
