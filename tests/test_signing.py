"""The signing key and certificate: made once, owner-only, or an
organisation's own from the configuration.  Signatures are checked on a
small PDF here; tests/test_verify.py signs and checks a real report."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko.stamp import TextStamp, TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from assessment.config import Config, ConfigError
from assessment.report.signing import (
    CERTIFICATE_NAME,
    KEY_NAME,
    SigningError,
    SigningFiles,
    certificate_info,
    ensure_installation_key,
    find_signature,
    sign_report,
)
from assessment.services.reports import signing_files
from assessment.web import create_app
from tests.helpers import BANKS


def _small_pdf() -> bytes:
    """One page with a line drawn on it."""
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    content = DecodedStreamObject()
    content.set_data(b"10 10 m 190 190 l S")
    page[NameObject("/Contents")] = writer._add_object(content)  # pypdf's way to add an object
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _organisation_files(folder: Path, passphrase: str | None = None) -> SigningFiles:
    """An organisation's key, with a certificate issued by its own CA (not
    self-signed), as PEM files; the CA certificate is the chain."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Watchdog CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Watchdog reports")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(ca_key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    files = SigningFiles(
        key=folder / "org-key.pem",
        certificate=folder / "org-cert.pem",
        chain=folder / "org-ca.pem",
        passphrase=passphrase,
    )
    files.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    files.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    assert files.chain is not None
    files.chain.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return files


def test_installation_key_is_made_once_and_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "instance" / "signing"
    files = ensure_installation_key(folder, "Test installation")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in (KEY_NAME, CERTIFICATE_NAME):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    first = certificate_info(files)
    assert first.subject == "CN=Test installation"
    assert ensure_installation_key(folder, "Another name") == files
    assert certificate_info(files).sha256 == first.sha256  # kept, not made again
    assert b"PRIVATE KEY" not in first.pem


def test_processes_racing_to_make_the_key_agree_on_one(tmp_path: Path) -> None:
    folder = tmp_path / "signing"
    start = threading.Barrier(4)
    made: list[str] = []

    def make() -> None:
        start.wait()
        made.append(certificate_info(ensure_installation_key(folder, "Race")).sha256)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 4
    assert len(set(made)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["signing"]  # no staging left over


def test_a_half_missing_key_is_refused_not_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "signing"
    ensure_installation_key(folder, "Test")
    (folder / KEY_NAME).unlink()
    with pytest.raises(SigningError, match=r"key\.pem is missing"):
        ensure_installation_key(folder, "Test")
    assert not (folder / KEY_NAME).exists()


def test_signature_is_found_only_for_known_certificates(tmp_path: Path) -> None:
    files = ensure_installation_key(tmp_path / "signing", "Test")
    info = certificate_info(files)
    signed = sign_report(_small_pdf(), files)
    found = find_signature(signed, frozenset({info.sha256}))
    assert found.valid
    assert found.signer == "CN=Test"
    assert found.signed_at is not None
    stranger = find_signature(signed, frozenset({"0" * 64}))
    assert stranger.present
    assert not stranger.ours
    assert not stranger.valid
    unsigned = find_signature(_small_pdf(), frozenset({info.sha256}))
    assert not unsigned.present
    assert find_signature(b"%PDF-1.7 nothing else", frozenset()).readable is False


def test_a_change_after_signing_breaks_the_certification_for_pyhanko(tmp_path: Path) -> None:
    """pyHanko's full analysis of a later incremental update (too slow for a
    whole report, see tests/test_verify.py) on a small file: the report's
    certification allows signatures and form filling only, so a stamp breaks
    it, and the untouched file passes."""
    files = ensure_installation_key(tmp_path / "signing", "Test")
    signed = sign_report(_small_pdf(), files)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    TextStamp(writer, TextStampStyle(stamp_text="LOW RISK")).apply(0, 10, 10)
    out = io.BytesIO()
    writer.write(out)
    trust = ValidationContext(trust_roots=[load_cert_from_pemder(str(files.certificate))])

    def status(pdf: bytes) -> PdfSignatureStatus:
        [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
        return validate_pdf_signature(signature, trust)

    untouched, stamped = status(signed), status(out.getvalue())
    assert untouched.bottom_line
    assert untouched.docmdp_ok
    assert not stamped.bottom_line
    assert stamped.modification_level == ModificationLevel.OTHER
    assert not stamped.docmdp_ok
    assert "ILLEGAL_MODIFICATIONS" in stamped.summary_fields()


def test_an_organisation_key_with_a_chain_and_passphrase_signs(tmp_path: Path) -> None:
    files = _organisation_files(tmp_path / "org", passphrase="correct horse battery")
    signed = sign_report(_small_pdf(), files)
    info = certificate_info(files)
    assert info.subject == "CN=Watchdog reports"
    assert find_signature(signed, frozenset({info.sha256})).valid

    wrong = SigningFiles(files.key, files.certificate, files.chain, passphrase="wrong")
    with pytest.raises(SigningError, match="cannot be loaded"):
        sign_report(_small_pdf(), wrong)
    other = _organisation_files(tmp_path / "other")
    mismatched = SigningFiles(other.key, files.certificate)
    with pytest.raises(SigningError, match="does not belong"):
        sign_report(_small_pdf(), mismatched)


def test_configuration_names_both_files_or_neither(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.delenv("SIGNING_CERT_FILE", raising=False)
    with pytest.raises(ConfigError, match="both SIGNING_KEY_FILE and SIGNING_CERT_FILE"):
        Config.from_env()
    files = _organisation_files(tmp_path / "org", passphrase="correct horse battery")
    assert files.chain is not None
    monkeypatch.setenv("SIGNING_KEY_FILE", str(files.key))
    monkeypatch.setenv("SIGNING_CERT_FILE", str(files.certificate))
    monkeypatch.setenv("SIGNING_CHAIN_FILE", str(files.chain))
    monkeypatch.setenv("SIGNING_KEY_PASSPHRASE", "correct horse battery")
    config = Config.from_env()
    assert "correct horse" not in repr(config)
    assert signing_files(config) == files
    assert not config.signing_folder.exists()  # no installation key made beside it


def test_app_refuses_an_unusable_organisation_key(config: Config, tmp_path: Path) -> None:
    files = _organisation_files(tmp_path / "org")
    other = _organisation_files(tmp_path / "other")
    bad = config.with_overrides(signing_key_file=other.key, signing_cert_file=files.certificate)
    with pytest.raises(SigningError, match="does not belong"):
        create_app(bad, banks=BANKS)
    good = config.with_overrides(signing_key_file=files.key, signing_cert_file=files.certificate)
    app = create_app(good, banks=BANKS)
    try:
        printed = app.test_cli_runner().invoke(args=["certificate"])
        digest = hashlib.sha256(
            x509.load_pem_x509_certificate(files.certificate.read_bytes()).public_bytes(
                serialization.Encoding.DER
            )
        ).hexdigest()
        assert "Reports are signed by: CN=Watchdog reports" in printed.output
        assert digest.upper()[:2] + ":" + digest.upper()[2:4] in printed.output
    finally:
        app.extensions["assessment"]["engine"].dispose()


def test_init_db_makes_the_installation_key_and_shows_its_fingerprint(app, config: Config) -> None:  # type: ignore[no-untyped-def]
    assert not config.signing_folder.exists()  # not made by merely starting the app
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    info = certificate_info(
        SigningFiles(config.signing_folder / KEY_NAME, config.signing_folder / CERTIFICATE_NAME)
    )
    assert f"Certificate SHA-256 fingerprint: {info.fingerprint}" in result.output
    pem = app.test_cli_runner().invoke(args=["certificate", "--pem"])
    assert pem.stdout_bytes == info.pem
