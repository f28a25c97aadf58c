"""Evidence files attached to answers.

A file is accepted only if its content is one of the kinds in
:data:`~assessment.engine.document.EVIDENCE_KINDS` (PDF, PNG, JPEG, DOCX,
XLSX, ODT, ODS), found from its first bytes and, for office documents, the
structure of the zip archive: never from its name or the browser's content
type.  Office documents with macros are refused.

Files are stored outside the web root, under the instance folder, as
``evidence/<organisation id>/<assessment uuid>/<sha256>``: folders 0700,
files 0600.  The database records the hash, the original name (sanitised for
display), the kind, the size, the uploader, the time and the question.  A
file attached to two questions of one assessment is stored once; it is
deleted from disk when its last attachment is removed.

Every change takes the assessment for writing first (see
:func:`~assessment.services.assessments.take_for_writing`), so limits and
the "last attachment" check cannot be raced, and raises the assessment's
revision: a report names the evidence of exactly the revision it shows.
The file is written (or deleted) before the request's transaction commits;
if that commit then failed, an added file would stay on disk unreferenced,
and a removed one would be listed but missing (its download says so).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from assessment.engine.document import EVIDENCE_KIND_LABELS, EVIDENCE_KINDS
from assessment.models import Assessment, AssessmentEvent, Evidence, User, utcnow
from assessment.services.assessments import AssessmentLocked, take_for_writing
from assessment.services.summaries import carry_summary

MIB = 1024 * 1024
KIND_LABELS = EVIDENCE_KIND_LABELS
ACCEPTED = "PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS"
_ODF_MIMETYPES = {
    EVIDENCE_KINDS["odt"].encode("ascii"): "odt",
    EVIDENCE_KINDS["ods"].encode("ascii"): "ods",
}


def _is_macro(name: str) -> bool:
    """A part of an office archive that holds macros (VBA; OpenDocument Basic or scripts)."""
    return name.endswith("vbaproject.bin") or name.startswith(("basic/", "scripts/"))


class EvidenceRefused(ValueError):
    """A file that cannot be attached; the message says why, for the user.
    ``status`` is the HTTP status to answer with."""

    status = 422


class UnsupportedFile(EvidenceRefused):
    """Not one of the accepted kinds, judged by its content."""


class FileTooLarge(EvidenceRefused):
    status = 413


class AssessmentFull(EvidenceRefused):
    """The assessment's evidence would exceed its total limit."""

    status = 413


class AlreadyAttached(EvidenceRefused):
    status = 409


class EvidenceNotFound(LookupError):
    """No such evidence file in this assessment."""


class EvidenceMissing(RuntimeError):
    """The stored file is gone or no longer matches its recorded hash."""


@dataclass(frozen=True, slots=True)
class EvidenceLimits:
    file_max_bytes: int
    assessment_max_bytes: int


def megabytes(size: int) -> str:
    """``size`` bytes for people: "3.2 MB", "850 KB", "120 bytes"."""
    if size >= MIB:
        return f"{size / MIB:.1f} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def sniff_kind(data: bytes) -> str | None:
    """The kind of file ``data`` holds (a key of ``EVIDENCE_KINDS``), judged
    by its content only; ``None`` for anything else."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    return None


def _office_kind(data: bytes) -> str | None:
    """An office document in a zip archive: OpenDocument by its ``mimetype``
    first entry, Office Open XML by its content-types part and main part.
    Only the archive's directory and the tiny ``mimetype`` entry are read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            if any(_is_macro(name.lower()) for name in names):
                return None
            first = entries[0] if entries else None
            if first is not None and first.filename == "mimetype":
                if first.file_size > 100:
                    return None
                return _ODF_MIMETYPES.get(archive.read(first).strip())
            if "[Content_Types].xml" not in names:
                return None
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError):
        return None
    return None


def display_name(filename: str) -> str:
    """The uploaded file's name, fit to show: the last path component, no
    control or formatting characters (such as right-to-left overrides that
    disguise an extension), white space collapsed, at most 200 characters."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split()).strip(" .")
    return name[:200] or "unnamed file"


def folder_of(root: Path, assessment: Assessment) -> Path:
    return root / str(assessment.organisation_id) / assessment.uuid


def path_of(root: Path, assessment: Assessment, sha256: str) -> Path:
    return folder_of(root, assessment) / sha256


def _private_folder(root: Path, assessment: Assessment) -> Path:
    """The assessment's evidence folder, created owner-only (0700) with the
    folders above it under ``root``."""
    folder = folder_of(root, assessment)
    for path in (root, folder.parent, folder):
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)
    return folder


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, owner-only (0600)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _event(session: Session, assessment: Assessment, user: User, action: str, detail: str) -> None:
    """A line of the change history; no file name (it may name a person)."""
    session.add(
        AssessmentEvent(
            assessment=assessment,
            user_id=user.id,
            action=action,
            detail=detail[:200],
            revision=assessment.revision,
        )
    )


def add_evidence(
    session: Session,
    root: Path,
    assessment: Assessment,
    user: User,
    question_id: str,
    filename: str,
    data: bytes,
    limits: EvidenceLimits,
) -> Evidence:
    """Attach ``data`` (uploaded as ``filename``) to the answer to
    ``question_id`` (the caller checks that the question is on the page).

    Raises :class:`AssessmentLocked` once the assessment is submitted,
    :class:`FileTooLarge`, :class:`UnsupportedFile` (also for an empty
    file), :class:`AlreadyAttached` for the same file on the same question
    and :class:`AssessmentFull` when the assessment's files would exceed
    their total limit (a file stored once counts once).
    """
    take_for_writing(session, assessment)
    if assessment.is_submitted:
        raise AssessmentLocked(assessment.uuid)
    if len(data) > limits.file_max_bytes:
        raise FileTooLarge(
            _("The file is larger than %(size)s.", size=megabytes(limits.file_max_bytes))
        )
    kind = sniff_kind(data)
    if kind is None:
        raise UnsupportedFile(
            _(
                "This file is not a %(kinds)s file (judged by its content, not its name).",
                kinds=ACCEPTED,
            )
            + (" " + _("Office documents with macros are refused.") if data[:2] == b"PK" else "")
        )
    sha256 = hashlib.sha256(data).hexdigest()
    stored = {e.sha256: e.size for e in assessment.evidence}
    if any(e.question_id == question_id and e.sha256 == sha256 for e in assessment.evidence):
        raise AlreadyAttached(_("This file is already attached to this answer."))
    total = sum(stored.values()) + (0 if sha256 in stored else len(data))
    if total > limits.assessment_max_bytes:
        raise AssessmentFull(
            _(
                "The files of this assessment would take more than %(size)s together;"
                " remove some first.",
                size=megabytes(limits.assessment_max_bytes),
            )
        )
    _write_private(_private_folder(root, assessment) / sha256, data)
    record = Evidence(
        question_id=question_id,
        sha256=sha256,
        name=display_name(filename),
        kind=kind,
        size=len(data),
        uploaded_by_id=user.id,
        uploaded_at=utcnow(),
    )
    assessment.evidence.append(record)
    assessment.revision += 1
    carry_summary(session, assessment, assessment.revision - 1)  # evidence changes no figure
    assessment.updated_at = utcnow()
    _event(session, assessment, user, "evidence added", f"{question_id}: {kind}, {sha256[:12]}")
    session.flush()
    return record


def find_evidence(assessment: Assessment, evidence_id: int) -> Evidence:
    """The evidence file ``evidence_id`` of ``assessment``; raises
    :class:`EvidenceNotFound` (also for another assessment's file)."""
    for record in assessment.evidence:
        if record.id == evidence_id:
            return record
    raise EvidenceNotFound(evidence_id)


def remove_evidence(
    session: Session, root: Path, assessment: Assessment, user: User, evidence_id: int
) -> str:
    """Detach evidence file ``evidence_id``; returns its question id.  The
    file is deleted from disk unless another answer of the assessment still
    has it.  Raises :class:`AssessmentLocked` once the assessment is
    submitted and :class:`EvidenceNotFound`."""
    take_for_writing(session, assessment)
    if assessment.is_submitted:
        raise AssessmentLocked(assessment.uuid)
    record = find_evidence(assessment, evidence_id)
    question_id, sha256 = record.question_id, record.sha256
    assessment.evidence.remove(record)
    assessment.revision += 1
    carry_summary(session, assessment, assessment.revision - 1)  # evidence changes no figure
    assessment.updated_at = utcnow()
    _event(session, assessment, user, "evidence removed", f"{question_id}: {sha256[:12]}")
    session.flush()
    if not any(e.sha256 == sha256 for e in assessment.evidence):
        path_of(root, assessment, sha256).unlink(missing_ok=True)
    return question_id


def read_evidence(root: Path, assessment: Assessment, record: Evidence) -> bytes:
    """The stored file of ``record``, checked against its recorded hash.
    Raises :class:`EvidenceMissing`."""
    try:
        data = path_of(root, assessment, record.sha256).read_bytes()
    except FileNotFoundError:
        raise EvidenceMissing(record.id) from None
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise EvidenceMissing(record.id)
    return data


def stored_files(root: Path, assessment: Assessment) -> tuple[tuple[str, str], ...]:
    """(sha256, path) of every file of the assessment, for the report
    renderer (which checks each file against its hash before embedding it)."""
    return tuple(
        (sha256, str(path_of(root, assessment, sha256)))
        for sha256 in sorted({e.sha256 for e in assessment.evidence})
    )


def by_question(assessment: Assessment) -> dict[str, list[Evidence]]:
    """The assessment's evidence records, by question id."""
    found: dict[str, list[Evidence]] = {}
    for record in assessment.evidence:
        found.setdefault(record.question_id, []).append(record)
    return found
