"""Organisations, users and passwords.

Passwords are hashed with argon2id (argon2-cffi defaults: t=3, m=64 MiB, p=4,
above the OWASP ASVS 5 minimum of m=19 MiB, t=2, p=1).
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessment.db import insert_unless_taken
from assessment.models import Organisation, User

MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
# Verified against when no user matches, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


TAKEN = "An account with this e-mail address already exists."


class AccountError(ValueError):
    """A sign-up or user request that cannot be carried out; the message is for the user."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_new_password(password: str) -> None:
    """Raises :class:`AccountError` if ``password`` is too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")


def normalise_email(email: str) -> str:
    """Trimmed, lower-cased ``email``; raises :class:`AccountError` if it is not an address."""
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise AccountError("Enter a valid e-mail address.")
    return email


def create_organisation_with_user(
    session: Session, organisation_name: str, name: str, email: str, password: str
) -> User:
    """Create an organisation workspace and its first member (role ``owner``).

    Raises :class:`AccountError` for an invalid or taken e-mail address, an
    empty name or a weak password; then no workspace is left behind, also when
    the address was taken by a sign-up at the same moment.
    """
    organisation_name, name = organisation_name.strip(), name.strip()
    if not organisation_name or not name:
        raise AccountError("Enter your name and your organisation's name.")
    _check_new_account(session, email, password)
    organisation = Organisation(name=organisation_name)
    session.add(organisation)
    try:
        return add_user(session, organisation, name, email, password, role="owner")
    except AccountError:
        session.delete(organisation)
        session.flush()
        raise


def _check_new_account(session: Session, email: str, password: str) -> str:
    """The normalised ``email``; raises :class:`AccountError` as for :func:`add_user`."""
    email = normalise_email(email)
    check_new_password(password)
    taken = session.scalar(select(func.count()).select_from(User).where(User.email == email))
    if taken:
        raise AccountError(TAKEN)
    return email


def add_user(
    session: Session,
    organisation: Organisation,
    name: str,
    email: str,
    password: str,
    role: str = "member",
) -> User:
    """Add a user to ``organisation``.  Raises :class:`AccountError` for an
    invalid or taken e-mail address (also when two requests add the same
    address at once: one of them gets the error) or a weak password."""
    email = _check_new_account(session, email, password)
    password_hash = hash_password(password)  # slow: before this transaction writes anything
    session.add(organisation)
    session.flush()
    user_id = insert_unless_taken(
        session,
        User,
        User.email,
        organisation_id=organisation.id,
        name=name.strip() or email,
        email=email,
        password_hash=password_hash,
        role=role,
    )
    if user_id is None:
        raise AccountError(TAKEN)
    return session.get_one(User, user_id)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user with this e-mail address and password, or ``None``.  Upgrades
    the stored hash when the hashing parameters have changed."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
