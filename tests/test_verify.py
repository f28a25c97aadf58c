"""Verifiable reports: embedded data, metadata, tags, signature, the four
verification outcomes, import.

Every test here shares one report, rendered and signed once for the module
(``issued``); tampered copies are made from its bytes."""

from __future__ import annotations

import hashlib
import io
import json
import re
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko.stamp import TextStamp, TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader, PdfWriter
from pypdf.generic import IndirectObject
from sqlalchemy import Engine, select

from assessment.config import Config
from assessment.demo import DEMO_EMAIL, DEMO_FILE, DEMO_PASSWORD
from assessment.engine.document import canonical_json, load_document
from assessment.models import Base, ReportIssue
from assessment.report.render import EMBEDDED_NAME
from assessment.report.signing import CERTIFICATE_NAME, KEY_NAME
from assessment.report.verify import read_embedded
from assessment.web import create_app
from tests.conftest import Browser
from tests.helpers import BANK, BANKS
from tests.pdf_text import flat_pdf_text


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
        report_nice=0,  # as in tests/conftest.py
    )
    application = create_app(config, banks=BANKS)
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


def _with_embedded(pdf: bytes, data: bytes, incremental: bool = False) -> bytes:
    """``pdf`` with its embedded data replaced, everything else unchanged:
    the file rewritten, or (``incremental``) the change appended as an
    incremental update, leaving the signed bytes as they were."""
    writer = (
        PdfWriter(io.BytesIO(pdf), incremental=True)
        if incremental
        else PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    )
    for embedded in writer.attachment_list:
        if embedded.name == EMBEDDED_NAME:
            embedded.content = data
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stamped(pdf: bytes) -> bytes:
    """A verdict stamped over page 1 by an incremental update: the attack of
    issue 12, which left the embedded data as they were."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    style = TextStampStyle(stamp_text="OVERALL: LOW RISK - CONTINUE")
    TextStamp(writer, style).apply(0, 60, 640)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _embedded_changed(pdf: bytes) -> bytes:
    data = read_embedded(pdf).data
    at = data.index(b"Moscow")
    return _with_embedded(pdf, data[:at] + b"N" + data[at + 1 :], incremental=True)


def _signature_changed(pdf: bytes) -> bytes:
    """One hex digit of the signature value itself (the end of the CMS
    structure, before the zero padding) changed."""
    match = re.search(rb"/Contents\s*<([0-9a-fA-F]+)>", pdf)
    assert match
    used = len(match.group(1).rstrip(b"0"))
    at = match.start(1) + used - 20
    return pdf[:at] + (b"1" if pdf[at : at + 1] == b"0" else b"0") + pdf[at + 1 :]


def _one_byte_changed(pdf: bytes) -> bytes:
    """One bit of one byte flipped outside the data, the pages and the
    signature: in the binary comment after the header."""
    at = pdf.index(b"\n") + 2
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def _pyhanko(app: Flask, pdf: bytes) -> PdfSignatureStatus:
    """pyHanko's own validation of the report's signature, trusting the
    installation's certificate only (what a reader does once it is pinned).

    Its analysis of what a later incremental update changed is skipped: it
    takes minutes on a full report (tests/test_signing.py runs it on a small
    file); whether the signature covers the whole file is still reported."""
    certificate = load_cert_from_pemder(str(_signing_folder(app) / CERTIFICATE_NAME))
    [signature] = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    context = ValidationContext(trust_roots=[certificate], allow_fetching=False)
    return validate_pdf_signature(signature, context, skip_diff=True)


def _signing_folder(app: Flask) -> Path:
    return Path(app.extensions["assessment"]["config"].instance_path) / "signing"


def _pdfsig(pdf: bytes, tmp_path: Path) -> str:
    """What poppler's ``pdfsig`` (the validator behind several PDF readers) says."""
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    return result.stdout + result.stderr


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


@pytest.mark.database_agnostic
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


@pytest.mark.database_agnostic
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
    assert ok.output.startswith("ISSUED: ")
    assert "full edition of revision" in ok.output
    failed = runner.invoke(args=["verify", str(bad)])
    assert failed.exit_code == 4, failed.output
    assert failed.output.startswith("ALTERED: ")
    assert "do not match the fingerprint" in failed.output
    assert "signature" in failed.output
    assert "broken" in failed.output


def test_the_issued_file_is_recorded_with_its_hash_and_signer(app: Flask, issued) -> None:  # type: ignore[no-untyped-def]
    pdf, assessment_id = issued
    with app.extensions["assessment"]["sessions"]() as session:
        record = session.scalars(
            select(ReportIssue).where(ReportIssue.file_sha256 == hashlib.sha256(pdf).hexdigest())
        ).one()
        assert record.assessment_uuid == assessment_id
        assert record.assessment_id is not None
        assert (record.edition, record.issued_via) == ("full", "download")
        assert record.revision == record.assessment.revision
        assert record.data_sha256 == read_embedded(pdf).sha256
    certificate = load_cert_from_pemder(str(_signing_folder(app) / CERTIFICATE_NAME))
    assert record.certificate_sha256 == hashlib.sha256(certificate.dump()).hexdigest()
    assert "Rights-impact assessment reports" in record.signer
    # the download is cached signed: the same bytes again, not a new signature
    browser = Browser(app.test_client())
    browser.post("/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, page="/login")
    assert browser.get(f"/assessments/{assessment_id}/report.pdf").data == pdf


@pytest.mark.database_agnostic
def test_signature_is_an_incremental_update_that_keeps_the_file_pdf_a(issued) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = issued
    end = pdf.index(b"%%EOF") + len(b"%%EOF\n")
    unsigned, update = pdf[:end], pdf[end:]
    assert b"/ByteRange" not in unsigned
    assert b"/ByteRange" in update
    before, after = PdfReader(io.BytesIO(unsigned)), PdfReader(io.BytesIO(pdf))
    # metadata untouched: the XMP packet that declares PDF/A-3a, and the information
    # dictionary that must agree with it
    xmp = after.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert xmp == before.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3" pdfaid:conformance="A"' in xmp
    assert dict(after.trailer["/Info"]) == dict(before.trailer["/Info"])
    assert _output_intents(after) == _output_intents(before)
    assert len(after.pages) == len(before.pages)
    # one invisible PAdES certification signature, widget as PDF/A requires it
    root = after.trailer["/Root"]
    [field] = root["/AcroForm"]["/Fields"]
    field = field.get_object()
    assert "/NeedAppearances" not in root["/AcroForm"]
    assert field["/V"]["/SubFilter"] == "/ETSI.CAdES.detached"
    assert set(root["/Perms"]) == {"/DocMDP"}
    flags = int(field["/F"])
    assert flags & 4
    assert not flags & (1 | 2 | 32)
    rect = [float(v) for v in field["/Rect"]]
    assert rect[0] == rect[2]
    assert rect[1] == rect[3]


def _output_intents(reader: PdfReader) -> list[dict[str, object]]:
    """The output intents, with objects named by their number (comparable)."""
    return [
        {
            key: (value.idnum if isinstance(value, IndirectObject) else value)
            for key, value in intent.get_object().items()
        }
        for intent in reader.trailer["/Root"]["/OutputIntents"]
    ]


@pytest.mark.database_agnostic
def test_untouched_report_is_valid_for_pyhanko_and_poppler(app: Flask, issued, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = issued
    status = _pyhanko(app, pdf)
    assert status.bottom_line
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.modification_level == ModificationLevel.NONE
    assert "UNTOUCHED" in status.summary_fields()
    poppler = _pdfsig(pdf, tmp_path)
    assert "Signature is Valid" in poppler
    assert "Total document signed" in poppler
    assert "Rights-impact assessment reports" in poppler


ALTERATIONS: dict[str, tuple[Callable[[bytes], bytes], int, str]] = {
    # name: (alteration, exit code of `flask verify`, first word of its output)
    "text stamped on page 1": (_stamped, 3, "CHANGED"),
    "embedded data changed": (_embedded_changed, 4, "ALTERED"),
    "signature bytes changed": (_signature_changed, 3, "CHANGED"),
    "one byte elsewhere changed": (_one_byte_changed, 3, "CHANGED"),
}


@pytest.mark.database_agnostic
@pytest.mark.parametrize("name", list(ALTERATIONS))
def test_each_alteration_fails_verification_in_the_tool_and_in_pyhanko(
    app: Flask, issued, tmp_path: Path, name: str
) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = issued
    alter, exit_code, outcome = ALTERATIONS[name]
    altered = alter(pdf)
    assert altered != pdf
    path = tmp_path / "altered.pdf"
    path.write_bytes(altered)
    result = app.test_cli_runner().invoke(args=["verify", str(path)])
    assert result.exit_code == exit_code, result.output
    assert result.output.startswith(f"{outcome}: ")
    assert "this exact file was issued here" not in result.output

    status = _pyhanko(app, altered)
    if name in {"text stamped on page 1", "embedded data changed"}:
        # the signed bytes are as they were; pyHanko sees that more was added after them
        assert status.intact
        assert status.valid
        assert status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        assert "EXTENDED" in status.summary_fields()
        assert "UNTOUCHED" not in status.summary_fields()
        assert "covers an earlier version of the file only" in result.output
    else:
        assert not status.bottom_line
        if name == "signature bytes changed":
            assert status.intact  # the digest of the signed bytes matches ...
            assert not status.valid  # ... the signature over it does not
        else:
            assert not status.intact  # the digest of the signed bytes differs
        assert "is broken" in result.output
    if name != "embedded data changed":
        assert "embedded assessment data are intact and were issued here" in result.output
        assert "full edition of revision" in result.output
    if name == "text stamped on page 1":
        page = PdfReader(io.BytesIO(altered)).pages[0].extract_text()
        assert "LOW RISK" in page  # what the reader sees changed; the data did not


@pytest.mark.database_agnostic
def test_poppler_flags_altered_files(issued, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = issued
    stamped = _pdfsig(_stamped(pdf), tmp_path)
    assert "Total document signed" not in stamped  # the signature no longer covers it all
    for altered in (_signature_changed(pdf), _one_byte_changed(pdf)):
        assert "Signature is Valid" not in _pdfsig(altered, tmp_path)


def test_report_rendered_on_the_command_line_is_signed_and_issued(
    app: Flask, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    source = Path(__file__).parents[1] / "assessment/examples/card_data_tracing.json"
    out = tmp_path / "card.pdf"
    rendered = runner.invoke(args=["render", str(source), "-o", str(out)])
    assert rendered.exit_code == 0, rendered.output
    assert "signed by" in rendered.output
    result = runner.invoke(args=["verify", str(out)])
    assert result.exit_code == 0, result.output
    assert "It was issued on the command line" in result.output
    assert "(an assessment not held here)" in result.output  # rendered from a file only
    assert _pyhanko(app, out.read_bytes()).bottom_line

    # a copy with the data intact but a page stamped: changed, with the rendered revision named
    stamped = tmp_path / "stamped.pdf"
    stamped.write_bytes(_stamped(out.read_bytes()))
    changed = runner.invoke(args=["verify", str(stamped)])
    assert changed.exit_code == 3, changed.output
    assert "Its data were issued on the command line" in changed.output


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
    assert "verdict-issued" in html
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
    assert 'data-outcome="unknown"' in plain.get_data(as_text=True)


VERDICTS = {
    # outcome: (headline, symbol, background colour of its panel)
    "issued": ("Genuine: this exact file was issued here", "✓", "#e7f5ea"),
    "changed": ("Changed after signing", "!", "#fff3dc"),
    "altered": ("Altered: the assessment data in this file were changed", "✕", "#fde8e8"),
    "unknown": ("Not a report issued by this tool here", "?", "#eceff3"),
}


@pytest.mark.database_agnostic
def test_each_outcome_has_its_own_headline_symbol_and_colour(app: Flask, issued) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = issued
    css = (Path(__file__).parents[1] / "static/css/app.css").read_text(encoding="utf-8")
    plain = PdfWriter()
    plain.add_blank_page(100, 100)
    other = io.BytesIO()
    plain.write(other)
    files = {
        "issued": pdf,
        "changed": _stamped(pdf),
        "altered": _embedded_changed(pdf),
        "unknown": other.getvalue(),
    }
    visitor = Browser(app.test_client())
    for outcome, data in files.items():
        visitor.get("/verify")
        response = visitor.post(
            "/verify", {"report": (io.BytesIO(data), "r.pdf")}, content_type="multipart/form-data"
        )
        html = response.get_data(as_text=True)
        verdict = re.search(
            r'<section class="verdict verdict-(\w+)"[^>]*>(.*?)</section>', html, re.S
        )
        assert verdict, html
        assert verdict.group(1) == outcome
        headline, symbol, colour = VERDICTS[outcome]
        assert headline in verdict.group(2)
        assert f'aria-hidden="true">{symbol}</span>' in verdict.group(2)
        assert re.search(rf"\.verdict-{outcome} {{ background: {colour};", css)
        others = set(VERDICTS) - {outcome}
        assert not any(VERDICTS[other][0] in html for other in others)


def _contrast(foreground: str, background: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_verdict_colours_have_accessible_contrast() -> None:
    css = (Path(__file__).parents[1] / "static/css/app.css").read_text(encoding="utf-8")
    for outcome in VERDICTS:
        rule = re.search(
            rf"\.verdict-{outcome} {{ background: (#\w{{6}}); border-color: (#\w{{6}}); "
            rf"color: (#\w{{6}}); }}",
            css,
        )
        assert rule, outcome
        background, border, text = rule.groups()
        assert _contrast(text, background) >= 7  # WCAG AAA for the text
        assert _contrast(border, background) >= 3  # the coloured bar and symbol disc
        symbol = re.search(rf"\.verdict-{outcome} \.symbol {{ background: (#\w{{6}}); }}", css)
        assert symbol
        assert _contrast("#ffffff", symbol.group(1)) >= 4.5


@pytest.mark.database_agnostic
def test_the_certificate_fingerprint_is_shown_for_pinning(app: Flask, issued) -> None:  # type: ignore[no-untyped-def]
    pdf, _ = issued
    folder = _signing_folder(app)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in (KEY_NAME, CERTIFICATE_NAME):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    digest = hashlib.sha256(signature.signer_cert.dump()).hexdigest().upper()
    shown = ":".join(digest[i : i + 2] for i in range(0, 64, 2))
    visitor = Browser(app.test_client())
    assert shown in visitor.get("/verify").get_data(as_text=True)
    printed = app.test_cli_runner().invoke(args=["certificate"])
    assert f"Certificate SHA-256 fingerprint: {shown}" in printed.output
    pem = visitor.get("/verify/certificate.pem")
    assert pem.status_code == 200
    assert pem.data == (folder / CERTIFICATE_NAME).read_bytes()
    assert pem.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.database_agnostic
def test_verify_upload_size_limit(app: Flask) -> None:
    config = app.extensions["assessment"]["config"]
    small = create_app(config.with_overrides(max_upload_bytes=2000), banks=BANKS)
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


@pytest.mark.database_agnostic
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
        return flat_pdf_text(pdf) + read_embedded(pdf).data.decode()

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
