"""The demo organisation, account and example assessment loaded by ``make run``.

The example is the Moscow facial-recognition camera network used to enforce
COVID-19 quarantine in 2020, read from ``assessment/examples/moscow_cameras.json``
(answered from the public record; the same file is a scoring test fixture).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.engine.banks import BankSet, load_exchange
from assessment.models import Assessment, User
from assessment.services.accounts import create_organisation_with_user
from assessment.services.assessments import import_document
from assessment.services.summaries import refresh_summary

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "quarantine-cameras-2020"  # noqa: S105 - published demo login, local data only
EXAMPLES = Path(__file__).resolve().parent / "examples"
DEMO_FILE = EXAMPLES / "moscow_cameras.json"


def seed_demo(session: Session, banks: BankSet) -> tuple[User, Assessment, bool]:
    """Create the demo organisation, user and example assessment unless the
    demo user exists; the example stays pinned to the bank version it names
    (which ``banks`` must hold).  Returns the user, the assessment and whether
    anything was created; never changes existing data."""
    existing = session.scalar(select(User).where(User.email == DEMO_EMAIL))
    if existing is not None:
        assessment = session.scalar(
            select(Assessment)
            .where(Assessment.organisation_id == existing.organisation_id)
            .order_by(Assessment.id)
        )
        if assessment is not None:
            return existing, assessment, False
        user = existing
    else:
        user = create_organisation_with_user(
            session, "Demo Human Rights Group", "Demo Assessor", DEMO_EMAIL, DEMO_PASSWORD
        )
    document = load_exchange(DEMO_FILE.read_bytes(), banks)
    assessment = import_document(session, user.organisation, document, user)
    refresh_summary(session, assessment, banks)
    return user, assessment, True
