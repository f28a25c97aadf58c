"""Numbers as people write them, read according to the assessment's language,
or refused with a message that gives an example of what is accepted."""

from __future__ import annotations

import pytest

from assessment.engine.answers import AnswerValueError, check_value
from assessment.engine.inputs import NumberRejected, number_text, read_number
from tests.helpers import BANK

NBSP, NARROW, THIN = "\u00a0", "\u202f", "\u2009"


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("170000", "en", 170000),
        ("170000", "ru", 170000),
        ("170 000", "en", 170000),
        ("170 000", "ru", 170000),
        (f"170{NBSP}000", "ru", 170000),
        (f"170{NARROW}000", "ru", 170000),
        (f"1{THIN}234{THIN}567", "en", 1234567),
        ("170,000", "en", 170000),
        ("1,234,567.5", "en", 1234567.5),
        ("12.7", "en", 12.7),
        ("12,7", "ru", 12.7),
        ("12.7", "ru", 12.7),  # a point is a decimal point in Russian too, where unambiguous
        ("0,125", "ru", 0.125),  # a leading zero is never thousands
        ("1 170,000", "ru", 1170),  # grouped by spaces: the comma is the decimal sign
        ("170.000", "en", 170),  # English reads a point as decimal
        ("12,7 млн", "ru", 12_700_000),
        ("12,7 млн.", "ru", 12_700_000),
        (f"12,7{NBSP}млн", "ru", 12_700_000),
        ("12,7 million", "ru", 12_700_000),
        ("12.7 million", "en", 12_700_000),
        (f"12.7{NBSP}million", "en", 12_700_000),
        ("12.7 Million", "en", 12_700_000),
        ("1.5k", "en", 1500),
        ("1,5 тыс.", "ru", 1500),
        ("3 тысячи", "ru", 3000),
        ("2 bn", "en", 2_000_000_000),
        ("1,2 млрд", "ru", 1_200_000_000),
        ("-5", "en", -5),
        ("\u22125,5", "ru", -5.5),
        ("  42  ", "en", 42),
    ],
)
def test_numbers_are_read_as_people_write_them(text: str, language: str, value: float) -> None:
    read = read_number(text, language)
    assert read == value
    assert type(read) is type(value)  # whole results are int


@pytest.mark.parametrize(
    ("text", "language", "example"),
    [
        ("12,7", "en", "12.7"),  # a decimal comma in English
        ("1,5", "en", "12.7"),
        ("0,125", "en", "12.7"),  # not 125: a first group has no leading zero
        ("17,0000", "en", "170,000"),  # groups of three
        ("170,000", "ru", "170\u202f000"),  # thousands or a fraction?
        ("170.000", "ru", "170\u202f000"),
        ("12,700", "ru", "12,7"),
        ("1,234.5", "ru", "12,7 млн"),  # two kinds of separator
        ("1.234,5", "en", "12.7 million"),
        ("17 0000", "ru", "12,7 млн"),
        ("170  000", "en", "12.7 million"),
        ("lots", "en", "12.7 million"),
        ("много", "ru", "12,7 млн"),
        ("12 dozen", "en", "12.7 million"),
        ("1e6", "en", "12.7 million"),
        ("nan", "en", "12.7 million"),
        ("inf", "ru", "12,7 млн"),
        ("", "en", "12.7 million"),
        ("1" * 61, "en", "12.7 million"),
    ],
)
def test_unreadable_numbers_are_refused_with_an_example(
    text: str, language: str, example: str
) -> None:
    with pytest.raises(NumberRejected) as refused:
        read_number(text, language)
    assert example in str(refused.value)


def test_an_ambiguous_russian_number_is_refused_with_both_readings() -> None:
    with pytest.raises(NumberRejected) as refused:
        read_number("170,000", "ru")
    message = str(refused.value)
    assert "«170,000»" in message
    assert "170\u202f000" in message  # a hundred and seventy thousand
    assert "170,0" in message  # or a fraction


def test_an_unknown_language_reads_numbers_as_english() -> None:
    assert read_number("170,000", "de") == 170000
    with pytest.raises(NumberRejected, match="Write decimals with a point"):
        read_number("12,7", "de")


@pytest.mark.parametrize("value", [170000, 12.7, 1.125, 0.125, 1e-05, -3.5, 1234.567, 10**20])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_stored_number_shown_in_a_form_reads_back_the_same(value: float, language: str) -> None:
    text = number_text(value, language)
    assert "e" not in text
    assert read_number(text, language) == value


def test_check_value_reads_typed_numbers_in_the_assessments_language() -> None:
    question = BANK.question("desc.people_affected")
    assert check_value(question, "12,7 млн", "ru") == 12_700_000
    assert check_value(question, "170,000", "en") == 170000
    assert check_value(question, 170000, "ru") == 170000  # imported numbers are numbers
    with pytest.raises(AnswerValueError, match="170\u202f000"):
        check_value(question, "170,000", "ru")
    with pytest.raises(AnswerValueError, match="Write decimals with a point"):
        check_value(question, "12,7", "en")
