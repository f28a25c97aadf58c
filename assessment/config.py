"""Application configuration: one typed, frozen object, read from the
environment in one place (:meth:`Config.from_env`) and passed to the factory."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"
DEFAULT_BANK_DIR = PROJECT_ROOT / "questions"
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


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the application reads from outside.  Immutable."""

    secret_key: str = field(repr=False)
    database_url: str
    instance_path: Path = DEFAULT_INSTANCE
    bank_dir: Path = DEFAULT_BANK_DIR
    testing: bool = False
    secure_cookies: bool = False
    max_upload_bytes: int = 5 * 1024 * 1024
    report_workers: int = 2  # processes rendering reports; 0 renders in the request thread
    report_wait_seconds: float = 5.0  # a download waits this long before "being prepared"
    session_idle_minutes: float = 30.0  # a sign-in ends after this long without a request
    session_max_hours: float = 12.0  # and this long after it began, whatever happens
    ratelimit_storage_uri: str = "memory://"  # where sign-in throttling counts attempts
    hashing_slots: int = 2  # password hashes computed at once (each takes 19 MiB)
    hashing_wait_seconds: float = 10.0  # a request waits this long for a slot, then gets a 503
    # Report signing: an organisation's own key and certificate (PEM or DER), else the
    # installation's, made on first use in <instance>/signing/ with ``signer_name``.
    signing_key_file: Path | None = None
    signing_cert_file: Path | None = None
    signing_chain_file: Path | None = None  # intermediate CA certificates, if any
    signing_key_passphrase: str | None = field(default=None, repr=False)
    signer_name: str = DEFAULT_SIGNER_NAME

    @property
    def report_cache_dir(self) -> Path:
        """Rendered reports, by revision, edition and template fingerprint."""
        return self.instance_path / "report-cache"

    @property
    def signing_folder(self) -> Path:
        """The installation's own signing key and certificate (owner-only)."""
        return self.instance_path / "signing"

    @classmethod
    def from_env(cls) -> Config:
        """Read ``DATABASE_URL``, ``SECRET_KEY``, ``INSTANCE_PATH``,
        ``QUESTION_BANK_DIR``, ``SECURE_COOKIES``, ``REPORT_WORKERS``,
        ``REPORT_WAIT_SECONDS``, ``SESSION_IDLE_MINUTES``, ``SESSION_MAX_HOURS``
        ``RATELIMIT_STORAGE_URI`` (else ``REDIS_URL``), and for report signing
        ``SIGNING_KEY_FILE``, ``SIGNING_CERT_FILE``, ``SIGNING_CHAIN_FILE``,
        ``SIGNING_KEY_PASSPHRASE`` and ``SIGNER_NAME``.  Defaults: SQLite in
        ``instance/assessment.sqlite3``, a persisted random secret key, two
        report workers, a five-second wait, sign-ins that end after 30 idle
        minutes or 12 hours, attempts counted in memory, reports signed with
        the installation's own key.

        Raises :class:`ConfigError` for a too-short ``SECRET_KEY``, a
        report setting that is not a number of the right kind, or only one
        of ``SIGNING_KEY_FILE`` and ``SIGNING_CERT_FILE``.
        """
        instance = Path(os.environ.get("INSTANCE_PATH") or DEFAULT_INSTANCE)
        key_file, cert_file = _path("SIGNING_KEY_FILE"), _path("SIGNING_CERT_FILE")
        if (key_file is None) != (cert_file is None):
            raise ConfigError("set both SIGNING_KEY_FILE and SIGNING_CERT_FILE, or neither")
        database_url = os.environ.get("DATABASE_URL") or (
            f"sqlite:///{instance / 'assessment.sqlite3'}"
        )
        return cls(
            secret_key=_secret_key(instance),
            database_url=database_url,
            instance_path=instance,
            bank_dir=Path(os.environ.get("QUESTION_BANK_DIR") or DEFAULT_BANK_DIR),
            secure_cookies=os.environ.get("SECURE_COOKIES", "0") == "1",
            report_workers=_number("REPORT_WORKERS", int, 2),
            report_wait_seconds=_number("REPORT_WAIT_SECONDS", float, 5.0),
            session_idle_minutes=_positive("SESSION_IDLE_MINUTES", 30.0),
            session_max_hours=_positive("SESSION_MAX_HOURS", 12.0),
            ratelimit_storage_uri=(
                os.environ.get("RATELIMIT_STORAGE_URI")
                or os.environ.get("REDIS_URL")
                or "memory://"
            ),
            signing_key_file=key_file,
            signing_cert_file=cert_file,
            signing_chain_file=_path("SIGNING_CHAIN_FILE"),
            signing_key_passphrase=os.environ.get("SIGNING_KEY_PASSPHRASE") or None,
            signer_name=os.environ.get("SIGNER_NAME") or DEFAULT_SIGNER_NAME,
        )

    def with_overrides(self, **changes: object) -> Config:
        """A copy with some fields changed (for tests)."""
        return replace(self, **changes)  # type: ignore[arg-type]  # dataclass fields checked at runtime
