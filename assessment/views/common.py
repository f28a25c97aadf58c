"""Helpers shared by the blueprints that work on one assessment."""

from __future__ import annotations

import re

from flask import abort

from assessment.engine.bank import Bank
from assessment.models import Assessment
from assessment.services.assessments import (
    AssessmentNotFound,
    WrongBank,
    check_bank,
    get_for_organisation,
)
from assessment.web import app_bank, db, require_user


def own_assessment(assessment_id: str) -> Assessment:
    """The signed-in user's organisation's assessment, else 404 (whether it
    exists in another organisation or not)."""
    user = require_user()
    try:
        return get_for_organisation(db(), user.organisation_id, assessment_id)
    except AssessmentNotFound:
        abort(404)


def pinned_bank(assessment: Assessment) -> Bank:
    """The loaded bank if ``assessment`` was answered against it, else 409."""
    bank = app_bank()
    try:
        check_bank(assessment, bank)
    except WrongBank as error:
        abort(409, description=str(error))
    return bank


def download_name(title: str, suffix: str) -> str:
    """A safe file name for a download, from the assessment's title."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "assessment"
    return f"{stem}.{suffix}"
