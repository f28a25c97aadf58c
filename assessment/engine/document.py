"""The assessment exchange document: what ``export`` writes and ``import``,
``render`` and ``score`` read.  Described for users in ``docs/exchange-format.md``.

:func:`parse_document` checks everything before anything is built, and
reports every problem at once, so an import either takes the whole file or
nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid as uuid_module
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from assessment.engine.answers import Answer, AnswerValueError, check_metadata, check_value
from assessment.engine.bank import Bank, Confidence
from assessment.engine.inputs import JsonRejected, decode_json, unstorable_character

FORMAT_NAME = "rights-impact-assessment"
FORMAT_VERSION = 1
#: The statuses of the review workflow, and "submitted", which files written
#: before the workflow existed carry (submission was final then).
STATUS_LABELS = {
    "draft": "Draft",
    "in_review": "In review",
    "approved": "Approved",
    "issued": "Issued",
    "submitted": "Submitted",
}
STATUSES = tuple(STATUS_LABELS)
#: Longest sign-off statement accepted.
STATEMENT_MAX = 2000
_MAX_PROBLEMS_SHOWN = 20
#: The kinds of evidence file an installation accepts (checked from the file's
#: content when it is uploaded) and their media types.
EVIDENCE_KINDS: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
EVIDENCE_KIND_LABELS = {
    "pdf": "PDF",
    "png": "PNG image",
    "jpeg": "JPEG image",
    "docx": "Word document",
    "xlsx": "Excel workbook",
    "odt": "OpenDocument text",
    "ods": "OpenDocument spreadsheet",
}
_SHA256_HEX = frozenset("0123456789abcdef")
_EXTENSIONS = {kind: "jpg" if kind == "jpeg" else kind for kind in EVIDENCE_KINDS}


class DocumentError(ValueError):
    """An exchange document that cannot be used; ``problems`` lists each reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:_MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        text = "; ".join(shown) + (f"; and {more} more" if more else "")
        super().__init__(f"Invalid assessment file: {text}")


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """An evidence file attached to an answer, by its SHA-256: the exchange
    document and the report carry this reference, never the file itself.

    In the public edition a file attached to an answer that is confidential
    (or not answered) is *withheld*: only the fact that it exists is kept,
    every other field is empty.
    """

    question_id: str
    name: str  # the original file name, sanitised for display
    kind: str  # a key of EVIDENCE_KINDS
    size: int  # bytes
    sha256: str  # lower-case hex

    @property
    def withheld(self) -> bool:
        return not self.sha256

    @property
    def media_type(self) -> str:
        return EVIDENCE_KINDS.get(self.kind, "application/octet-stream")

    def file_name(self) -> str:
        """A safe file name for the file: ASCII letters, digits, ``.``, ``-``
        and ``_`` from the original name, and the extension of the type found
        in its content (never the one it was uploaded with)."""
        stem = self.name.rsplit(".", 1)[0] if "." in self.name else self.name
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:80] or "evidence"
        return f"{stem}.{_EXTENSIONS.get(self.kind, 'bin')}"


@dataclass(frozen=True, slots=True)
class SignOff:
    """The approval of an assessment as the report's cover shows it: the
    approver's name and position as they were then, the date (``YYYY-MM-DD``)
    and their statement."""

    name: str
    position: str
    date: str
    statement: str


@dataclass(frozen=True, slots=True)
class AssessmentDocument:
    """An assessment as plain values, independent of any database."""

    uuid: str
    title: str
    programme: str
    organisation: str
    status: str
    bank_id: str
    bank_version: str
    language: str
    created_at: str
    updated_at: str
    submitted_at: str | None
    revision: int
    answers: tuple[Answer, ...]
    evidence: tuple[EvidenceRef, ...] = ()
    sign_off: SignOff | None = None  # approved or issued assessments only

    def answer_values(self) -> dict[str, Any]:
        """question id -> value, the input of progress and scoring."""
        return {a.question_id: a.value for a in self.answers}

    def answers_by_question(self) -> dict[str, Answer]:
        return {a.question_id: a for a in self.answers}

    def confidences(self) -> dict[str, Confidence | None]:
        """question id -> the assessor's confidence, the scoring's second input."""
        return {a.question_id: a.confidence for a in self.answers}


def to_data(document: AssessmentDocument) -> dict[str, Any]:
    """The JSON-ready mapping of ``document`` (answers in question-id order).
    ``assessment.sign_off`` is written only when there is one, so a document
    without it gives the same bytes as before sign-off existed."""
    data: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "bank": {"id": document.bank_id, "version": document.bank_version},
        "assessment": {
            "uuid": document.uuid,
            "title": document.title,
            "programme": document.programme,
            "organisation": document.organisation,
            "status": document.status,
            "language": document.language,
            "created_at": document.created_at,
            "updated_at": document.updated_at,
            "submitted_at": document.submitted_at,
            "revision": document.revision,
        },
        "answers": [
            {
                "question": a.question_id,
                "value": a.value,
                "note": a.note,
                "source": a.source,
                "confidence": a.confidence.value if a.confidence else None,
                "confidential": a.confidential,
            }
            for a in sorted(document.answers, key=lambda a: a.question_id)
        ],
        # only when there is some, so documents without evidence keep their bytes and hashes
        **(
            {"evidence": [_evidence_data(e) for e in sorted(document.evidence, key=evidence_order)]}
            if document.evidence
            else {}
        ),
    }
    if document.sign_off is not None:
        sign_off = document.sign_off
        data["assessment"]["sign_off"] = {
            "name": sign_off.name,
            "position": sign_off.position,
            "date": sign_off.date,
            "statement": sign_off.statement,
        }
    return data


def _evidence_data(evidence: EvidenceRef) -> dict[str, Any]:
    return {
        "question": evidence.question_id,
        "name": evidence.name,
        "type": evidence.kind,
        "size": evidence.size,
        "sha256": evidence.sha256,
    }


def evidence_order(evidence: EvidenceRef) -> tuple[str, str, str]:
    """The order evidence is listed in: by question, then name, then hash."""
    return (evidence.question_id, evidence.name, evidence.sha256)


def _parse_evidence(problems: list[str], raw_list: Any, bank: Bank) -> tuple[EvidenceRef, ...]:
    """The optional ``evidence`` list: references to files by their hash."""
    if raw_list is None:
        return ()
    if not isinstance(raw_list, list):
        problems.append("'evidence' must be a list")
        return ()
    found: list[EvidenceRef] = []
    for index, raw in enumerate(raw_list):
        where = f"evidence[{index}]"
        if not isinstance(raw, Mapping):
            problems.append(f"{where} must be an object")
            continue
        question_id = raw.get("question")
        if not isinstance(question_id, str) or not bank.has_question(question_id):
            problems.append(f"{where}: unknown question id {question_id!r}")
            continue
        name = _text(problems, where, raw, "name", 200)
        kind, size, sha256 = raw.get("type", ""), raw.get("size", 0), raw.get("sha256", "")
        withheld = not sha256 and not name and not kind and size == 0
        if not withheld:
            if kind not in EVIDENCE_KINDS:
                problems.append(f"{where}.type must be one of {', '.join(EVIDENCE_KINDS)}")
                continue
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                problems.append(f"{where}.size must be a whole number of bytes")
                continue
            if not isinstance(sha256, str) or len(sha256) != 64 or set(sha256) - _SHA256_HEX:
                problems.append(f"{where}.sha256 must be 64 lower-case hexadecimal digits")
                continue
        found.append(EvidenceRef(question_id, name, str(kind), int(size), str(sha256)))
    return tuple(sorted(found, key=evidence_order))


def canonical_json(document: AssessmentDocument) -> bytes:
    """UTF-8 JSON with sorted keys and no insignificant white space: the same
    assessment always gives the same bytes, so the bytes can be hashed."""
    return json.dumps(
        to_data(document), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def _text(problems: list[str], where: str, data: Mapping[str, Any], key: str, limit: int) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(f"{where}.{key} must be text")
        return ""
    if len(value) > limit:
        problems.append(f"{where}.{key} is longer than {limit} characters")
    found = unstorable_character(value)
    if found is not None:
        problems.append(f"{where}.{key} contains a character that cannot be stored: {found}")
    return value


def _timestamp(
    problems: list[str], where: str, value: Any, *, optional: bool = False
) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        problems.append(f"{where} must be an ISO 8601 date-time")
        return None
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        problems.append(f"{where} is not an ISO 8601 date-time: {value!r}")
        return None
    return value


def parse_document(data: Any, bank: Bank) -> AssessmentDocument:
    """Validate exchange ``data`` (already JSON-decoded) against ``bank``.

    Raises :class:`DocumentError` listing every problem: wrong format or
    version, an unknown bank id or version, unknown question ids, values of
    the wrong type, bad metadata.
    """
    if not isinstance(data, Mapping):
        raise DocumentError(["the file must hold a JSON object"])
    if data.get("format") != FORMAT_NAME:
        raise DocumentError([f"'format' must be {FORMAT_NAME!r}"])
    if data.get("format_version") != FORMAT_VERSION:
        raise DocumentError(
            [
                f"unsupported format_version {data.get('format_version')!r} "
                f"(expected {FORMAT_VERSION})"
            ]
        )
    problems: list[str] = []
    bank_ref = data.get("bank")
    if not isinstance(bank_ref, Mapping):
        raise DocumentError(["'bank' must be an object with 'id' and 'version'"])
    if bank_ref.get("id") != bank.id:
        raise DocumentError(
            [f"unknown question bank {bank_ref.get('id')!r} (this installation has {bank.id!r})"]
        )
    if bank_ref.get("version") != bank.version:
        raise DocumentError(
            [
                f"unknown bank version {bank_ref.get('version')!r} of {bank.id} "
                f"(this installation has version {bank.version})"
            ]
        )
    meta = data.get("assessment")
    if not isinstance(meta, Mapping):
        raise DocumentError(["'assessment' must be an object"])
    title = _text(problems, "assessment", meta, "title", 200).strip()
    if not title:
        problems.append("assessment.title is required")
    programme = _text(problems, "assessment", meta, "programme", 200)
    organisation = _text(problems, "assessment", meta, "organisation", 200)
    uuid_value = meta.get("uuid")
    try:
        uuid_text = str(uuid_module.UUID(str(uuid_value)))
    except ValueError:
        problems.append(f"assessment.uuid is not a UUID: {uuid_value!r}")
        uuid_text = ""
    status = meta.get("status")
    if status not in STATUSES:
        problems.append(f"assessment.status must be one of {', '.join(STATUSES)}")
    language = meta.get("language", "en")
    if language not in bank.languages:
        problems.append(f"assessment.language {language!r} is not one of the bank's languages")
    created = _timestamp(problems, "assessment.created_at", meta.get("created_at"))
    updated = _timestamp(problems, "assessment.updated_at", meta.get("updated_at"))
    submitted = _timestamp(
        problems, "assessment.submitted_at", meta.get("submitted_at"), optional=True
    )
    revision = meta.get("revision", 0)
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        problems.append("assessment.revision must be a whole number >= 0")
        revision = 0
    sign_off = _sign_off(problems, meta.get("sign_off"))

    raw_answers = data.get("answers")
    if not isinstance(raw_answers, list):
        raise DocumentError([*problems, "'answers' must be a list"])
    answers: list[Answer] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_answers):
        where = f"answers[{index}]"
        if not isinstance(raw, Mapping):
            problems.append(f"{where} must be an object")
            continue
        question_id = raw.get("question")
        if not isinstance(question_id, str) or not bank.has_question(question_id):
            problems.append(f"{where}: unknown question id {question_id!r}")
            continue
        where = f"{where} ({question_id})"
        if question_id in seen:
            problems.append(f"{where}: answered twice")
            continue
        seen.add(question_id)
        try:
            value = check_value(bank.question(question_id), raw.get("value"))
            note, source, confidence = check_metadata(
                raw.get("note") or "", raw.get("source") or "", raw.get("confidence")
            )
        except AnswerValueError as error:
            problems.append(f"{where}: {error}")
            continue
        confidential = raw.get("confidential", False)
        if not isinstance(confidential, bool):
            problems.append(f"{where}: confidential must be true or false")
            continue
        answers.append(Answer(question_id, value, note, source, confidence, confidential))
    evidence = _parse_evidence(problems, data.get("evidence"), bank)
    if problems:
        raise DocumentError(problems)
    return AssessmentDocument(
        uuid=uuid_text,
        title=title,
        programme=programme,
        organisation=organisation,
        status=str(status),
        bank_id=bank.id,
        bank_version=bank.version,
        language=str(language),
        created_at=created or "",
        updated_at=updated or "",
        submitted_at=submitted,
        revision=revision,
        answers=tuple(answers),
        evidence=evidence,
        sign_off=sign_off,
    )


def _sign_off(problems: list[str], raw: Any) -> SignOff | None:
    if raw is None:
        return None
    where = "assessment.sign_off"
    if not isinstance(raw, Mapping):
        problems.append(f"{where} must be an object")
        return None
    name = _text(problems, where, raw, "name", 200)
    position = _text(problems, where, raw, "position", 200)
    statement = _text(problems, where, raw, "statement", STATEMENT_MAX)
    date = raw.get("date")
    try:
        dt.date.fromisoformat(date if isinstance(date, str) else "")
    except ValueError:
        problems.append(f"{where}.date must be a date (YYYY-MM-DD)")
        return None
    if not name.strip():
        problems.append(f"{where}.name is required")
    return SignOff(name=name, position=position, date=str(date), statement=statement)


def decode_document(text: str | bytes) -> Any:
    """Decode the JSON of an exchange document, within the limits of
    :func:`~assessment.engine.inputs.decode_json` (size and nesting).

    Raises :class:`DocumentError` for text that is not JSON or passes a limit.
    """
    try:
        return decode_json(text)
    except JsonRejected as error:
        raise DocumentError([str(error)]) from None


def load_document(text: str | bytes, bank: Bank) -> AssessmentDocument:
    """Decode JSON ``text`` (:func:`decode_document`) and :func:`parse_document` it.

    Raises :class:`DocumentError` also for text that is not JSON, too large or
    nested too deeply.
    """
    return parse_document(decode_document(text), bank)


EDITIONS = ("full", "public")


def public_edition(document: AssessmentDocument) -> AssessmentDocument:
    """``document`` without the note and source of every answer marked
    confidential.  Values stay: they are the findings; the note and source
    are what could expose a person or a source.

    Evidence files attached to such an answer (or to a question not
    answered) are withheld the same way: the public edition says that a file
    exists, but neither its name, type, size nor hash (a hash lets anyone who
    holds a document confirm that the assessor has it)."""
    open_questions = {a.question_id for a in document.answers if not a.confidential}
    return replace(
        document,
        answers=tuple(
            replace(answer, note="", source="") if answer.confidential else answer
            for answer in document.answers
        ),
        evidence=tuple(
            e if e.question_id in open_questions else withheld_evidence(e.question_id)
            for e in document.evidence
        ),
    )


def withheld_evidence(question_id: str) -> EvidenceRef:
    """The public edition's stand-in for a confidential evidence file."""
    return EvidenceRef(question_id, "", "", 0, "")


def withheld_count(document: AssessmentDocument) -> int:
    """How many answers have a confidential note or source."""
    return sum(1 for a in document.answers if a.confidential and (a.note or a.source))
