"""Application configuration: one typed, frozen object, read from the
environment in one place (:meth:`Config.from_env`) and passed to the factory."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar, cast

from assessment.services.mail import Security, SmtpSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"
DEFAULT_BANK_DIR = PROJECT_ROOT / "questions"
MIB = 1024 * 1024
DEFAULT_SIGNER_NAME = "Rights-impact assessment reports (self-signed)"


class ConfigError(RuntimeError):
    """A configuration value that cannot be used; the message says which."""


def _secret_key(instance_path: Path) -> str:
    """The secret key from ``SECRET_KEY``, else from ``instance/secret_key``,
    created with 32 random bytes on first use (readable by the owner only)."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        if len(from_env) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters long")
        return from_env
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def _path(name: str) -> Path | None:
    raw = os.environ.get(name)
    return Path(raw) if raw else None


N = TypeVar("N", int, float)


def _number(name: str, kind: type[N], default: N) -> N:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number ({kind.__name__}), not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _positive(name: str, default: float) -> float:
    value = _number(name, float, default)
    if value == 0:
        raise ConfigError(f"{name} must be more than 0")
    return value


def _megabytes(name: str, default: float) -> int:
    """A size given in MiB (fractions allowed), as bytes."""
    return int(_positive(name, default) * MIB)


SMTP_SECURITY = ("starttls", "tls", "none")
REPORT_QUEUES = ("pool", "rq")


def _report_queue(redis_url: str | None) -> str:
    """``REPORT_QUEUE``: ``pool`` (the default: each app process renders in
    its own renderer processes) or ``rq`` (RQ workers, through ``REDIS_URL``)."""
    queue = (os.environ.get("REPORT_QUEUE") or "pool").strip().lower()
    if queue not in REPORT_QUEUES:
        raise ConfigError(f"REPORT_QUEUE must be one of {', '.join(REPORT_QUEUES)}")
    if queue == "rq" and not redis_url:
        raise ConfigError("REPORT_QUEUE=rq needs REDIS_URL (the Redis the workers take jobs from)")
    return queue


def _smtp() -> SmtpSettings | None:
    """Mail settings from ``SMTP_HOST``, ``SMTP_PORT`` (587), ``SMTP_USERNAME``,
    ``SMTP_PASSWORD``, ``SMTP_FROM`` (required with a host) and
    ``SMTP_SECURITY`` (``starttls``, ``tls`` or ``none``); ``None`` without a host."""
    host = os.environ.get("SMTP_HOST", "").strip()
    if not host:
        return None
    sender = os.environ.get("SMTP_FROM", "").strip()
    if not sender:
        raise ConfigError("SMTP_FROM must be set with SMTP_HOST (the sender's address)")
    security = os.environ.get("SMTP_SECURITY", "starttls").strip().lower()
    if security not in SMTP_SECURITY:
        raise ConfigError(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}")
    return SmtpSettings(
        host=host,
        sender=sender,
        port=_number("SMTP_PORT", int, 587),
        username=os.environ.get("SMTP_USERNAME", ""),
        password=os.environ.get("SMTP_PASSWORD", ""),
        security=cast(Security, security),
    )


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the application reads from outside.  Immutable."""

    secret_key: str = field(repr=False)
    database_url: str
    instance_path: Path = DEFAULT_INSTANCE
    bank_dir: Path = DEFAULT_BANK_DIR
    testing: bool = False
    secure_cookies: bool = False
    # Reverse proxies in front of the app that each append the client's address to
    # X-Forwarded-For; 0: the connection's address is the client's (no proxy trusted).
    trusted_proxies: int = 0
    max_upload_bytes: int = 5 * MIB  # the largest report /verify accepts
    report_workers: int = 2  # processes rendering reports; 0 renders in the request thread
    report_wait_seconds: float = 1.0  # this long after it began, a download shows "being prepared"
    # Both editions are rendered in the background when an assessment is submitted,
    # approved or issued (off: only when asked for, as most tests want).
    report_background: bool = True
    # How much lower than the web process's the renderers' CPU priority is (nice), so
    # that a render competing with a request for a core gives way.
    report_nice: int = 10
    report_idle_minutes: float = 30.0  # `render-idle` renders what has not changed for this long
    report_queue: str = "pool"  # "pool": renderer processes per app process; "rq": RQ workers
    redis_url: str | None = None  # REDIS_URL: RQ's jobs (and, by default, throttling counters)
    report_store_dir: Path | None = None  # rendered reports; default <instance>/report-cache
    session_idle_minutes: float = 30.0  # a sign-in ends after this long without a request
    session_max_hours: float = 12.0  # and this long after it began, whatever happens
    ratelimit_storage_uri: str = "memory://"  # where sign-in throttling counts attempts
    hashing_slots: int = 2  # password hashes computed at once (each takes 19 MiB)
    hashing_wait_seconds: float = 10.0  # a request waits this long for a slot, then gets a 503
    smtp: SmtpSettings | None = None  # invitation and reset links are also mailed when set
    reading_slots: int = 2  # report PDFs checked at once, each in a process of at most 512 MiB
    reading_wait_seconds: float = 5.0  # a check waits this long for a slot, then gets a 503
    reading_seconds: float = 20.0  # reading one PDF is stopped after this long (a report: ~1 s)
    evidence_file_max_bytes: int = 10 * MIB  # one evidence file
    evidence_assessment_max_bytes: int = 50 * MIB  # all evidence files of one assessment
    # The full report embeds the evidence files when together they are at most this
    # big, else lists them only; it stays below max_upload_bytes so that /verify
    # accepts the report (the report itself takes well under 1 MiB more).
    evidence_embed_max_bytes: int = 3 * MIB

    def check_evidence_limits(self) -> Config:
        """``self``, if its evidence limits fit together; raises
        :class:`ConfigError` for an embedding limit that would make reports
        too big for /verify, or a file limit above the assessment's."""
        if self.evidence_embed_max_bytes > self.max_upload_bytes - MIB:
            raise ConfigError(
                "EVIDENCE_EMBED_MAX_MB must be at least 1 MB below the largest report "
                f"/verify accepts ({self.max_upload_bytes // MIB} MB)"
            )
        if self.evidence_file_max_bytes > self.evidence_assessment_max_bytes:
            raise ConfigError("EVIDENCE_FILE_MAX_MB must not exceed EVIDENCE_ASSESSMENT_MAX_MB")
        return self

    @property
    def request_max_bytes(self) -> int:
        """The largest request body accepted (Flask's ``MAX_CONTENT_LENGTH``):
        the largest upload (a report to verify or an evidence file) and 1 MiB
        for the rest of the form, so that a file just over its own limit gets
        that limit's clear message instead of a bare 413."""
        return max(self.max_upload_bytes, self.evidence_file_max_bytes) + MIB

    @property
    def evidence_dir(self) -> Path:
        """Evidence files: ``<organisation id>/<assessment uuid>/<sha256>``, owner-only."""
        return self.instance_path / "evidence"
    # Report signing: an organisation's own key and certificate (PEM or DER), else the
    # installation's, made on first use in <instance>/signing/ with ``signer_name``.
    signing_key_file: Path | None = None
    signing_cert_file: Path | None = None
    signing_chain_file: Path | None = None  # intermediate CA certificates, if any
    signing_key_passphrase: str | None = field(default=None, repr=False)
    signer_name: str = DEFAULT_SIGNER_NAME

    @property
    def report_cache_dir(self) -> Path:
        """Rendered reports, by revision, edition and template fingerprint:
        ``REPORT_STORE_DIR``, else ``<instance>/report-cache``.  With RQ
        workers, a folder every app server and worker reaches."""
        return self.report_store_dir or self.instance_path / "report-cache"

    @property
    def signing_folder(self) -> Path:
        """The installation's own signing key and certificate (owner-only)."""
        return self.instance_path / "signing"

    @classmethod
    def from_env(cls) -> Config:
        """Read ``DATABASE_URL``, ``SECRET_KEY``, ``INSTANCE_PATH``,
        ``QUESTION_BANK_DIR``, ``SECURE_COOKIES``, ``REPORT_WORKERS``,
        ``REPORT_WAIT_SECONDS``, ``REPORT_BACKGROUND``, ``REPORT_IDLE_MINUTES``,
        ``REPORT_QUEUE`` (with ``REDIS_URL``), ``REPORT_STORE_DIR``,
        ``SESSION_IDLE_MINUTES``, ``SESSION_MAX_HOURS``
        ``RATELIMIT_STORAGE_URI`` (else ``REDIS_URL``), the ``SMTP_*``
        settings (see :func:`_smtp`) and the evidence limits
        ``EVIDENCE_FILE_MAX_MB`` (10), ``EVIDENCE_ASSESSMENT_MAX_MB`` (50) and
        ``EVIDENCE_EMBED_MAX_MB`` (3), and for report signing
        ``SIGNING_KEY_FILE``, ``SIGNING_CERT_FILE``, ``SIGNING_CHAIN_FILE``,
        ``SIGNING_KEY_PASSPHRASE`` and ``SIGNER_NAME``.  Defaults: SQLite in
        ``instance/assessment.sqlite3``, a persisted random secret key, two
        report workers, a one-second wait, both editions rendered in the
        background, renders in the app processes, sign-ins that end after 30 idle
        minutes or 12 hours, attempts counted in memory, reports signed with
        the installation's own key.

        Raises :class:`ConfigError` for a too-short ``SECRET_KEY`` or a
        report setting that is not a number of the right kind, for an
        incomplete or unknown SMTP setting, for ``REPORT_QUEUE=rq`` without
        ``REDIS_URL``, and for evidence limits that do
        not fit together (:meth:`check_evidence_limits`), and for only one
        of ``SIGNING_KEY_FILE`` and ``SIGNING_CERT_FILE``.
        """
        instance = Path(os.environ.get("INSTANCE_PATH") or DEFAULT_INSTANCE)
        key_file, cert_file = _path("SIGNING_KEY_FILE"), _path("SIGNING_CERT_FILE")
        if (key_file is None) != (cert_file is None):
            raise ConfigError("set both SIGNING_KEY_FILE and SIGNING_CERT_FILE, or neither")
        database_url = os.environ.get("DATABASE_URL") or (
            f"sqlite:///{instance / 'assessment.sqlite3'}"
        )
        redis_url = os.environ.get("REDIS_URL") or None
        config = cls(
            secret_key=_secret_key(instance),
            database_url=database_url,
            instance_path=instance,
            bank_dir=Path(os.environ.get("QUESTION_BANK_DIR") or DEFAULT_BANK_DIR),
            secure_cookies=os.environ.get("SECURE_COOKIES", "0") == "1",
            trusted_proxies=_number("TRUSTED_PROXIES", int, 0),
            report_workers=_number("REPORT_WORKERS", int, 2),
            report_wait_seconds=_number("REPORT_WAIT_SECONDS", float, 1.0),
            report_background=os.environ.get("REPORT_BACKGROUND", "1") != "0",
            report_nice=_number("REPORT_NICE", int, 10),
            report_idle_minutes=_positive("REPORT_IDLE_MINUTES", 30.0),
            report_queue=_report_queue(redis_url),
            redis_url=redis_url,
            report_store_dir=_path("REPORT_STORE_DIR"),
            session_idle_minutes=_positive("SESSION_IDLE_MINUTES", 30.0),
            session_max_hours=_positive("SESSION_MAX_HOURS", 12.0),
            ratelimit_storage_uri=(
                os.environ.get("RATELIMIT_STORAGE_URI")
                or redis_url
                or "memory://"
            ),
            smtp=_smtp(),
            evidence_file_max_bytes=_megabytes("EVIDENCE_FILE_MAX_MB", 10),
            evidence_assessment_max_bytes=_megabytes("EVIDENCE_ASSESSMENT_MAX_MB", 50),
            evidence_embed_max_bytes=_megabytes("EVIDENCE_EMBED_MAX_MB", 3),
            signing_key_file=key_file,
            signing_cert_file=cert_file,
            signing_chain_file=_path("SIGNING_CHAIN_FILE"),
            signing_key_passphrase=os.environ.get("SIGNING_KEY_PASSPHRASE") or None,
            signer_name=os.environ.get("SIGNER_NAME") or DEFAULT_SIGNER_NAME,
        )
        return config.check_evidence_limits()

    def with_overrides(self, **changes: object) -> Config:
        """A copy with some fields changed (for tests)."""
        return replace(self, **changes)  # type: ignore[arg-type]  # dataclass fields checked at runtime
