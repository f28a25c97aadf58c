"""Issuing and verifying reports.

Every report the tool hands out is signed with the installation's key
(:mod:`assessment.report.signing`), and recorded twice: the SHA-256 of its
embedded data with the assessment's revision (``report_revisions``), and the
SHA-256 of the whole signed file with its assessment, revision, edition,
time and signer (``report_issues``).  :func:`verify_report` checks a file
against both records and its signature, and gives one of four
:class:`Outcome` s.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.config import PROJECT_ROOT, Config
from assessment.db import insert_unless_taken
from assessment.engine.bank import Bank
from assessment.engine.banks import BankSet
from assessment.engine.document import EDITIONS, AssessmentDocument
from assessment.models import Assessment, ReportIssue, ReportRevision, as_utc, utcnow
from assessment.report.context import CommentEntry, HistoryEntry
from assessment.report.pool import (
    Pending,
    Renderer,
    RenderFailed,
    RenderJob,
    is_temporary,
    read_stored,
    remove_quietly,
)
from assessment.report.render import RenderedReport
from assessment.report.signing import (
    CertificateInfo,
    SignatureFinding,
    SigningFiles,
    certificate_info,
    ensure_installation_key,
    find_signature,
)
from assessment.report.verify import NO_DATA, EmbeddedData, NotAReport, read_report
from assessment.services.assessments import to_document
from assessment.services.comments import COMMENT_ACTIONS, ShownComment, threads
from assessment.services.evidence import stored_files
from assessment.services.history import changes_for_report, last_issued_revision

REPORT_SOURCES = (
    PROJECT_ROOT / "templates" / "report" / "report.html",
    PROJECT_ROOT / "static" / "css" / "report.css",
    PROJECT_ROOT / "assessment" / "report" / "context.py",
    PROJECT_ROOT / "assessment" / "report" / "changes.py",
    PROJECT_ROOT / "assessment" / "report" / "render.py",
    PROJECT_ROOT / "assessment" / "report" / "signing.py",
    PROJECT_ROOT / "assessment" / "engine" / "scoring.py",
    PROJECT_ROOT / "assessment" / "engine" / "conditions.py",
    PROJECT_ROOT / "assessment" / "engine" / "display.py",
    PROJECT_ROOT / "assessment" / "report" / "i18n.py",
    *sorted((PROJECT_ROOT / "assessment" / "translations").glob("*/LC_MESSAGES/report.po")),
)
READ_ATTEMPTS = 3
ORPHAN_SECONDS = 600  # a temporary or a lone hash this old is left from a failed write
IDLE_WINDOW_DAYS = 30  # `render-idle` looks at assessments changed this recently
VIA_DOWNLOAD = "download"
VIA_SHARE_LINK = "share link"
VIA_COMMAND_LINE = "command line"


def signing_files(config: Config) -> SigningFiles:
    """The key and certificate reports are signed with: the organisation's
    own when configured, else the installation's, made now if missing.
    Raises :class:`~assessment.report.signing.SigningError`."""
    if config.signing_key_file is not None and config.signing_cert_file is not None:
        return SigningFiles(
            key=config.signing_key_file,
            certificate=config.signing_cert_file,
            chain=config.signing_chain_file,
            passphrase=config.signing_key_passphrase,
        )
    return ensure_installation_key(config.signing_folder, config.signer_name)


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


def _cache_path(
    cache_dir: Path,
    assessment: Assessment,
    edition: str,
    certificate: CertificateInfo,
    extras: _Extras,
) -> Path:
    """``<cache>/<assessment uuid>/r<revision>-<template fingerprint>-<signer>-<edition>-<extras>.pdf``
    (``<signer>``: the start of the signing certificate's fingerprint;
    ``<extras>``: see :class:`_Extras`)."""  # noqa: E501
    prefix = _current_prefix(assessment, certificate)
    return cache_dir / assessment.uuid / f"{prefix}{edition}-{extras.key}.pdf"


def _current_prefix(assessment: Assessment, certificate: CertificateInfo) -> str:
    return f"r{assessment.revision}-{template_fingerprint()}-{certificate.sha256[:12]}-"


def _prune_stale(
    folder: Path, assessment: Assessment, certificate: CertificateInfo, target: Path, edition: str
) -> None:
    """Clean the assessment's folder of the report cache (best effort: a
    read-only cache is left as it is).  Deleted: reports of earlier revisions,
    templates or signing certificates, and those of this edition with other
    comments or another base report, which can never be served again and hold
    assessment data;
    temporaries of a write that was interrupted (a crash, a killed worker);
    and a hash or PDF whose partner is missing.  A temporary or a lone file
    younger than :data:`ORPHAN_SECONDS` may be a write still in progress and
    is left alone."""
    keep = _current_prefix(assessment, certificate)
    same_edition = f"{keep}{edition}-"
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
        elif not path.name.startswith(keep) or (
            path.name.startswith(same_edition) and path.stem != target.stem
        ):
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
    renderer: Renderer,
    cache_dir: Path,
    signing: SigningFiles,
    edition: str = "full",
    wait: float = 0.0,
    evidence_dir: Path | None = None,
    embed_limit: int = 0,
    via: str = VIA_DOWNLOAD,
    banks: BankSet | None = None,
    issue: bool = True,
    started: float | None = None,
) -> RenderedReport | None:
    """The ``edition`` of the report of ``assessment``, signed with
    ``signing`` and recorded as issued (``via``: how it is handed out;
    not recorded with ``issue=False``, to ask only whether it is ready);
    ``None`` while it is still rendering (or, rarely, while saves follow each
    other too fast to read one revision of the assessment).

    A report already rendered for the same revision, edition, template
    fingerprint and signing certificate is served from ``cache_dir``, the
    same signed bytes every time.  Otherwise ``renderer`` renders and signs
    it into the cache and this waits for it until ``wait`` seconds after
    ``started`` (a ``time.monotonic()`` reading; by default when this was
    called), so that reading the assessment for the render, and what the
    request did before, count: a request thread is held for a render no
    longer than that.  Ask again later for a report not ready by then.
    Cached files hold assessment data: the folder is owner-only.  The full
    edition embeds the evidence files stored under ``evidence_dir`` when
    together they take at most ``embed_limit`` bytes.  Raises
    :class:`~assessment.report.pool.RenderFailed` and
    :class:`~assessment.report.signing.SigningError`.

    The full edition lists the unresolved comments, and both editions the
    changes since the last issued report (against the bank versions in
    ``banks``; by default only ``bank``): a report is cached for these too.
    """
    deadline = (time.monotonic() if started is None else started) + wait
    certificate = certificate_info(signing)
    extras = _extras(session, assessment, edition)
    target = _cache_path(cache_dir, assessment, edition, certificate, extras)
    report = read_stored(target)
    if report is None:
        # a reload while the report renders joins the render without reading the answers again
        future = renderer.running(target)
        if future is None:
            job = _job_at_one_revision(
                session, bank, assessment, edition, cache_dir, certificate, signing,
                banks=banks, evidence_dir=evidence_dir, embed_limit=embed_limit,
            )  # fmt: skip
            if job is None:
                return None  # changing under every attempt; the caller asks again shortly
            target = job.target  # named after the revision read, which may be newer
            future = renderer.running(target) or renderer.submit(job)
        try:
            future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            return None
        except RenderFailed:
            _prune_stale(target.parent, assessment, certificate, target, edition)
            raise
        report = read_stored(target)
        if report is None:
            raise RenderFailed(f"the rendered report of {assessment.uuid} left the cache")
        _prune_stale(target.parent, assessment, certificate, target, edition)
    if not issue:
        return report
    _record(session, assessment, report, edition)
    record_issue(session, assessment.uuid, assessment.revision, report, edition, certificate, via)
    return report


def prepare_reports(
    session: Session,
    bank: Bank,
    assessment: Assessment,
    renderer: Renderer,
    cache_dir: Path,
    signing: SigningFiles,
    evidence_dir: Path | None = None,
    embed_limit: int = 0,
    banks: BankSet | None = None,
) -> list[tuple[str, Pending]]:
    """Hand both editions of the report of ``assessment`` (as committed) to
    ``renderer`` without waiting, unless they are in ``cache_dir`` already or
    being rendered, so that a download later finds them ready; returns the
    editions handed over, each with its render.  Nothing is recorded as issued: that happens when
    a report is handed out (:func:`request_report`).  Raises what
    :func:`request_report` raises, and the renderer's own errors (Redis
    unreachable)."""
    certificate = certificate_info(signing)
    queued: list[tuple[str, Pending]] = []
    for edition in EDITIONS:
        extras = _extras(session, assessment, edition)
        target = _cache_path(cache_dir, assessment, edition, certificate, extras)
        if target.exists() or renderer.running(target) is not None:
            continue
        job = _job_at_one_revision(
            session, bank, assessment, edition, cache_dir, certificate, signing,
            banks=banks, evidence_dir=evidence_dir, embed_limit=embed_limit,
        )  # fmt: skip
        if job is None:
            break  # changing under every attempt: whoever changes it asks again
        queued.append((edition, renderer.submit(job)))
    return queued


def _job_at_one_revision(
    session: Session,
    bank: Bank,
    assessment: Assessment,
    edition: str,
    cache_dir: Path,
    certificate: CertificateInfo,
    signing: SigningFiles,
    *,
    banks: BankSet | None,
    evidence_dir: Path | None,
    embed_limit: int,
) -> RenderJob | None:
    """The render job of ``edition``, its answers, comments and target all
    read at one revision of ``assessment`` (the latest), or ``None`` when the
    assessment changed under every attempt to read it."""
    if not _read_one_revision(session, assessment):
        return None
    extras = _extras(session, assessment, edition)
    target = _cache_path(cache_dir, assessment, edition, certificate, extras)
    return report_job(
        session,
        bank,
        assessment,
        edition,
        target,
        banks,
        extras,
        evidence_dir=evidence_dir,
        embed_limit=embed_limit,
        signing=signing,
    )


def idle_assessments(
    session: Session, idle_minutes: float, now: dt.datetime | None = None
) -> list[Assessment]:
    """Assessments unchanged for at least ``idle_minutes`` and changed within
    the last :data:`IDLE_WINDOW_DAYS` days (so that a new template does not
    make the sweep render a whole archive), oldest change first."""
    now = now or utcnow()
    latest = now - dt.timedelta(minutes=idle_minutes)
    earliest = now - dt.timedelta(days=IDLE_WINDOW_DAYS)
    return list(
        session.scalars(
            select(Assessment)
            .where(Assessment.updated_at <= latest, Assessment.updated_at >= earliest)
            .order_by(Assessment.updated_at, Assessment.id)
        )
    )


def report_job(
    session: Session,
    bank: Bank,
    assessment: Assessment,
    edition: str,
    target: Path,
    banks: BankSet | None = None,
    extras: _Extras | None = None,
    evidence_dir: Path | None = None,
    embed_limit: int = 0,
    signing: SigningFiles | None = None,
) -> RenderJob:
    """What a report worker needs to render the ``edition`` of the report of
    ``assessment`` (with its answers loaded) into ``target``: the document,
    the change history without comment events, the unresolved comments (full
    edition) and the changes since the last issued report (against the bank
    versions in ``banks``), the evidence files stored under ``evidence_dir``
    (embedded in the full edition within ``embed_limit`` bytes) and the key
    to sign with."""
    extras = extras or _extras(session, assessment, edition)
    return RenderJob(
        document=to_document(assessment),
        edition=edition,
        history=_history(assessment),
        target=target,
        bank_id=bank.id,
        bank_version=bank.version,
        evidence_files=stored_files(evidence_dir, assessment) if evidence_dir is not None else (),
        embed_limit=embed_limit,
        signing=signing,
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
            action=event.action,
            revision=event.revision,
            section_id=event.section_id,
            answer_count=event.answer_count,
        )
        for event in assessment.events
        if event.action not in COMMENT_ACTIONS  # comments stay out of every report's history
    )


def _record(session: Session, assessment: Assessment, report: RenderedReport, edition: str) -> None:
    """Remember that ``report``'s data were issued; once, also when two
    requests serve the same report at the same moment (the second insert is
    skipped instead of failing on the unique fingerprint)."""
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


def record_issue(
    session: Session,
    assessment_uuid: str,
    revision: int,
    report: RenderedReport,
    edition: str,
    certificate: CertificateInfo,
    via: str,
) -> None:
    """Remember that the signed file ``report`` was handed out: the SHA-256
    of the whole file, with its assessment (linked when it is held here),
    revision, edition, signer and the first time it was handed out.  Once per
    file, also when two requests hand out the same file at the same moment."""
    file_sha256 = report.file_sha256
    known = session.scalar(select(ReportIssue.id).where(ReportIssue.file_sha256 == file_sha256))
    if known is not None:
        return
    assessment_id = session.scalar(select(Assessment.id).where(Assessment.uuid == assessment_uuid))
    insert_unless_taken(
        session,
        ReportIssue,
        ReportIssue.file_sha256,
        assessment_id=assessment_id,
        assessment_uuid=assessment_uuid,
        revision=revision,
        edition=edition,
        file_sha256=file_sha256,
        data_sha256=report.sha256,
        issued_at=utcnow(),
        issued_via=via,
        signer=certificate.subject[:300],
        certificate_sha256=certificate.sha256,
    )


def record_rendered_file(
    session: Session,
    document: AssessmentDocument,
    report: RenderedReport,
    edition: str,
    certificate: CertificateInfo,
) -> None:
    """Record a report signed on the command line (``flask render``) as issued."""
    record_issue(
        session, document.uuid, document.revision, report, edition, certificate, VIA_COMMAND_LINE
    )


class Outcome(enum.Enum):
    """What verifying a file found, from best to worst.  Each has its own
    headline, colour and ``flask verify`` exit code."""

    ISSUED = "issued"  # this exact file was issued here
    CHANGED = "changed"  # the data are intact, the file was changed after signing
    ALTERED = "altered"  # the assessment data were altered
    UNKNOWN = "unknown"  # not a report of this tool, or not one issued here

    @property
    def exit_code(self) -> int:
        """``flask verify``'s exit code; 1 and 2 are click's own (cannot read
        the file, wrong usage)."""
        return _EXIT_CODES[self]

    @property
    def headline(self) -> str:
        return str(_HEADLINES[self])


_EXIT_CODES = {Outcome.ISSUED: 0, Outcome.CHANGED: 3, Outcome.ALTERED: 4, Outcome.UNKNOWN: 5}
_HEADLINES = {
    Outcome.ISSUED: _l("Genuine: this exact file was issued here"),
    Outcome.CHANGED: _l(
        "Changed after signing: the data are intact, but the file is not as issued"
    ),
    Outcome.ALTERED: _l("Altered: the assessment data in this file were changed"),
    Outcome.UNKNOWN: _l("Not a report issued by this tool here"),
}


@dataclass(frozen=True, slots=True)
class IssueFacts:
    """What the installation recorded when it handed the file (or its data) out."""

    issued_at: dt.datetime
    revision: int
    edition: str
    signer: str | None
    via: str | None
    current: bool | None  # the revision is the assessment's latest (None: not held here)


@dataclass(frozen=True, slots=True)
class Verification:
    """What a verification found: an :class:`Outcome` and the facts behind it.
    ``issue``: the record of this exact file (or, for a changed file, of its
    data); ``reason``: why a file is not recognised."""

    outcome: Outcome
    file_sha256: str
    embedded: EmbeddedData | None = None
    signature: SignatureFinding | None = None
    issue: IssueFacts | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        """Whether the embedded data are what the report says they are."""
        return self.embedded is not None and self.embedded.intact

    @property
    def headline(self) -> str:
        return self.outcome.headline

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code

    def summary(self) -> list[str]:
        """Plain sentences for people, one finding each."""
        lines = [str(_OUTCOME_LINES[self.outcome])]
        if self.reason:
            lines.append(self.reason)
        if self.issue is not None:
            lines.append(self._issue_line(self.issue))
        signature = self.signature
        if signature is not None and signature.ours:
            signer = signature.signer or _("this installation")
            if signature.valid:
                line = _(
                    "The signature of %(signer)s is valid and covers the whole file.", signer=signer
                )
            elif not signature.readable:
                line = _(
                    "The signature of %(signer)s cannot be read: it was damaged.", signer=signer
                )
            elif not signature.intact:
                line = _(
                    "The signature of %(signer)s is broken: bytes it covers were changed.",
                    signer=signer,
                )
            else:
                line = _(
                    "The signature of %(signer)s covers an earlier version of the file only:"
                    " content was added after signing, and PDF readers say so.",
                    signer=signer,
                )
            lines.append(str(line))
        elif self.outcome is not Outcome.UNKNOWN:
            lines.append(str(_("The file carries no signature of this installation.")))
        return lines

    def _issue_line(self, issue: IssueFacts) -> str:
        when = as_utc(issue.issued_at).strftime("%Y-%m-%d %H:%M UTC")
        if issue.current is None:
            state = _("an assessment not held here")
        elif issue.current:
            state = _("the assessment's current revision")
        else:
            state = _("the assessment has changed since")
        via = f" {_VIA_PHRASES.get(issue.via, issue.via)}" if issue.via else ""
        signer = ", " + _("signed by %(signer)s", signer=issue.signer) if issue.signer else ""
        edition = _EDITION_NAMES.get(issue.edition, issue.edition)
        facts = {
            "via": via,
            "when": when,
            "edition": edition,
            "revision": issue.revision,
            "state": state,
            "signer": signer,
        }
        if self.outcome is Outcome.ISSUED:
            line = _(
                "It was issued%(via)s on %(when)s: the %(edition)s edition of revision"
                " %(revision)s (%(state)s)%(signer)s.",
                **facts,
            )
        else:
            line = _(
                "Its data were issued%(via)s on %(when)s: the %(edition)s edition of revision"
                " %(revision)s (%(state)s)%(signer)s.",
                **facts,
            )
        return str(line)


_VIA_PHRASES = {
    VIA_DOWNLOAD: _l("as a download"),
    VIA_SHARE_LINK: _l("through a share link"),
    VIA_COMMAND_LINE: _l("on the command line"),
}
_EDITION_NAMES = {"full": _l("full"), "public": _l("public")}

_OUTCOME_LINES = {
    Outcome.ISSUED: _l("This file is byte for byte a report this installation issued."),
    Outcome.CHANGED: _l(
        "The embedded assessment data are intact and were issued here, but the file is not "
        "one this installation issued: it was changed after signing, so its visible pages "
        "may differ from the issued report. Ask the issuer for the original."
    ),
    Outcome.ALTERED: _l(
        "The assessment data embedded in this file are not the data this installation "
        "issued: they were changed, replaced or removed. Do not rely on this file."
    ),
    Outcome.UNKNOWN: _l("This installation cannot vouch for this file."),
}


def known_certificates(session: Session, current: CertificateInfo | None) -> frozenset[str]:
    """Fingerprints of every certificate this installation signs or signed with."""
    recorded = session.scalars(select(ReportIssue.certificate_sha256).distinct())
    return frozenset([*recorded, *([current.sha256] if current else [])])


def verify_report(
    session: Session, pdf: bytes, certificate: CertificateInfo | None = None
) -> Verification:
    """Check file ``pdf`` against what this installation issued and against
    its signature (made with ``certificate``, the installation's current
    one, or a certificate it signed earlier reports with).

    - :attr:`Outcome.ISSUED`: the SHA-256 of the whole file was recorded when
      it was handed out (or, without a record, the installation's signature is
      valid and covers the whole file);
    - :attr:`Outcome.CHANGED`: the embedded data are intact and were issued
      here, but the file is not one that was handed out;
    - :attr:`Outcome.ALTERED`: the embedded data do not match the report's
      fingerprint, or the file carries the installation's signature but data
      it never issued (or none);
    - :attr:`Outcome.UNKNOWN`: not a PDF, a PDF without assessment data, or
      data neither issued nor signed here.

    Raises :class:`~assessment.report.verify.NotAReport` for a PDF that cannot
    be read within the bounds of :func:`~assessment.report.verify.read_report`
    and :class:`~assessment.report.verify.ReadingBusy` when no reading slot is free.
    """
    file_sha256 = hashlib.sha256(pdf).hexdigest()
    if not pdf.startswith(b"%PDF-"):
        return Verification(Outcome.UNKNOWN, file_sha256, reason=_("This is not a PDF file."))
    # Read within the bounds of read_report first (a child process, before the
    # database or the signature parser sees the file); a file that cannot be
    # read within them raises NotAReport for the caller, except a readable PDF
    # that merely carries no assessment data.
    reason = ""
    try:
        embedded: EmbeddedData | None = read_report(pdf)
    except NotAReport as error:
        if str(error) != NO_DATA:
            raise
        embedded = None
        reason = str(error)
    signature = find_signature(pdf, known_certificates(session, certificate))
    issued = session.scalar(select(ReportIssue).where(ReportIssue.file_sha256 == file_sha256))
    if issued is not None:
        return Verification(Outcome.ISSUED, file_sha256, embedded, signature, _facts(issued))
    if signature.valid:  # signed here and untouched, but not recorded
        return Verification(
            Outcome.ISSUED,
            file_sha256,
            embedded,
            signature,
            reason=_(
                "This installation has no record of handing it out (was its database restored "
                "from an older backup?); its signature vouches for it."
            ),
        )
    if embedded is None:
        if signature.ours:
            return Verification(
                Outcome.ALTERED,
                file_sha256,
                None,
                signature,
                reason=_("The file was signed here, but its assessment data were removed."),
            )
        return Verification(Outcome.UNKNOWN, file_sha256, None, signature, reason=reason)
    if not embedded.intact:
        return Verification(
            Outcome.ALTERED,
            file_sha256,
            embedded,
            signature,
            reason=_("The embedded data do not match the fingerprint printed in the report."),
        )
    facts = _data_facts(session, embedded.sha256)
    if facts is not None:
        return Verification(Outcome.CHANGED, file_sha256, embedded, signature, facts)
    if signature.ours:
        return Verification(
            Outcome.ALTERED,
            file_sha256,
            embedded,
            signature,
            reason=_(
                "The file was signed here, but this installation never issued the data it "
                "now carries."
            ),
        )
    return Verification(
        Outcome.UNKNOWN,
        file_sha256,
        embedded,
        signature,
        reason=_(
            "Its embedded data are consistent, but this installation never issued a report "
            "with them and the file carries no signature of this installation (it may come "
            "from another installation)."
        ),
    )


def _facts(issue: ReportIssue) -> IssueFacts:
    current = None if issue.assessment is None else issue.revision == issue.assessment.revision
    return IssueFacts(
        issued_at=issue.issued_at,
        revision=issue.revision,
        edition=issue.edition,
        signer=issue.signer,
        via=issue.issued_via,
        current=current,
    )


def _data_facts(session: Session, data_sha256: str) -> IssueFacts | None:
    """The first record of a report with these embedded data, if any."""
    issue = session.scalars(
        select(ReportIssue).where(ReportIssue.data_sha256 == data_sha256).order_by(ReportIssue.id)
    ).first()
    if issue is not None:
        return _facts(issue)
    record = session.scalar(select(ReportRevision).where(ReportRevision.sha256 == data_sha256))
    if record is None:
        return None
    return IssueFacts(
        issued_at=record.created_at,
        revision=record.revision,
        edition=record.edition,
        signer=None,
        via=None,
        current=record.revision == record.assessment.revision,
    )
