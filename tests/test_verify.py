"""Verifiable reports: embedded data, metadata, tags, verification, import."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader, PdfWriter
from sqlalchemy import Engine

from assessment.config import Config
from assessment.demo import DEMO_EMAIL, DEMO_FILE, DEMO_PASSWORD
from assessment.engine.document import canonical_json, load_document
from assessment.models import Base
from assessment.report.render import EMBEDDED_NAME
from assessment.report.verify import read_embedded
from assessment.web import create_app
from tests.conftest import Browser
from tests.helpers import BANK


@pytest.fixture(scope="module")
def app(
    database_url: str, migrated_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """One app and database for the module: issuing a report takes seconds,
    so the tests here share the demo report issued once."""
    with migrated_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    config = Config(
        secret_key="test-secret-key-" + "x" * 32,
        database_url=database_url,
        instance_path=tmp_path_factory.mktemp("instance"),
        testing=True,
        report_workers=1,  # the report is rendered by a worker process, as in production
        report_wait_seconds=120,
    )
    application = create_app(config)
    application.test_cli_runner().invoke(args=["seed-demo"])
    yield application
    application.extensions["assessment"]["renderer"].shutdown()
    application.extensions["assessment"]["engine"].dispose()
    with migrated_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(scope="module")
def issued(app: Flask) -> tuple[bytes, str]:
    """The demo assessment's report, downloaded once by its user."""
    browser = Browser(app.test_client())
    browser.post("/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, page="/login")
    assessment_id = json.loads(DEMO_FILE.read_text(encoding="utf-8"))["assessment"]["uuid"]
    response = browser.get(f"/assessments/{assessment_id}/report.pdf")
    assert response.status_code == 200
    return response.data, assessment_id


@pytest.fixture
def demo_browser(app: Flask) -> Browser:
    browser = Browser(app.test_client())
    browser.post("/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, page="/login")
    return browser


def _with_embedded(pdf: bytes, data: bytes) -> bytes:
    """``pdf`` with its embedded data replaced, everything else unchanged."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for embedded in writer.attachment_list:
        if embedded.name == EMBEDDED_NAME:
            embedded.content = data
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_embedded_data_round_trip_to_the_same_assessment(issued, demo_browser) -> None:  # type: ignore[no-untyped-def]
    pdf, assessment_id = issued
    browser = demo_browser
    embedded = read_embedded(pdf)
    assert embedded.intact
    exported = browser.get(f"/assessments/{assessment_id}/export.json").data
    assert embedded.data == exported
    document = load_document(embedded.data, BANK)
    assert canonical_json(document) == exported
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert embedded.sha256[:16] in "".join(text.split())


def test_metadata_language_and_tags(issued) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = issued
    reader = PdfReader(io.BytesIO(pdf))
    meta = reader.metadata
    assert meta is not None
    assert meta.title.startswith("Moscow facial-recognition network")
    assert meta.author == "Demo Human Rights Group"
    assert "Human-rights impact assessment" in (meta.subject or "")
    assert "Camera network" in meta["/Keywords"]
    assert meta.creation_date is not None
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3" pdfaid:conformance="A"' in xmp  # PDF/A-3a


def test_one_byte_change_in_embedded_data_is_detected(app: Flask, issued, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = issued
    data = read_embedded(pdf).data
    at = data.index(b"Moscow")
    altered = _with_embedded(pdf, data[:at] + b"N" + data[at + 1 :])
    found = read_embedded(altered)
    assert not found.intact
    assert found.declared_sha256 == found.printed_sha256 != found.sha256

    runner = app.test_cli_runner()
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(pdf)
    bad.write_bytes(altered)
    ok = runner.invoke(args=["verify", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    assert "revision" in ok.output
    failed = runner.invoke(args=["verify", str(bad)])
    assert failed.exit_code == 1
    assert "altered" in failed.output
    assert "has not issued" in failed.output


def test_report_rendered_outside_the_database_is_intact_but_unknown(
    app: Flask, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    source = Path(__file__).parents[1] / "assessment/examples/card_data_tracing.json"
    out = tmp_path / "card.pdf"
    assert runner.invoke(args=["render", str(source), "-o", str(out)]).exit_code == 0
    result = runner.invoke(args=["verify", str(out)])
    assert result.exit_code == 1
    assert "intact" in result.output
    assert "has not issued" in result.output


def test_verify_page_for_anyone(app: Flask, issued) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = issued
    visitor = Browser(app.test_client())
    page = visitor.get("/verify")
    assert page.status_code == 200
    response = visitor.post(
        "/verify", {"report": (io.BytesIO(pdf), "report.pdf")}, content_type="multipart/form-data"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "intact" in html
    assert "revision" in html
    assert "Moscow" not in html  # says nothing about the assessment itself

    visitor.get("/verify")
    not_pdf = visitor.post(
        "/verify", {"report": (io.BytesIO(b"hello"), "x.pdf")}, content_type="multipart/form-data"
    )
    assert not_pdf.status_code == 422
    assert "not a PDF" in not_pdf.get_data(as_text=True)

    visitor.get("/verify")
    other_pdf = PdfWriter()
    other_pdf.add_blank_page(100, 100)
    buffer = io.BytesIO()
    other_pdf.write(buffer)
    plain = visitor.post(
        "/verify",
        {"report": (io.BytesIO(buffer.getvalue()), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert plain.status_code == 422
    assert "no assessment data" in plain.get_data(as_text=True)


def test_verify_upload_size_limit(app: Flask) -> None:
    config = app.extensions["assessment"]["config"]
    small = create_app(config.with_overrides(max_upload_bytes=2000))
    visitor = Browser(small.test_client())
    visitor.get("/verify")
    fits = visitor.post(
        "/verify",
        {"report": (io.BytesIO(b"%PDF-1.7\n" + b"0" * 500), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert fits.status_code == 422  # read and refused as unreadable, not as too large
    visitor.get("/verify")
    big = io.BytesIO(b"%PDF-1.7\n" + b"0" * 3000)
    response = visitor.post(
        "/verify", {"report": (big, "big.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 413
    small.extensions["assessment"]["engine"].dispose()


def test_import_from_report_pdf(app: Flask, issued, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf, assessment_id = issued
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    runner = app.test_cli_runner()
    imported = runner.invoke(args=["import", str(path)])
    assert imported.exit_code == 0, imported.output
    new_id = imported.output.split()[2]
    original = json.loads(runner.invoke(args=["export", assessment_id]).output)
    copy = json.loads(runner.invoke(args=["export", new_id]).output)
    assert copy["answers"] == original["answers"]

    data = read_embedded(pdf).data
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(_with_embedded(pdf, data.replace(b'"no"', b'"yes"', 1)))
    refused = runner.invoke(args=["import", str(tampered)])
    assert refused.exit_code == 1
    assert "do not match" in refused.output


def test_public_edition_leaves_out_every_confidential_note_and_source(
    app: Flask, browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    url = f"/assessments/{assessment_id}/sections/scoping.programme"
    browser.get(url)
    browser.post(
        url,
        {
            "q-scope.operator": "City police",
            "q-scope.operator-note": "Told to us by WHISTLEBLOWER-NOTE-7731",
            "q-scope.operator-source": "Interview with SECRET-SOURCE-4412",
            "q-scope.operator-confidential": "y",
            "q-scope.supplier": "Vendor X",
            "q-scope.supplier-note": "Public-note-visible",
            "action": "continue",
        },
    )
    full = browser.get(f"/assessments/{assessment_id}/report.pdf").data
    public = browser.get(f"/assessments/{assessment_id}/report.pdf?edition=public").data

    def everything(pdf: bytes) -> str:
        reader = PdfReader(io.BytesIO(pdf))
        text = " ".join(page.extract_text() for page in reader.pages)
        return " ".join(text.split()) + read_embedded(pdf).data.decode()

    full_text, public_text = everything(full), everything(public)
    for secret in ("WHISTLEBLOWER-NOTE-7731", "SECRET-SOURCE-4412"):
        assert secret in full_text
        assert secret not in public_text
    assert "City police" in public_text  # the answer itself stays
    assert "Public-note-visible" in public_text
    assert (
        "Public edition: notes and sources the assessor marked confidential are left out (1 answer)"
        in public_text
    )
    assert "Full edition" in full_text
    assert browser.get(f"/assessments/{assessment_id}/report.pdf?edition=draft").status_code == 404

    path = Path(app.instance_path) / "public.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(public)
    checked = app.test_cli_runner().invoke(args=["verify", str(path)])
    assert checked.exit_code == 0
    assert "public edition" in checked.output
