"""Issuing and verifying reports.

Every report served for an assessment records the SHA-256 of its embedded
data with the assessment's revision, so that a report handed to an auditor
can later be checked against what this installation issued.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.config import PROJECT_ROOT
from assessment.db import insert_unless_taken
from assessment.engine.bank import Bank
from assessment.engine.banks import BankSet
from assessment.models import Assessment, ReportRevision, as_utc, utcnow
from assessment.report.context import CommentEntry, HistoryEntry
from assessment.report.pool import RenderFailed, RenderJob, ReportRenderer, read_stored
from assessment.report.render import RenderedReport
from assessment.report.verify import EmbeddedData, read_embedded
from assessment.services.assessments import to_document
from assessment.services.comments import COMMENT_ACTIONS, ShownComment, threads
from assessment.services.history import changes_for_report, last_issued_revision

REPORT_SOURCES = (
    PROJECT_ROOT / "templates" / "report" / "report.html",
    PROJECT_ROOT / "static" / "css" / "report.css",
    PROJECT_ROOT / "assessment" / "report" / "context.py",
    PROJECT_ROOT / "assessment" / "report" / "changes.py",
    PROJECT_ROOT / "assessment" / "report" / "render.py",
    PROJECT_ROOT / "assessment" / "engine" / "scoring.py",
)
READ_ATTEMPTS = 3


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


@dataclass(frozen=True, slots=True)
class _Extras:
    """What a report shows beyond the revision's content: the unresolved
    comments (full edition) and the revision of the last issued report
    before it; ``key`` names them in the cache file's name."""

    comments: tuple[CommentEntry, ...] | None
    base: int | None
    key: str


def _flatten(roots: list[ShownComment], depth: int = 0) -> list[CommentEntry]:
    entries = []
    for comment in roots:
        entries.append(
            CommentEntry(comment.question_id, comment.author, comment.at, comment.text, depth)
        )
        entries.extend(_flatten(comment.replies, depth + 1))
    return entries


def _extras(session: Session, assessment: Assessment, edition: str) -> _Extras:
    comments: tuple[CommentEntry, ...] | None = None
    if edition == "full":
        found = threads(session, assessment)
        comments = tuple(
            entry
            for roots in found.values()
            for entry in _flatten([root for root in roots if not root.resolved])
        )
    base = last_issued_revision(session, assessment, before=assessment.revision)
    shown = [[c.question_id, c.author, c.at, c.text, c.depth] for c in comments or ()]
    digest = hashlib.sha256(json.dumps({"base": base, "comments": shown}).encode())
    return _Extras(comments, base, digest.hexdigest()[:12])


def _cache_path(cache_dir: Path, assessment: Assessment, edition: str, extras: _Extras) -> Path:
    """``<cache>/<assessment uuid>/r<revision>-<template fingerprint>-<edition>-<extras>.pdf``"""
    return cache_dir / assessment.uuid / f"{_current_prefix(assessment)}{edition}-{extras.key}.pdf"


def _current_prefix(assessment: Assessment) -> str:
    return f"r{assessment.revision}-{template_fingerprint()}-"


def _prune_stale(folder: Path, assessment: Assessment, target: Path, edition: str) -> None:
    """Delete the assessment's cached reports of earlier revisions or
    templates, and those of this edition with other comments: they can never
    be served again, and they hold assessment data.  Files being written
    (dot-prefixed) are left alone."""
    keep = _current_prefix(assessment)
    same_edition = f"{keep}{edition}-"
    for path in folder.iterdir():
        if path.name.startswith("."):
            continue
        if not path.name.startswith(keep) or (
            path.name.startswith(same_edition) and path.stem != target.stem
        ):
            path.unlink(missing_ok=True)


def request_report(
    session: Session,
    bank: Bank,
    assessment: Assessment,
    renderer: ReportRenderer,
    cache_dir: Path,
    edition: str = "full",
    wait: float = 0.0,
    banks: BankSet | None = None,
) -> RenderedReport | None:
    """The ``edition`` of the report of ``assessment``, recorded as issued;
    ``None`` while it is still rendering (or, rarely, while saves follow each
    other too fast to read one revision of the assessment).

    A report already rendered for the same revision, edition and template
    fingerprint is served from ``cache_dir``.  Otherwise ``renderer`` renders
    it into the cache and this waits up to ``wait`` seconds for it; ask again
    later for a report not ready by then.  Cached files hold assessment data:
    the folder is owner-only.  Raises
    :class:`~assessment.report.pool.RenderFailed`.

    The full edition lists the unresolved comments, and both editions the
    changes since the last issued report (against the bank versions in
    ``banks``; by default only ``bank``): a report is cached for these too.
    """
    extras = _extras(session, assessment, edition)
    target = _cache_path(cache_dir, assessment, edition, extras)
    report = read_stored(target)
    if report is None:
        # a reload while the report renders joins the render without reading the answers again
        future = renderer.running(target)
        if future is None:
            if not _read_one_revision(session, assessment):
                return None  # changing under every attempt; the caller asks again shortly
            extras = _extras(session, assessment, edition)  # the revision may be newer
            target = _cache_path(cache_dir, assessment, edition, extras)
            future = renderer.running(target) or renderer.submit(
                report_job(session, bank, assessment, edition, target, banks, extras)
            )
        try:
            future.result(timeout=wait)
        except FutureTimeout:
            return None
        report = read_stored(target)
        if report is None:
            raise RenderFailed(f"the rendered report of {assessment.uuid} left the cache")
        _prune_stale(target.parent, assessment, target, edition)
    _record(session, assessment, report, edition)
    return report


def report_job(
    session: Session,
    bank: Bank,
    assessment: Assessment,
    edition: str,
    target: Path,
    banks: BankSet | None = None,
    extras: _Extras | None = None,
) -> RenderJob:
    """What a report worker needs to render the ``edition`` of the report of
    ``assessment`` (with its answers loaded) into ``target``: the document,
    the change history without comment events, the unresolved comments (full
    edition) and the changes since the last issued report (against the bank
    versions in ``banks``)."""
    extras = extras or _extras(session, assessment, edition)
    return RenderJob(
        document=to_document(assessment),
        edition=edition,
        history=_history(assessment),
        target=target,
        bank_id=bank.id,
        bank_version=bank.version,
        comments=extras.comments,
        changes=changes_for_report(session, banks or BankSet.of(bank), assessment, edition),
    )


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
        _ = (assessment.organisation, assessment.answers, [e.user for e in assessment.events])
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
        if event.action not in COMMENT_ACTIONS  # comments stay out of every report's history
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
    """Check report ``pdf``.  Raises :class:`~assessment.report.verify.NotAReport`."""
    embedded = read_embedded(pdf)
    record = session.scalar(select(ReportRevision).where(ReportRevision.sha256 == embedded.sha256))
    if record is None:
        return Verification(embedded, None, False)
    current = record.revision == record.assessment.revision
    return Verification(embedded, record.revision, current, record.edition)
