"""Verifiable reports: embedded data, metadata, tags, verification, import."""

from __future__ import annotations

import io
import json
from pathlib import Path

from flask import Flask
from pypdf import PdfReader, PdfWriter

from assessment.demo import DEMO_EMAIL, DEMO_PASSWORD
from assessment.engine.document import canonical_json, load_document
from assessment.report.render import EMBEDDED_NAME
from assessment.report.verify import read_embedded
from tests.helpers import BANK


def _issued_report(app: Flask, browser) -> tuple[bytes, str]:  # type: ignore[no-untyped-def]
    """Seed the demo, sign in as its user and download its report."""
    app.test_cli_runner().invoke(args=["seed-demo"])
    browser.post("/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, page="/login")
    assessment_id = json.loads(
        (Path(__file__).parents[1] / "assessment/examples/moscow_cameras.json").read_text()
    )["assessment"]["uuid"]
    response = browser.get(f"/assessments/{assessment_id}/report.pdf")
    assert response.status_code == 200
    return response.data, assessment_id


def _with_embedded(pdf: bytes, data: bytes) -> bytes:
    """``pdf`` with its embedded data replaced, everything else unchanged."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for embedded in writer.attachment_list:
        if embedded.name == EMBEDDED_NAME:
            embedded.content = data
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_embedded_data_round_trip_to_the_same_assessment(app: Flask, browser) -> None:  # type: ignore[no-untyped-def]
    pdf, assessment_id = _issued_report(app, browser)
    embedded = read_embedded(pdf)
    assert embedded.intact
    exported = browser.get(f"/assessments/{assessment_id}/export.json").data
    assert embedded.data == exported
    document = load_document(embedded.data, BANK)
    assert canonical_json(document) == exported
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert embedded.sha256[:16] in "".join(text.split())


def test_metadata_language_and_tags(app: Flask, browser) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = _issued_report(app, browser)
    reader = PdfReader(io.BytesIO(pdf))
    meta = reader.metadata
    assert meta is not None
    assert meta.title.startswith("Moscow facial-recognition network")
    assert meta.author == "Demo Human Rights Group"
    assert "Human-rights impact assessment" in (meta.subject or "")
    assert "Facial-recognition camera network" in meta["/Keywords"]
    assert meta.creation_date is not None
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3" pdfaid:conformance="A"' in xmp  # PDF/A-3a


def test_one_byte_change_in_embedded_data_is_detected(app: Flask, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = _issued_report(app, browser)
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


def test_verify_page_for_anyone(app: Flask, browser, make_browser) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = _issued_report(app, browser)
    visitor = make_browser()
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


def test_verify_upload_size_limit(config) -> None:  # type: ignore[no-untyped-def]
    from assessment.web import create_app
    from tests.conftest import Browser

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


def test_import_from_report_pdf(app: Flask, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf, assessment_id = _issued_report(app, browser)
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
