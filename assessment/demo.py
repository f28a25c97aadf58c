"""The demo organisation, account and example assessment loaded by ``make run``.

The example is the Moscow facial-recognition camera network used to enforce
COVID-19 quarantine in 2020, answered from public reporting (see
``shared/seeds``): about 170,000 cameras, about 100,000 linked to face
recognition, almost 200 quarantine breaches identified by March 2020.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.engine.bank import Bank, Confidence
from assessment.models import Assessment, User
from assessment.services.accounts import create_organisation_with_user
from assessment.services.assessments import SubmittedAnswer, create_assessment, save_answers

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "demo-password-2020"  # noqa: S105 - published demo login, local data only
DEMO_TITLE = "Moscow facial-recognition network and quarantine enforcement (2020)"

_SEED = "Biometric Update / Tony Bitzionis, 30 March 2020; CNN via press reports, March 2020"
_REPORTED = Confidence.REPORTED
_UNKNOWN = Confidence.UNKNOWN

DEMO_ANSWERS: dict[str, tuple[Any, str, Confidence]] = {
    "scope.operator": (
        "Moscow city government and Moscow police "
        "(Department of Information Technology control centre)",
        _SEED,
        _REPORTED,
    ),
    "scope.assessor_position": ("outside_public", "", Confidence.CONFIRMED),
    "scope.derogation": (
        "no",
        "HRC statement CCPR/C/128/2 (2020); no notification by Russia",
        Confidence.CONFIRMED,
    ),
    "desc.purpose": (
        "To check that people ordered to a 14-day quarantine (returning travellers and contacts of "
        "infected people) stay at home. Breaking quarantine risks up to five years in prison, or "
        'deportation for foreigners. The mayor wrote that observance is checked "including through '
        'the use of automated facial recognition systems".',
        "Mayor Sergei Sobyanin, blog post, February 2020, as quoted in " + _SEED,
        _REPORTED,
    ),
    "desc.people_affected": (
        12_600_000,
        "Population of Moscow; every passer-by is scanned",
        Confidence.ASSUMED,
    ),
    "desc.start_date": ("2020-02-21", "Mayor's blog post, February 2020", Confidence.ASSUMED),
    "desc.retention": ("indefinite", "No retention period has been published", _UNKNOWN),
    "lim.specific_law": (
        "no",
        "ECtHR Glukhin v. Russia (2023): Russian law had no detailed rules",
        Confidence.CONFIRMED,
    ),
    "lim.effectiveness_evidence": (
        "no",
        "Only a police figure of almost 200 breaches identified",
        _REPORTED,
    ),
    "lim.alternatives_considered": ("unknown", "", _UNKNOWN),
    "lim.judicial_authorisation": ("no", "", _REPORTED),
    "lim.remedy": ("no", "Alyona Popova's 2019 lawsuit was dismissed", _REPORTED),
    "cam.camera_count": (
        170_000,
        "About 100,000 linked to face recognition; 70,000 more planned. " + _SEED,
        _REPORTED,
    ),
    "cam.live_identification": (
        "yes",
        "AI control centre identifies people leaving home. " + _SEED,
        _REPORTED,
    ),
    "cam.watchlist_criteria": ("broad", "Everyone under a quarantine order", _REPORTED),
    "cam.protest_use": (
        "yes",
        "Public concern over identification of protesters; ECtHR Glukhin v. Russia",
        _REPORTED,
    ),
    "cam.accuracy_published": ("no", "", _UNKNOWN),
    "cam.human_review": (
        "unknown",
        "Media reported people identified after leaving home for a minute",
        _UNKNOWN,
    ),
}


def seed_demo(session: Session, bank: Bank) -> tuple[User, Assessment, bool]:
    """Create the demo organisation, user and example assessment unless the
    demo user exists.  Returns the user, the assessment and whether anything
    was created; never changes existing data."""
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
    assessment = create_assessment(
        session,
        bank,
        user,
        DEMO_TITLE,
        "Moscow city facial-recognition camera network",
        ["camera"],
    )
    answers = {
        question_id: SubmittedAnswer(value, note="", source=source, confidence=confidence)
        for question_id, (value, source, confidence) in DEMO_ANSWERS.items()
    }
    save_answers(session, assessment, user, answers, assessment.revision, "demo")
    return user, assessment, True
