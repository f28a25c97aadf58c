"""Issuing and verifying reports.

Every report served for an assessment records the SHA-256 of its embedded
data with the assessment's revision, so that a report handed to an auditor
can later be checked against what this installation issued.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.config import PROJECT_ROOT
from assessment.db import insert_unless_taken
from assessment.engine.bank import Bank
from assessment.models import Assessment, ReportRevision, as_utc, utcnow
from assessment.report.context import HistoryEntry
from assessment.report.pool import (
    RenderFailed,
    RenderJob,
    ReportRenderer,
    is_temporary,
    read_stored,
    remove_quietly,
)
from assessment.report.render import RenderedReport
from assessment.report.verify import EmbeddedData, read_report
from assessment.services.assessments import to_document
from assessment.services.evidence import stored_files

REPORT_SOURCES = (
    PROJECT_ROOT / "templates" / "report" / "report.html",
    PROJECT_ROOT / "static" / "css" / "report.css",
    PROJECT_ROOT / "assessment" / "report" / "context.py",
    PROJECT_ROOT / "assessment" / "report" / "render.py",
    PROJECT_ROOT / "assessment" / "engine" / "scoring.py",
)
READ_ATTEMPTS = 3
ORPHAN_SECONDS = 600  # a temporary or a lone hash this old is left from a failed write


def template_fingerprint() -> str:
    """Changes whenever anything that shapes a report changes: the template,
    the stylesheet, the report and scoring code."""
    return _template_fingerprint()


@cache
def _template_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(REPORT_SOURCES):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_path(cache_dir: Path, assessment: Assessment, edition: str) -> Path:
    """``<cache>/<assessment uuid>/r<revision>-<template fingerprint>-<edition>.pdf``"""
    return cache_dir / assessment.uuid / f"{_current_prefix(assessment)}{edition}.pdf"


def _current_prefix(assessment: Assessment) -> str:
    return f"r{assessment.revision}-{template_fingerprint()}-"


def _prune_stale(folder: Path, assessment: Assessment) -> None:
    """Clean the assessment's folder of the report cache (best effort: a
    read-only cache is left as it is).  Deleted: reports of earlier revisions
    or templates, which can never be served again and hold assessment data;
    temporaries of a write that was interrupted (a crash, a killed worker);
    and a hash or PDF whose partner is missing.  A temporary or a lone file
    younger than :data:`ORPHAN_SECONDS` may be a write still in progress and
    is left alone."""
    keep = _current_prefix(assessment)
    try:
        paths = list(folder.iterdir())
    except OSError:
        return
    names = {path.name for path in paths}
    now = time.time()
    for path in paths:
        if is_temporary(path) or _lacks_partner(path, names):
            if _age_seconds(path, now) > ORPHAN_SECONDS:
                remove_quietly(path)
        elif not path.name.startswith(keep):
            remove_quietly(path)


def _lacks_partner(path: Path, names: set[str]) -> bool:
    """Whether ``path`` is a cached PDF without its hash, or a hash without its PDF."""
    partners = {".pdf": ".sha256", ".sha256": ".pdf"}
    partner = partners.get(path.suffix)
    return partner is not None and path.with_suffix(partner).name not in names


def _age_seconds(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def request_report(
    session: Session,
    bank: Bank,
    assessment: Assessment,
    renderer: ReportRenderer,
    cache_dir: Path,
    edition: str = "full",
    wait: float = 0.0,
    evidence_dir: Path | None = None,
    embed_limit: int = 0,
) -> RenderedReport | None:
    """The ``edition`` of the report of ``assessment``, recorded as issued;
    ``None`` while it is still rendering (or, rarely, while saves follow each
    other too fast to read one revision of the assessment).

    A report already rendered for the same revision, edition and template
    fingerprint is served from ``cache_dir``.  Otherwise ``renderer`` renders
    it into the cache and this waits up to ``wait`` seconds for it; ask again
    later for a report not ready by then.  Cached files hold assessment data:
    the folder is owner-only.  The full edition embeds the evidence files
    stored under ``evidence_dir`` when together they take at most
    ``embed_limit`` bytes.  Raises
    :class:`~assessment.report.pool.RenderFailed`.
    """
    target = _cache_path(cache_dir, assessment, edition)
    report = read_stored(target)
    if report is None:
        # a reload while the report renders joins the render without reading the answers again
        future = renderer.running(target)
        if future is None:
            if not _read_one_revision(session, assessment):
                return None  # changing under every attempt; the caller asks again shortly
            target = _cache_path(cache_dir, assessment, edition)  # the revision may be newer
            future = renderer.running(target) or renderer.submit(
                RenderJob(
                    document=to_document(assessment),
                    edition=edition,
                    history=_history(assessment),
                    target=target,
                    bank_id=bank.id,
                    bank_version=bank.version,
                    evidence_files=stored_files(evidence_dir, assessment)
                    if evidence_dir is not None
                    else (),
                    embed_limit=embed_limit,
                )
            )
        try:
            future.result(timeout=wait)
        except FutureTimeout:
            return None
        except RenderFailed:
            _prune_stale(target.parent, assessment)
            raise
        report = read_stored(target)
        if report is None:
            raise RenderFailed(f"the rendered report of {assessment.uuid} left the cache")
        _prune_stale(target.parent, assessment)
    _record(session, assessment, report, edition)
    return report


def _read_one_revision(session: Session, assessment: Assessment) -> bool:
    """Load the answers and history of ``assessment`` so that they are those
    of the revision it shows (re-reading the assessment if needed); ``False``
    if it changed during every attempt.

    The row, the answers and the events are read by separate statements, and
    a save may commit between them.  Every change raises the revision in the
    same transaction, so finding the revision unchanged once the answers and
    events are read proves that they belong to it: a report and the cache
    file named after its revision never mix two revisions.
    """
    for _attempt in range(READ_ATTEMPTS):
        revision = assessment.revision
        _ = (
            assessment.organisation,
            assessment.answers,
            assessment.evidence,
            [e.user for e in assessment.events],
        )
        now = session.scalar(select(Assessment.revision).where(Assessment.id == assessment.id))
        if now == revision:
            return True
        session.expire_all()
        session.refresh(assessment)
    return False


def _history(assessment: Assessment) -> tuple[HistoryEntry, ...]:
    return tuple(
        HistoryEntry(
            at=as_utc(event.at).strftime("%Y-%m-%d %H:%M"),
            who=event.user.name if event.user else "-",
            action=f"{event.action} ({event.detail})" if event.detail else event.action,
            revision=event.revision,
        )
        for event in assessment.events
    )


def _record(session: Session, assessment: Assessment, report: RenderedReport, edition: str) -> None:
    """Remember that ``report`` was issued; once, also when two requests
    serve the same report at the same moment (the second insert is skipped
    instead of failing on the unique fingerprint)."""
    known = session.scalar(select(ReportRevision.id).where(ReportRevision.sha256 == report.sha256))
    if known is None:
        insert_unless_taken(
            session,
            ReportRevision,
            ReportRevision.sha256,
            assessment_id=assessment.id,
            revision=assessment.revision,
            sha256=report.sha256,
            edition=edition,
            created_at=utcnow(),
        )


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
    """Check report ``pdf``, read within the limits of
    :func:`~assessment.report.verify.read_report` (in a child process, before
    the database is asked anything).  Raises
    :class:`~assessment.report.verify.NotAReport` and
    :class:`~assessment.report.verify.ReadingBusy`."""
    embedded = read_report(pdf)
    record = session.scalar(select(ReportRevision).where(ReportRevision.sha256 == embedded.sha256))
    if record is None:
        return Verification(embedded, None, False)
    current = record.revision == record.assessment.revision
    return Verification(embedded, record.revision, current, record.edition)
