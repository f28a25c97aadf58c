"""Password hashing and the rules a new password must meet.

Hashing uses argon2id with OWASP's first recommended setting (m=19 MiB, t=2,
p=1), which fits a small two-core server.  At most two (``Config.hashing_slots``)
hashes are computed at once in a process: each one holds 19 MiB for its
duration, so a burst of sign-ins cannot swell the server's memory.  A
request that waits longer than the configured time for a slot gets
:class:`HashingBusy` (the web layer answers 503).  Hashes made with other
parameters still verify and are upgraded when their owner next signs in.

The rules follow ASVS 5 (V6.2): at least 12 characters (15 or more
recommended), up to 128 so that passphrases fit, no composition rules; not a
common or breached password from the bundled list (``assessment/data/``),
not one character or a short pattern repeated, not a keyboard or alphabet
sequence, not containing the local part of the account's e-mail address.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

MIN_PASSWORD_LENGTH = 12
RECOMMENDED_PASSWORD_LENGTH = 15
MAX_PASSWORD_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"

# OWASP Password Storage Cheat Sheet, argon2id: "m=19456 (19 MiB), t=2, p=1".
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

_slot_count = 2
_slots = threading.BoundedSemaphore(_slot_count)
_wait_seconds = 10.0
# Verified against when no user matches, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")

_SEQUENCES = (
    "0123456789",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)


class HashingBusy(RuntimeError):
    """No hashing slot became free in time; the request should be retried."""


class WeakPassword(ValueError):
    """A new password that does not meet the rules; the message is for the user."""


def configure_hashing(slots: int, wait_seconds: float) -> None:
    """Allow ``slots`` hashes at once in this process, each request waiting
    at most ``wait_seconds`` for one.  Called by the application factory."""
    global _slot_count, _slots, _wait_seconds
    slots = max(1, slots)
    if slots != _slot_count:  # a hash in progress releases the semaphore it took
        _slot_count, _slots = slots, threading.BoundedSemaphore(slots)
    _wait_seconds = wait_seconds


@contextmanager
def hashing_slot() -> Iterator[None]:
    """Hold one of the process's hashing slots.  Raises :class:`HashingBusy`."""
    slots = _slots
    if not slots.acquire(timeout=_wait_seconds):
        raise HashingBusy("the server is busy signing other people in")
    try:
        yield
    finally:
        slots.release()


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``.  Raises :class:`HashingBusy`."""
    with hashing_slot():
        return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (``None``: no such user,
    checked against a dummy hash so that it takes as long).  Raises
    :class:`HashingBusy`."""
    with hashing_slot():
        try:
            _hasher.verify(stored_hash or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return False
    return stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    """Whether ``stored_hash`` was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common and breached passwords, lower-cased."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def _repeated_unit(password: str) -> str | None:
    """The shortest unit that ``password`` repeats (``"passwordpass"`` ->
    ``"password"``, ``"abcabcabcabc"`` -> ``"abc"``), or ``None``."""
    for period in range(1, len(password)):
        if all(password[i] == password[i - period] for i in range(period, len(password))):
            return password[:period]
    return None


def _is_sequence(password: str) -> bool:
    for sequence in _SEQUENCES:
        cycle = sequence * (len(password) // len(sequence) + 2)
        if password in cycle or password in cycle[::-1]:
            return True
    return False


def check_new_password(password: str, email: str = "") -> None:
    """Raises :class:`WeakPassword`, saying why, unless ``password`` meets
    the rules above for the account with address ``email``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            _(
                "Use a password of at least %(min)s characters (%(better)s or more is better:"
                " a few unrelated words work well).",
                min=MIN_PASSWORD_LENGTH,
                better=RECOMMENDED_PASSWORD_LENGTH,
            )
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            _("Use a password of at most %(max)s characters.", max=MAX_PASSWORD_LENGTH)
        )
    lowered = password.lower()
    squeezed = "".join(lowered.split())
    common = common_passwords()
    if _is_sequence(lowered) or _is_sequence(squeezed):
        raise WeakPassword(_("This password is a simple sequence; choose a harder one to guess."))
    unit = _repeated_unit(lowered)
    if unit is not None and (len(unit) <= 4 or unit in common):
        raise WeakPassword(
            _("This password repeats a short pattern; choose a harder one to guess.")
        )
    squeezed = "".join(lowered.split())
    base = lowered.rstrip("0123456789!?.,;:-_+*#@$%&/ ")
    if lowered in common or squeezed in common or (base != lowered and base in common):
        raise WeakPassword(
            _("This password is on a list of common or leaked passwords; choose another.")
        )
    local_part = email.strip().lower().partition("@")[0]
    if len(local_part) >= 3 and local_part in lowered:
        raise WeakPassword(_("The password must not contain your e-mail address; choose another."))
