"""Evidence files: type judged by content, size limits, owner-only storage,
who may upload, download and remove, the download's headers, and the
report's listing (HTML) and embedding (one real PDF)."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from assessment.config import MIB, Config, ConfigError
from assessment.db import transaction
from assessment.engine.document import canonical_json, load_document, public_edition
from assessment.models import (
    AnswerRecord,
    Assessment,
    Evidence,
    Role,
    Status,
    User,
    utcnow,
)
from assessment.report.context import build_report_context
from assessment.report.render import EMBEDDED_NAME, plan_evidence, render_html
from assessment.services.accounts import add_user
from assessment.services.assessments import to_document
from assessment.services.evidence import display_name, sniff_kind
from tests.conftest import TEST_PASSWORD, Browser
from tests.helpers import BANK, BANKS

SECTION = "scoping.programme"
QUESTION = "scope.programme_types"  # answered when the assessment is started
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode"
)
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=method)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
ODS = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})
DOCM = _zip(
    {
        "[Content_Types].xml": b"<Types/>",
        "word/document.xml": b"<w:document/>",
        "word/vbaProject.bin": b"macro",
    }
)


def test_the_kind_is_judged_from_the_content_only() -> None:
    assert [sniff_kind(d) for d in (PDF, PNG, JPEG, DOCX, XLSX, ODT, ODS)] == [
        "pdf",
        "png",
        "jpeg",
        "docx",
        "xlsx",
        "odt",
        "ods",
    ]
    refused = [EXECUTABLE, HTML, DOCM, b"", b"PK\x03\x04broken", _zip({"a.txt": b"x"})]
    assert [sniff_kind(d) for d in refused] == [None] * len(refused)
    # an OpenDocument whose mimetype entry is not first, or claims something else
    assert sniff_kind(_zip({"content.xml": b"<x/>", "mimetype": b"x"})) is None
    assert sniff_kind(_zip({"mimetype": b"text/html"})) is None


def test_display_names_are_sanitised() -> None:
    assert display_name("C:\\Users\\ana\\report.pdf") == "report.pdf"
    assert display_name("../../etc/passwd") == "passwd"
    assert display_name("invoice\u202efdp.exe") == "invoicefdp.exe"  # no right-to-left override
    assert display_name("a\x00b\nc.pdf") == "abc.pdf"
    assert display_name("...") == "unnamed file"
    assert len(display_name("x" * 500 + ".pdf")) == 200


# --- through the web ---------------------------------------------------------------


class Team:
    """An organisation with an owner, an editor, a reviewer and a viewer, and
    one assessment."""

    def __init__(self, app: Flask, make_browser: Callable[[], Browser], owner: Browser, aid: str):
        self.app, self.make_browser, self.owner, self.assessment_id = app, make_browser, owner, aid
        self.members: dict[str, Browser] = {"owner": owner}

    @property
    def config(self) -> Config:
        return self.app.extensions["assessment"]["config"]  # type: ignore[no-any-return]

    def member(self, role: str) -> Browser:
        if role not in self.members:
            browser = self.make_browser()
            response = browser.post(
                "/login",
                {"email": f"{role}@example.org", "password": TEST_PASSWORD},
                page="/login",
            )
            assert response.status_code == 302
            self.members[role] = browser
        return self.members[role]

    @property
    def section_url(self) -> str:
        return f"/assessments/{self.assessment_id}/sections/{SECTION}"

    def upload(
        self, who: Browser, data: bytes, name: str, question: str = QUESTION, **kw: Any
    ) -> Any:
        who.get(self.section_url)
        return who.post(
            f"{self.section_url}/evidence",
            {
                "question": question,
                "file": (io.BytesIO(data), name, kw.get("mimetype", "application/pdf")),
            },
            content_type="multipart/form-data",
        )

    def records(self) -> list[Evidence]:
        factory = self.app.extensions["assessment"]["sessions"]
        with factory() as session:
            return list(session.scalars(select(Evidence).order_by(Evidence.id)))

    def folder(self) -> Path:
        factory = self.app.extensions["assessment"]["sessions"]
        with factory() as session:
            assessment = session.scalars(
                select(Assessment).where(Assessment.uuid == self.assessment_id)
            ).one()
            return self.config.evidence_dir / str(assessment.organisation_id) / assessment.uuid

    def set(self, **values: Any) -> None:
        factory = self.app.extensions["assessment"]["sessions"]
        with transaction(factory) as session:
            assessment = session.scalars(
                select(Assessment).where(Assessment.uuid == self.assessment_id)
            ).one()
            for key, value in values.items():
                setattr(assessment, key, value)


def _team(app: Flask, make_browser: Any, signup: Any, start_assessment: Any) -> Team:
    owner = signup(make_browser(), "owner@example.org", "Watchdog")
    assessment_id = start_assessment(owner, ["camera"])
    factory = app.extensions["assessment"]["sessions"]
    with transaction(factory) as session:
        user = session.scalars(select(User)).one()
        for role in ("editor", "reviewer", "viewer"):
            add_user(
                session, user.organisation, role, f"{role}@example.org", TEST_PASSWORD, Role(role)
            )
    return Team(app, make_browser, owner, assessment_id)


@pytest.fixture
def team(app: Flask, make_browser, signup, start_assessment) -> Team:  # type: ignore[no-untyped-def]
    return _team(app, make_browser, signup, start_assessment)


def test_an_editor_attaches_a_file_stored_owner_only_and_members_download_it(team: Team) -> None:
    editor = team.member("editor")
    response = team.upload(editor, PDF, "../scans/Ministry reply (2024).pdf")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"{team.section_url}#{QUESTION}")
    page = editor.get(team.section_url).get_data(as_text=True)
    digest = hashlib.sha256(PDF).hexdigest()
    assert "Attached Ministry reply (2024).pdf" in page
    assert digest in page

    [record] = team.records()
    assert (record.sha256, record.kind, record.size, record.question_id) == (
        digest,
        "pdf",
        len(PDF),
        QUESTION,
    )
    assert record.name == "Ministry reply (2024).pdf"
    assert record.uploaded_by_id is not None
    assert record.uploaded_at is not None

    # on disk: instance/evidence/<organisation>/<assessment>/<sha256>, owner-only
    folder = team.folder()
    stored = folder / digest
    assert stored.read_bytes() == PDF
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    for path in (team.config.evidence_dir, folder.parent, folder):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    assert team.config.evidence_dir.is_relative_to(team.config.instance_path)
    assert [p.name for p in folder.iterdir()] == [digest]  # no temporary file left

    # every member may download, as an attachment that no browser renders
    url = f"/assessments/{team.assessment_id}/evidence/{record.id}"
    for role in ("viewer", "reviewer", "editor", "owner"):
        download = team.member(role).client.get(url)
        assert download.status_code == 200, role
        assert download.data == PDF
        assert download.headers["Content-Type"] == "application/octet-stream"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Disposition"] == (
            'attachment; filename="Ministry-reply-2024.pdf"; '
            "filename*=UTF-8''Ministry%20reply%20%282024%29.pdf"
        )
        assert "sandbox" in download.headers["Content-Security-Policy"]
    # and the review page lists it for readers
    review = team.member("viewer").get(f"/assessments/{team.assessment_id}/review")
    assert digest in review.get_data(as_text=True)


def test_the_download_name_takes_the_extension_of_the_content(team: Team) -> None:
    """A PNG uploaded as "photo.html" downloads as "photo.png"."""
    assert team.upload(team.owner, PNG, "photo.html", mimetype="text/html").status_code == 302
    [record] = team.records()
    assert record.kind == "png"
    download = team.owner.client.get(f"/assessments/{team.assessment_id}/evidence/{record.id}")
    assert 'filename="photo.png"' in download.headers["Content-Disposition"]
    assert "filename*=UTF-8''photo.html.png" in download.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("data", "name"),
    [(EXECUTABLE, "report.pdf"), (HTML, "scan.png"), (DOCM, "minutes.docx")],
    ids=["renamed executable", "renamed HTML", "document with macros"],
)
def test_a_file_of_another_kind_is_refused_whatever_its_name(
    team: Team, data: bytes, name: str
) -> None:
    response = team.upload(team.member("editor"), data, name, mimetype="application/pdf")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "is not a PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS file" in page
    assert 'id="evidence-error-scope.programme_types"' in page  # at the question
    assert team.records() == []
    assert not any(p.is_file() for p in team.config.evidence_dir.rglob("*"))


def test_size_limits_per_file_and_per_assessment(
    config: Config, make_browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    from assessment.web import create_app

    small = create_app(
        config.with_overrides(evidence_file_max_bytes=2000, evidence_assessment_max_bytes=3000),
        banks=BANKS,
    )
    try:
        team = _team(small, lambda: Browser(small.test_client()), signup, start_assessment)
        editor = team.member("editor")
        too_big = team.upload(editor, PDF + b"0" * (2001 - len(PDF)), "big.pdf")
        assert too_big.status_code == 413
        assert "The file is larger than 1 KB." in too_big.get_data(as_text=True)
        first = PDF + b"1" * (1500 - len(PDF))
        assert team.upload(editor, first, "one.pdf").status_code == 302
        # the same file again on the same answer
        again = team.upload(editor, first, "one-again.pdf")
        assert again.status_code == 409
        assert "already attached" in again.get_data(as_text=True)
        # the same file on another answer is stored once and counts once
        assert team.upload(editor, first, "one.pdf", question="scope.status").status_code == 302
        second = PDF + b"2" * (1600 - len(PDF))
        full = team.upload(editor, second, "two.pdf")
        assert full.status_code == 413
        assert "would take more than 2 KB together" in full.get_data(as_text=True)
        assert [r.name for r in team.records()] == ["one.pdf", "one.pdf"]
        assert len(list(team.folder().iterdir())) == 1
        # a request above the server's cap gets a page, not a bare error
        huge = editor.client.post(  # raw bytes: refused by their length, before parsing
            f"{team.section_url}/evidence",
            data=b"0" * (small.config["MAX_CONTENT_LENGTH"] + 1),
            content_type="multipart/form-data; boundary=x",
        )
        assert huge.status_code == 413
        assert "The upload is too large" in huge.get_data(as_text=True)
    finally:
        small.extensions["assessment"]["renderer"].shutdown()
        small.extensions["assessment"]["engine"].dispose()


def test_the_request_cap_fits_the_largest_upload() -> None:
    config = Config(secret_key="k" * 32, database_url="sqlite://")
    assert config.request_max_bytes > config.evidence_file_max_bytes
    assert config.request_max_bytes > config.max_upload_bytes
    assert config.evidence_embed_max_bytes <= config.max_upload_bytes - MIB
    with pytest.raises(ConfigError, match="EVIDENCE_EMBED_MAX_MB"):
        config.with_overrides(evidence_embed_max_bytes=5 * MIB).check_evidence_limits()


def test_config_reads_the_evidence_limits(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("EVIDENCE_FILE_MAX_MB", "2.5")
    monkeypatch.setenv("EVIDENCE_ASSESSMENT_MAX_MB", "20")
    config = Config.from_env()
    assert config.evidence_file_max_bytes == int(2.5 * MIB)
    assert config.evidence_assessment_max_bytes == 20 * MIB
    monkeypatch.setenv("EVIDENCE_EMBED_MAX_MB", "10")
    with pytest.raises(ConfigError):
        Config.from_env()


def test_viewers_and_reviewers_cannot_attach_or_remove(team: Team) -> None:
    assert team.upload(team.owner, PDF, "memo.pdf").status_code == 302
    [record] = team.records()
    for role in ("viewer", "reviewer"):
        member = team.member(role)
        member.get("/")
        token = member.token()
        refused = member.client.post(
            f"{team.section_url}/evidence",
            data={"csrf_token": token, "question": QUESTION, "file": (io.BytesIO(PNG), "x.png")},
            content_type="multipart/form-data",
        )
        assert refused.status_code == 403, role
        removal = member.client.post(
            f"/assessments/{team.assessment_id}/evidence/{record.id}/remove",
            data={"csrf_token": token},
        )
        assert removal.status_code == 403, role
    assert [r.id for r in team.records()] == [record.id]


def test_another_organisation_gets_404(team: Team, signup) -> None:  # type: ignore[no-untyped-def]
    assert team.upload(team.owner, PDF, "memo.pdf").status_code == 302
    [record] = team.records()
    intruder = signup(team.make_browser(), "intruder@example.org", "Other")
    intruder.get("/")
    token = intruder.token()
    base = f"/assessments/{team.assessment_id}"
    assert intruder.client.get(f"{base}/evidence/{record.id}").status_code == 404
    assert (
        intruder.client.post(
            f"{base}/evidence/{record.id}/remove", data={"csrf_token": token}
        ).status_code
        == 404
    )
    upload = intruder.client.post(
        f"{base}/sections/{SECTION}/evidence",
        data={"csrf_token": token, "question": QUESTION, "file": (io.BytesIO(PDF), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 404
    # nor can they reach it through an assessment of their own
    own = intruder.post(
        "/assessments/new",
        {"title": "Theirs", "programme": "P", "programme_types": ["camera"]},
        page="/assessments/new",
    )
    theirs = own.headers["Location"].split("/")[2]
    assert intruder.client.get(f"/assessments/{theirs}/evidence/{record.id}").status_code == 404
    assert [r.id for r in team.records()] == [record.id]


def test_upload_without_csrf_token_is_refused(team: Team) -> None:
    editor = team.member("editor")
    response = editor.client.post(
        f"{team.section_url}/evidence",
        data={"question": QUESTION, "file": (io.BytesIO(PDF), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert team.records() == []


def test_removal_deletes_the_file_once_unused_and_stops_at_submission(team: Team) -> None:
    editor = team.member("editor")
    assert team.upload(editor, PDF, "a.pdf").status_code == 302
    assert team.upload(editor, PDF, "a.pdf", question="scope.status").status_code == 302
    assert team.upload(editor, PNG, "b.png").status_code == 302
    first, second, image = team.records()
    folder = team.folder()
    remove = f"/assessments/{team.assessment_id}/evidence/{{}}/remove"
    editor.get(team.section_url)
    assert editor.post(remove.format(first.id)).status_code == 302
    assert (folder / first.sha256).exists()  # still attached to the other answer
    assert editor.post(remove.format(second.id), page=team.section_url).status_code == 302
    assert not (folder / first.sha256).exists()
    assert [r.id for r in team.records()] == [image.id]

    team.set(status=Status.IN_REVIEW.value, submitted_at=utcnow())
    refused = editor.post(remove.format(image.id), page=team.section_url)
    assert refused.status_code == 409
    assert "can no longer be changed" in refused.get_data(as_text=True)
    assert team.upload(editor, JPEG, "c.jpg").status_code == 409
    assert [r.id for r in team.records()] == [image.id]
    assert (folder / image.sha256).exists()


# --- reports and exports -----------------------------------------------------------


def _document_with_evidence(team: Team, *, confidential: bool) -> Any:
    factory = team.app.extensions["assessment"]["sessions"]
    with factory() as session:
        assessment = session.scalars(
            select(Assessment).where(Assessment.uuid == team.assessment_id)
        ).one()
        if confidential:
            record = session.scalars(
                select(AnswerRecord).where(AnswerRecord.question_id == QUESTION)
            ).one()
            record.confidential = True
            session.commit()
        return to_document(assessment)


def test_report_html_lists_each_file_with_its_hash(team: Team) -> None:
    assert team.upload(team.owner, PDF, "Ministry reply.pdf").status_code == 302
    assert team.upload(team.owner, DOCX, "minutes.docx").status_code == 302
    document = _document_with_evidence(team, confidential=False)
    html = render_html(build_report_context(BANK, document))
    for data, name in ((PDF, "Ministry reply.pdf"), (DOCX, "minutes.docx")):
        assert hashlib.sha256(data).hexdigest() in html
        assert name in html
    assert "Appendix E. Evidence files" in html
    assert "Evidence: 2 files (Appendix E)." in html
    assert "rendered from an exchange file" in html  # no files given: listed, not embedded

    # over the embedding limit: listed only, and the report says why
    context = build_report_context(BANK, document)
    files = {e.sha256: str(team.folder() / e.sha256) for e in document.evidence}
    assert plan_evidence(context["evidence"], document, "full", files, 10) == []
    assert "more than the 0.0 MB this installation embeds" in render_html(context)
    # within it: every file found and checked, named in the listing
    context = build_report_context(BANK, document)
    planned = plan_evidence(context["evidence"], document, "full", files, 10 * MIB)
    assert sorted(a.sha256 for a in planned) == sorted(files)
    assert "embedded as evidence-0" in render_html(context)
    # a stored file altered on disk is not embedded
    Path(files[hashlib.sha256(DOCX).hexdigest()]).write_bytes(DOCX + b"x")
    context = build_report_context(BANK, document)
    assert plan_evidence(context["evidence"], document, "full", files, 10 * MIB) == []
    assert "does not match its recorded SHA-256" in render_html(context)


def test_the_public_edition_withholds_evidence_of_confidential_answers(team: Team) -> None:
    assert team.upload(team.owner, PDF, "informant.pdf").status_code == 302
    digest = hashlib.sha256(PDF).hexdigest()
    open_document = public_edition(_document_with_evidence(team, confidential=False))
    assert digest in render_html(build_report_context(BANK, open_document))
    document = public_edition(_document_with_evidence(team, confidential=True))
    html = render_html(build_report_context(BANK, document))
    assert "Appendix E. Evidence files" in html
    assert "A file is attached; its name and hash are withheld" in html
    assert digest not in html
    assert "informant" not in html
    assert digest not in canonical_json(document).decode()


def test_export_lists_evidence_by_hash_and_carries_no_file(team: Team) -> None:
    assert team.upload(team.owner, PDF, "memo.pdf").status_code == 302
    exported = team.owner.client.get(f"/assessments/{team.assessment_id}/export.json").data
    data = json.loads(exported)
    assert data["evidence"] == [
        {
            "question": QUESTION,
            "name": "memo.pdf",
            "type": "pdf",
            "size": len(PDF),
            "sha256": hashlib.sha256(PDF).hexdigest(),
        }
    ]
    assert b"%PDF-1.4" not in exported
    assert load_document(exported, BANK).evidence[0].sha256 == data["evidence"][0]["sha256"]


@pytest.mark.database_agnostic
def test_full_report_embeds_the_files_as_associated_files(team: Team) -> None:
    """The one real PDF render: the full edition carries each file, byte for
    byte, with its hash, next to the assessment data that list the same hashes."""
    assert team.upload(team.owner, PDF, "Ministry reply.pdf").status_code == 302
    assert team.upload(team.owner, JPEG, "photo.jpg").status_code == 302
    response = team.owner.client.get(f"/assessments/{team.assessment_id}/report.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    attachments = {name: contents[0] for name, contents in reader.attachments.items()}
    names_by_hash = {
        hashlib.sha256(PDF).hexdigest(): "Ministry-reply.pdf",
        hashlib.sha256(JPEG).hexdigest(): "photo.jpg",
    }
    expected = [
        f"evidence-{n:02d}-{names_by_hash[h]}" for n, h in enumerate(sorted(names_by_hash), 1)
    ]
    assert set(attachments) == {EMBEDDED_NAME, *expected}
    by_hash = {hashlib.sha256(data).hexdigest(): data for data in attachments.values()}
    assert by_hash[hashlib.sha256(PDF).hexdigest()] == PDF
    assert by_hash[hashlib.sha256(JPEG).hexdigest()] == JPEG
    embedded = json.loads(attachments[EMBEDDED_NAME])
    assert {e["sha256"] for e in embedded["evidence"]} == {
        hashlib.sha256(PDF).hexdigest(),
        hashlib.sha256(JPEG).hexdigest(),
    }
    # the descriptions carry the hashes (the embedded-file specs of the catalogue)
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    descriptions = [names[i + 1].get_object().get("/Desc", "") for i in range(0, len(names), 2)]
    assert any(hashlib.sha256(PDF).hexdigest() in d for d in descriptions)
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Appendix E. Evidence files" in " ".join(text.split())
