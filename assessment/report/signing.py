"""Signing reports, and reading the signature of a report back.

Every report the tool hands out carries one PAdES signature (baseline B-B,
``ETSI.CAdES.detached``), made with pyHanko as an incremental update: the
bytes WeasyPrint wrote stay as they are, the signature is appended after
them and covers the whole file.  The signature is a certification (author)
signature that allows form filling and further signatures only, so a reader
flags any other change made later.

PDF/A-3 is kept: the signature widget is invisible (zero-sized, print flag
set, as PDF/A requires), and the document's metadata are left untouched
(pyHanko would otherwise rewrite the XMP packet and add itself as producer
to the information dictionary only, which makes the two disagree).

The key and certificate are the installation's own, made on first use
(:func:`ensure_installation_key`): an RSA 3072 key and a self-signed
certificate, owner-only, in ``<instance>/signing/``; or files an
organisation configures (``SIGNING_KEY_FILE`` and ``SIGNING_CERT_FILE``,
see :mod:`assessment.config`).  This module knows nothing of Flask or the
database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

KEY_NAME = "key.pem"
CERTIFICATE_NAME = "certificate.pem"
FIELD_NAME = "ReportSignature"
REASON = "Report issued by this installation; any later change is visible"
CERTIFICATE_YEARS = 10
# a signer certificate must allow signing; readers accept either bit
KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)


class SigningError(RuntimeError):
    """The signing key or certificate cannot be used; the message says why
    (never the key or its passphrase)."""


@dataclass(frozen=True, slots=True)
class SigningFiles:
    """Where the signing key and certificate are.  ``chain``: certificates
    between the signer's and a root, if an organisation's CA issued it."""

    key: Path
    certificate: Path
    chain: Path | None = None
    passphrase: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """What an auditor needs to recognise the signer."""

    subject: str
    sha256: str  # fingerprint of the DER certificate, lower-case hex
    not_before: dt.datetime
    not_after: dt.datetime
    pem: bytes

    @property
    def fingerprint(self) -> str:
        """The SHA-256 fingerprint as PDF readers and ``openssl`` print it:
        upper-case byte pairs separated by colons."""
        return fingerprint_display(self.sha256)


def fingerprint_display(sha256: str) -> str:
    upper = sha256.upper()
    return ":".join(upper[i : i + 2] for i in range(0, len(upper), 2))


def ensure_installation_key(folder: Path, signer_name: str) -> SigningFiles:
    """The installation's key and self-signed certificate in ``folder``,
    made now if they are missing.

    Two processes may get here at once: each builds a complete key pair in a
    private folder of its own and renames it into place; the rename succeeds
    for one of them and the other uses that one.  Files and folder are
    owner-only (0600, 0700)."""
    files = SigningFiles(folder / KEY_NAME, folder / CERTIFICATE_NAME)
    if folder.exists():  # complete: it only ever appears by a rename
        return _complete(files)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f".{folder.name}.{os.getpid()}.{secrets.token_hex(4)}")
    staging.mkdir(mode=0o700)
    key_pem, certificate_pem = _new_key_and_certificate(signer_name)
    for name, data in ((KEY_NAME, key_pem), (CERTIFICATE_NAME, certificate_pem)):
        fd = os.open(staging / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    try:
        staging.rename(folder)
    except OSError:  # another process was first; its key is the installation's
        for name in (KEY_NAME, CERTIFICATE_NAME):
            (staging / name).unlink()
        staging.rmdir()
    return _complete(files)


def _complete(files: SigningFiles) -> SigningFiles:
    for path in (files.key, files.certificate):
        if not path.is_file():
            raise SigningError(
                f"{path} is missing: restore it, or remove its folder to make a new key "
                "(reports signed with the old key then verify by their record only)"
            )
    return files


def _new_key_and_certificate(signer_name: str) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, signer_name)])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * CERTIFICATE_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # "non-repudiation": this document is vouched for
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


def certificate_info(files: SigningFiles) -> CertificateInfo:
    """The signer certificate of ``files``.  Raises :class:`SigningError`."""
    try:
        data = files.certificate.read_bytes()
    except OSError as error:
        raise SigningError(f"cannot read the signing certificate: {error.strerror}") from None
    try:
        certificate = (
            x509.load_pem_x509_certificate(data)
            if data.lstrip().startswith(b"-----")
            else x509.load_der_x509_certificate(data)
        )
    except ValueError:
        raise SigningError(f"{files.certificate} is not an X.509 certificate") from None
    der = certificate.public_bytes(serialization.Encoding.DER)
    return CertificateInfo(
        subject=certificate.subject.rfc4514_string(),
        sha256=hashlib.sha256(der).hexdigest(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        pem=certificate.public_bytes(serialization.Encoding.PEM),
    )


def load_signer(files: SigningFiles) -> signers.SimpleSigner:
    """The pyHanko signer for ``files``.  Raises :class:`SigningError`."""
    for path in (files.key, files.certificate, files.chain):
        if path is not None and not path.is_file():
            raise SigningError(f"signing file {path} does not exist")
    loaded = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]  # pyHanko leaves it untyped
        str(files.key),
        str(files.certificate),
        ca_chain_files=(str(files.chain),) if files.chain else None,
        key_passphrase=files.passphrase.encode() if files.passphrase else None,
    )
    if not isinstance(loaded, signers.SimpleSigner):  # pyHanko logs why and returns None
        raise SigningError(
            "the signing key or certificate cannot be loaded (wrong format or passphrase?)"
        )
    signer = loaded
    key = serialization.load_der_private_key(signer.signing_key.dump(), password=None)
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if signer.signing_cert is None or public != signer.signing_cert.public_key.dump():
        raise SigningError(
            f"the signing key does not belong to the certificate {files.certificate}"
        )
    return signer


class _MetadataKeepingWriter(IncrementalPdfFileWriter):
    """An incremental writer that leaves the document's metadata as they are.

    pyHanko's own update (an internal method, which its author suggests
    overriding for this purpose) rewrites the XMP packet and appends itself to
    the information dictionary's producer but not to the XMP's, which breaks
    PDF/A's rule that the two agree."""

    def _update_meta(self) -> None:
        return None


def sign_report(pdf: bytes, files: SigningFiles, location: str | None = None) -> bytes:
    """``pdf`` with a PAdES B-B certification signature by ``files`` appended
    as an incremental update.  Raises :class:`SigningError`."""
    signer = load_signer(files)
    writer = _MetadataKeepingWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        reason=REASON,
        location=location,
    )
    try:
        output = signers.sign_pdf(writer, metadata, signer=signer)
    except (PdfError, ValueError) as error:
        raise SigningError(f"the report could not be signed ({type(error).__name__})") from None
    signed: bytes = output.getvalue()
    return signed


@dataclass(frozen=True, slots=True)
class SignatureFinding:
    """What the signature of a report says about the file.

    ``ours``: made with a certificate this installation signs with (or
    signed with before); the other fields are only filled in then."""

    present: bool  # the file carries at least one signature
    ours: bool = False
    certificate_sha256: str | None = None
    signer: str | None = None
    signed_at: dt.datetime | None = None
    intact: bool = False  # the signed bytes are unchanged and the signature is sound
    whole_file: bool = False  # ... and it covers the whole file: nothing was added after
    readable: bool = True  # the signature could be read at all

    @property
    def valid(self) -> bool:
        """Our signature, sound, over the whole file."""
        return self.ours and self.intact and self.whole_file


def find_signature(pdf: bytes, known_certificates: frozenset[str]) -> SignatureFinding:
    """Check the signature of ``pdf`` made with one of ``known_certificates``
    (SHA-256 fingerprints, lower-case hex), with pyHanko's validator and
    that certificate as the only trust anchor (pinning).

    Anything added after signing counts (the signature must cover the whole
    file), so pyHanko's analysis of what an incremental update changed is
    skipped: on a tagged report of some 40 pages it takes minutes, which an
    upload to ``/verify`` must not be able to cause.

    Never raises for a damaged file: what cannot be read is reported as
    ``readable=False``."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return SignatureFinding(present=False, readable=False)
    if not signatures:
        return SignatureFinding(present=False)
    for embedded in signatures:
        try:
            certificate: asn1_x509.Certificate = embedded.signer_cert
        except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            continue
        fingerprint = hashlib.sha256(certificate.dump()).hexdigest()
        if fingerprint not in known_certificates:
            continue
        signer = x509.load_der_x509_certificate(certificate.dump()).subject.rfc4514_string()
        try:
            status = validate_pdf_signature(
                embedded,
                ValidationContext(trust_roots=[certificate], allow_fetching=False),
                key_usage_settings=KEY_USAGE,
                skip_diff=True,
            )
        except (PdfError, ValueError, KeyError, TypeError, IndexError):  # pyHanko's errors
            # on a damaged signature are ValueErrors (SignatureValidationError and others)
            return SignatureFinding(
                present=True,
                ours=True,
                certificate_sha256=fingerprint,
                signer=signer,
                readable=False,
            )
        return SignatureFinding(
            present=True,
            ours=True,
            certificate_sha256=fingerprint,
            signer=signer,
            signed_at=embedded.self_reported_timestamp,
            intact=bool(status.intact and status.valid and status.trusted),
            whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        )
    return SignatureFinding(present=True)
