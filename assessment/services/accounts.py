"""Organisations, users and passwords.

Passwords are hashed and checked by :mod:`assessment.services.passwords`
(argon2id, m=19 MiB, t=2, p=1, at most two at once).  Every function here
computes a hash *before* it writes anything, so that a database write lock
(SQLite allows one writer at a time) is never held across a hash.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from assessment.db import insert_unless_taken
from assessment.engine.inputs import unstorable_character, unstorable_message
from assessment.models import Organisation, Role, User
from assessment.services.passwords import (
    MIN_PASSWORD_LENGTH,
    WeakPassword,
    check_new_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from assessment.services.sessions import end_all_sessions

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "AccountError",
    "LastOwner",
    "WeakPassword",
    "add_user",
    "authenticate",
    "change_password",
    "create_organisation_with_user",
    "normalise_email",
    "remove_member",
    "set_language",
    "set_password",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


TAKEN = _l("An account with this e-mail address already exists.")


class AccountError(ValueError):
    """A sign-up or user request that cannot be carried out; the message is for the user."""


class LastOwner(AccountError):
    """The change would leave the organisation without an owner."""

    def __init__(self) -> None:
        super().__init__(
            _("An organisation needs at least one owner: make another member owner first.")
        )


def normalise_email(email: str) -> str:
    """Trimmed, lower-cased ``email``; raises :class:`AccountError` if it is not an address."""
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254 or unstorable_character(email):
        raise AccountError(_("Enter a valid e-mail address."))
    return email


def _check_names(*names: str) -> None:
    """Raises :class:`AccountError` for a name the database cannot store
    (the forms refuse these first; this covers the command line)."""
    for name in names:
        message = unstorable_message(name, "A name")
        if message is not None:
            raise AccountError(message)


def _new_password_hash(email: str, password: str) -> str:
    """Check ``password`` for the account ``email`` and hash it.  Raises
    :class:`WeakPassword` or :class:`~assessment.services.passwords.HashingBusy`."""
    check_new_password(password, email)
    return hash_password(password)


def check_email_free(session: Session, email: str) -> None:
    taken = session.scalar(select(func.count()).select_from(User).where(User.email == email))
    if taken:
        raise AccountError(str(TAKEN))


def create_organisation_with_user(
    session: Session,
    organisation_name: str,
    name: str,
    email: str,
    password: str,
    language: str = "en",
) -> User:
    """Create an organisation workspace and its first member (role ``owner``),
    whose interface is in ``language``.

    Raises :class:`AccountError` for an invalid or taken e-mail address or an
    empty name (then no workspace is left behind, also when the address was
    taken by a sign-up at the same moment), :class:`WeakPassword` for a
    password that breaks the rules, and
    :class:`~assessment.services.passwords.HashingBusy` when no hashing slot
    became free.
    """
    organisation_name, name = organisation_name.strip(), name.strip()
    if not organisation_name or not name:
        raise AccountError(_("Enter your name and your organisation's name."))
    _check_names(organisation_name, name)
    email = normalise_email(email)
    check_email_free(session, email)
    password_hash = _new_password_hash(email, password)  # slow: before anything is written
    organisation = Organisation(name=organisation_name)
    session.add(organisation)
    try:
        return insert_user(session, organisation, name, email, password_hash, Role.OWNER, language)
    except AccountError:
        session.delete(organisation)
        session.flush()
        raise


def add_user(
    session: Session,
    organisation: Organisation,
    name: str,
    email: str,
    password: str,
    role: Role = Role.EDITOR,
) -> User:
    """Add a user to ``organisation`` with ``role``.  Raises as
    :func:`create_organisation_with_user`; of two requests adding the same
    address at once, one gets :class:`AccountError`."""
    _check_names(name)
    email = normalise_email(email)
    check_email_free(session, email)
    password_hash = _new_password_hash(email, password)  # slow: before anything is written
    return insert_user(session, organisation, name, email, password_hash, Role(role))


def insert_user(
    session: Session,
    organisation: Organisation,
    name: str,
    email: str,
    password_hash: str,
    role: Role,
    language: str = "en",
) -> User:
    """Insert the user in one statement that does nothing if the address was
    taken meanwhile; raises :class:`AccountError` then."""
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
        role=role.value,
        language=language,
    )
    if user_id is None:
        raise AccountError(str(TAKEN))
    user = session.get_one(User, user_id)
    end_all_sessions(session, user)  # none yet; kept so that every password set ends them
    return user


def set_language(session: Session, user: User, language: str) -> None:
    """Show ``user`` the interface in ``language`` from now on (a code the
    caller has checked against :data:`assessment.i18n.LANGUAGES`)."""
    user.language = language
    session.flush()


def set_password(session: Session, user: User, password: str) -> None:
    """Give ``user`` a new password and end all of their sessions.  Raises
    :class:`WeakPassword` or :class:`~assessment.services.passwords.HashingBusy`."""
    store_password_hash(session, user, new_password_hash(user.email, password))


def new_password_hash(email: str, password: str) -> str:
    """``password`` checked against the rules for the account ``email``, and
    hashed (slow: call it before writing).  Raises :class:`WeakPassword` or
    :class:`~assessment.services.passwords.HashingBusy`."""
    return _new_password_hash(email, password)


def store_password_hash(session: Session, user: User, password_hash: str) -> None:
    """Store a hash made by :func:`new_password_hash`; every session of
    ``user`` ends at once."""
    user.password_hash = password_hash
    end_all_sessions(session, user)
    session.flush()


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """The member's own password change: ``current`` must be their password.
    Every session of ``user`` ends (the caller may start a new one for the
    browser that made the change).  Raises :class:`AccountError` for a wrong
    current password, :class:`WeakPassword`, or
    :class:`~assessment.services.passwords.HashingBusy`."""
    if not verify_password(user.password_hash, current):
        raise AccountError(_("Your current password is not right."))
    if new == current:
        raise WeakPassword(_("The new password must differ from the current one."))
    set_password(session, user, new)


def lock_organisation(session: Session, organisation_id: int) -> None:
    """Serialise changes to an organisation's members until the transaction
    ends: a no-op UPDATE of its row takes the row lock (PostgreSQL) or the
    database's write lock (SQLite), so two owners demoting each other at once
    are counted one after the other."""
    session.execute(
        update(Organisation)
        .where(Organisation.id == organisation_id)
        .values(name=Organisation.name)
        .execution_options(synchronize_session=False)
    )


def owner_count(session: Session, organisation_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.organisation_id == organisation_id, User.role == Role.OWNER.value)
        )
        or 0
    )


def _check_not_last_owner(session: Session, user: User) -> None:
    lock_organisation(session, user.organisation_id)
    session.refresh(user)
    if user.role == Role.OWNER.value and owner_count(session, user.organisation_id) <= 1:
        raise LastOwner()


def change_role(session: Session, user: User, role: Role) -> None:
    """Give ``user`` another role.  Raises :class:`LastOwner` if ``user`` is
    the organisation's only owner and would no longer be one."""
    role = Role(role)
    if role is not Role.OWNER:
        _check_not_last_owner(session, user)
    user.role = role.value
    session.flush()


def remove_member(session: Session, user: User) -> None:
    """Remove ``user`` from their organisation: their account is deleted and
    every browser signed in as them is signed out at once.  Raises
    :class:`LastOwner` for the organisation's only owner."""
    _check_not_last_owner(session, user)
    end_all_sessions(session, user)
    session.delete(user)
    session.flush()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user with this e-mail address and password, or ``None``.  Upgrades
    the stored hash when the hashing parameters have changed.

    Only reads until the password is verified (and any new hash computed).
    Raises :class:`~assessment.services.passwords.HashingBusy`.
    """
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
