"""The audit log of an assessment: everything that happened to it, with the
person and the time, grouped by day (UTC), newest first.

It reads the change history (``assessment_events``: created, imported,
sections saved, submitted, upgraded, comments posted, resolved and reopened,
and whatever the workflow records), the reports issued and the share links
made and revoked.  Sections and questions are named by their titles, people
by their names; comment text never appears here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from assessment.engine.bank import Bank
from assessment.models import (
    Assessment,
    AssessmentEvent,
    ReportRevision,
    ShareLink,
    User,
    as_utc,
)

#: Who an entry names when its member's account is gone or a command did it.
NOBODY = _l("Someone no longer a member, or a server command")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: dt.datetime  # UTC
    who: str
    what: str
    revision: int | None = None


@dataclass(slots=True)
class AuditDay:
    day: dt.date
    entries: list[AuditEntry] = field(default_factory=list)


class _Names:
    """Section and question titles from the assessment's bank, falling back
    to the id for one it no longer has."""

    def __init__(self, bank: Bank, language: str) -> None:
        self.bank, self.language = bank, language

    def section(self, section_id: str | None) -> str:
        if section_id and self.bank.has_section(section_id):
            return self.bank.section(section_id).title.get_text(self.language)
        return section_id or _("a section")

    def question(self, question_id: str | None) -> str:
        if question_id and self.bank.has_question(question_id):
            return self.bank.question(question_id).text.get_text(self.language)
        return question_id or _("a question")

    def on_question(self, event: AssessmentEvent) -> str:
        where = self.question(event.question_id)
        section_id = event.section_id or (
            self.bank.question(event.question_id).section_id
            if event.question_id and self.bank.has_question(event.question_id)
            else None
        )
        return str(
            _("“%(question)s” (%(section)s)", question=where, section=self.section(section_id))
        )


def _saved(event: AssessmentEvent, names: _Names) -> str:
    count = event.answer_count
    if count is None or event.section_id is None:
        if event.detail:
            return str(_("Saved answers (%(detail)s)", detail=event.detail))
        return str(_("Saved answers"))
    return str(
        ngettext(
            "Saved %(num)d answer in “%(section)s”",
            "Saved %(num)d answers in “%(section)s”",
            count,
            section=names.section(event.section_id),
        )
    )


#: How each recorded action is described.  An action missing here (one a newer
#: part of the tool records) is shown with its own name and detail rather than
#: hidden: the log must show every event.
DESCRIBE: dict[str, Callable[[AssessmentEvent, _Names], str]] = {
    "created": lambda e, n: _("Started the assessment"),
    "imported": lambda e, n: _("Imported the assessment from an exchange file"),
    "answers saved": _saved,
    "submitted": lambda e, n: _("Submitted the assessment"),
    "submitted for review": lambda e, n: _("Submitted the assessment for review"),
    "changes requested": lambda e, n: _("Requested changes"),
    "approved": lambda e, n: _("Approved and signed off the assessment"),
    "issued": lambda e, n: _("Issued the assessment"),
    "reassessment opened": lambda e, n: _("Opened a reassessment"),
    "upgraded": lambda e, n: _(
        "Moved the assessment to a newer question-bank version (%(detail)s)", detail=e.detail
    ),
    "comment added": lambda e, n: _("Commented on %(question)s", question=n.on_question(e)),
    "reply added": lambda e, n: _(
        "Replied to a comment on %(question)s", question=n.on_question(e)
    ),
    "comment resolved": lambda e, n: _(
        "Resolved a comment thread on %(question)s", question=n.on_question(e)
    ),
    "comment reopened": lambda e, n: _(
        "Reopened a comment thread on %(question)s", question=n.on_question(e)
    ),
}


def describe(event: AssessmentEvent, names: _Names) -> str:
    describer = DESCRIBE.get(event.action)
    if describer is not None:
        return describer(event, names)
    what = event.action[:1].upper() + event.action[1:]
    return f"{what} ({event.detail})" if event.detail else what


def _who(user: User | None) -> str:
    return user.name if user is not None else str(NOBODY)


def audit_log(session: Session, assessment: Assessment, bank: Bank) -> list[AuditDay]:
    """Every recorded event of ``assessment`` (described with the titles of
    ``bank``, the version it is pinned to), every report issued for it and
    every share link made or revoked, grouped by UTC day, newest first."""
    names = _Names(bank, assessment.language)
    entries = [
        AuditEntry(as_utc(e.at), _who(e.user), describe(e, names), e.revision)
        for e in session.scalars(
            select(AssessmentEvent)
            .where(AssessmentEvent.assessment_id == assessment.id)
            .options(selectinload(AssessmentEvent.user))
        )
    ]
    for report in session.scalars(
        select(ReportRevision).where(ReportRevision.assessment_id == assessment.id)
    ):
        entries.append(
            AuditEntry(
                as_utc(report.created_at),
                "A member or an auditor's share link",
                f"Report issued: {report.edition} edition",
                report.revision,
            )
        )
    links = session.scalars(select(ShareLink).where(ShareLink.assessment_id == assessment.id))
    for link in links:
        creator = session.get(User, link.created_by_id) if link.created_by_id else None
        entries.append(
            AuditEntry(
                as_utc(link.created_at),
                _who(creator),
                f"Shared with an auditor ({link.edition} edition, until "
                f"{as_utc(link.expires_at):%Y-%m-%d})",
            )
        )
        if link.revoked_at is not None:
            entries.append(
                AuditEntry(
                    as_utc(link.revoked_at),
                    "A member who manages share links",
                    "Revoked an auditor's share link",
                )
            )
    entries.sort(key=lambda e: e.at, reverse=True)
    days: list[AuditDay] = []
    for entry in entries:
        if not days or days[-1].day != entry.at.date():
            days.append(AuditDay(entry.at.date()))
        days[-1].entries.append(entry)
    return days
