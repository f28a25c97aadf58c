"""Builders shared by tests that need no app."""

from __future__ import annotations

from assessment.config import DEFAULT_BANK_DIR
from assessment.engine.answers import Answer
from assessment.engine.bank import Bank
from assessment.engine.banks import BankSet, load_banks_cached
from assessment.engine.document import AssessmentDocument

BANKS: BankSet = load_banks_cached(str(DEFAULT_BANK_DIR))
BANK: Bank = BANKS.current


def make_document(
    *answers: Answer, title: str = "Т", programme: str = "P", revision: int = 1
) -> AssessmentDocument:
    """A draft exchange document of the loaded bank holding ``answers``."""
    return AssessmentDocument(
        uuid="3f1c9a0e-7b7e-4d0c-9d7a-2f8e6b1c4a55",
        title=title,
        programme=programme,
        organisation="O",
        status="draft",
        bank_id=BANK.id,
        bank_version=BANK.version,
        language="en",
        created_at="2026-01-01T00:00:00+00:00",
        updated_at="2026-01-02T00:00:00+00:00",
        submitted_at=None,
        revision=revision,
        answers=answers,
    )
