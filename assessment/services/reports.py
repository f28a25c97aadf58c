"""Issuing and verifying reports.

Every report served for an assessment records the SHA-256 of its embedded
data with the assessment's revision, so that a report handed to an auditor
can later be checked against what this installation issued.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.engine.bank import Bank
from assessment.models import Assessment, ReportRevision, as_utc
from assessment.report.context import HistoryEntry
from assessment.report.render import RenderedReport, render_report
from assessment.report.verify import EmbeddedData, read_embedded
from assessment.services.assessments import to_document


def issue_report(
    session: Session, bank: Bank, assessment: Assessment, edition: str = "full"
) -> RenderedReport:
    """Render the ``edition`` of the report of ``assessment`` and record the
    hash of its embedded data."""
    history = [
        HistoryEntry(
            at=as_utc(event.at).strftime("%Y-%m-%d %H:%M"),
            who=event.user.name if event.user else "-",
            action=f"{event.action} ({event.detail})" if event.detail else event.action,
            revision=event.revision,
        )
        for event in assessment.events
    ]
    report = render_report(bank, to_document(assessment), edition=edition, history=history)
    known = session.scalar(select(ReportRevision.id).where(ReportRevision.sha256 == report.sha256))
    if known is None:
        record = ReportRevision(revision=assessment.revision, sha256=report.sha256, edition=edition)
        record.assessment = assessment
        session.add(record)
        session.flush()
    return report


@dataclass(frozen=True, slots=True)
class Verification:
    """What a verification found.  ``revision`` is ``None`` when this
    installation never issued a report with these data."""

    embedded: EmbeddedData
    revision: int | None
    current: bool  # the revision is the assessment's latest
    edition: str | None = None

    @property
    def intact(self) -> bool:
        return self.embedded.intact

    def summary(self) -> list[str]:
        """Plain sentences for people, one finding each."""
        if self.intact:
            lines = ["The embedded data are intact: they match the fingerprint in the report."]
        else:
            lines = ["The embedded data were altered: they do not match the report's fingerprint."]
        if self.revision is None:
            lines.append("This installation has not issued a report with these data.")
        else:
            state = "the current one" if self.current else "the assessment has changed since"
            lines.append(
                f"They match the {self.edition} edition of revision {self.revision} "
                f"of an assessment held here ({state})."
            )
        return lines


def verify_report(session: Session, pdf: bytes) -> Verification:
    """Check report ``pdf``.  Raises :class:`~assessment.report.verify.NotAReport`."""
    embedded = read_embedded(pdf)
    record = session.scalar(select(ReportRevision).where(ReportRevision.sha256 == embedded.sha256))
    if record is None:
        return Verification(embedded, None, False)
    current = record.revision == record.assessment.revision
    return Verification(embedded, record.revision, current, record.edition)
