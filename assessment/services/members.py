"""An organisation's members: invitations and owner-issued password resets.

Both work by a one-time link: a random 256-bit token of which only the
SHA-256 is stored.  The link is shown once, to the owner who made it (to
copy and pass on), and is also mailed when SMTP is configured.  A link
expires (invitations after :data:`INVITATION_DAYS`, resets after
:data:`RESET_HOURS`) and works once: it is marked used by a single
conditional UPDATE, so of two simultaneous uses exactly one succeeds.

As in :mod:`assessment.services.accounts`, a password is hashed before
anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from assessment.models import Invitation, PasswordReset, Role, User, as_utc, utcnow
from assessment.services.accounts import (
    AccountError,
    check_email_free,
    insert_user,
    new_password_hash,
    normalise_email,
    store_password_hash,
)

INVITATION_DAYS = 7
RESET_HOURS = 24

Reason = Literal["unknown", "expired", "used"]


class LinkUnavailable(Exception):
    """A one-time link that does not work: ``reason`` is ``unknown``,
    ``expired`` or ``used``."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


class MemberNotFound(LookupError):
    """No such member (or invitation) in this organisation."""


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # shown once; only its hash is stored


@dataclass(frozen=True, slots=True)
class IssuedReset:
    reset: PasswordReset
    token: str  # shown once; only its hash is stored


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def members_of(session: Session, organisation_id: int) -> list[User]:
    """The organisation's members, owners first, then by name."""
    order = {Role.OWNER.value: 0, Role.EDITOR.value: 1, Role.REVIEWER.value: 2}
    users = session.scalars(select(User).where(User.organisation_id == organisation_id)).all()
    return sorted(users, key=lambda u: (order.get(u.role, 3), u.name.lower(), u.email))


def member_of(session: Session, organisation_id: int, user_id: int) -> User:
    """Member ``user_id`` of the organisation; raises :class:`MemberNotFound`
    also when the user belongs to another organisation."""
    user = session.get(User, user_id)
    if user is None or user.organisation_id != organisation_id:
        raise MemberNotFound(user_id)
    return user


# --- invitations ----------------------------------------------------------------------


def invite(session: Session, inviter: User, email: str, role: Role) -> IssuedInvitation:
    """Invite ``email`` to ``inviter``'s organisation with ``role``.  An earlier
    pending invitation of the same address to the organisation stops working.

    Raises :class:`AccountError` for an invalid address or one that already
    has an account (an account belongs to one organisation).
    """
    email = normalise_email(email)
    role = Role(role)
    check_email_free(session, email)
    session.execute(
        delete(Invitation).where(
            Invitation.organisation_id == inviter.organisation_id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
        )
    )
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = Invitation(
        organisation_id=inviter.organisation_id,
        email=email,
        role=role.value,
        token_hash=_hash(token),
        created_by_id=inviter.id,
        created_at=now,
        expires_at=now + dt.timedelta(days=INVITATION_DAYS),
    )
    session.add(invitation)
    session.flush()
    return IssuedInvitation(invitation, token)


def pending_invitations(session: Session, organisation_id: int) -> list[Invitation]:
    """Invitations not yet accepted, newest first (expired ones included, marked by
    :func:`is_expired`)."""
    return list(
        session.scalars(
            select(Invitation)
            .where(Invitation.organisation_id == organisation_id, Invitation.accepted_at.is_(None))
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


def is_expired(link: Invitation | PasswordReset) -> bool:
    return as_utc(link.expires_at) <= utcnow()


def revoke_invitation(session: Session, organisation_id: int, invitation_id: int) -> None:
    """Withdraw a pending invitation; raises :class:`MemberNotFound` if the
    organisation has no such pending invitation."""
    result = session.execute(
        delete(Invitation).where(
            Invitation.id == invitation_id,
            Invitation.organisation_id == organisation_id,
            Invitation.accepted_at.is_(None),
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]  # a CursorResult for DELETE
        raise MemberNotFound(invitation_id)


def live_invitation(session: Session, token: str) -> Invitation:
    """The invitation of ``token``; raises :class:`LinkUnavailable`."""
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == _hash(token)))
    if invitation is None:
        raise LinkUnavailable("unknown")
    if invitation.accepted_at is not None:
        raise LinkUnavailable("used")
    if is_expired(invitation):
        raise LinkUnavailable("expired")
    return invitation


def accept_invitation(
    session: Session, token: str, name: str, password: str, language: str = "en"
) -> User:
    """Create the invited member's account with the invitation's address and
    role, its interface in ``language``.

    Raises :class:`LinkUnavailable` (also when the link was used a moment
    earlier), :class:`AccountError` for an empty name or an address that got
    an account meanwhile, :class:`~assessment.services.passwords.WeakPassword`
    and :class:`~assessment.services.passwords.HashingBusy`.
    """
    invitation = live_invitation(session, token)
    name = name.strip()
    if not name:
        raise AccountError(_("Enter your name."))
    check_email_free(session, invitation.email)
    password_hash = new_password_hash(invitation.email, password)  # slow: before writing
    _use(session, Invitation, Invitation.accepted_at, invitation.id)
    return insert_user(
        session,
        invitation.organisation,
        name,
        invitation.email,
        password_hash,
        Role(invitation.role),
        language,
    )


def _use(
    session: Session,
    model: type[Invitation] | type[PasswordReset],
    used: Any,
    row_id: int,
) -> None:
    """Mark a link used, unless it was used or ran out meanwhile (one statement)."""
    now = utcnow()
    result = session.execute(
        update(model)
        .where(model.id == row_id, used.is_(None), model.expires_at > now)
        .values({used: now})
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]  # a CursorResult for UPDATE
        raise LinkUnavailable("used")


# --- password resets ------------------------------------------------------------------


def issue_reset(session: Session, issuer: User, member: User) -> IssuedReset:
    """A password-reset link for ``member``, issued by an owner of the same
    organisation.  Earlier unused links for ``member`` stop working.  The
    member's password and sessions are unchanged until the link is used."""
    if issuer.organisation_id != member.organisation_id:
        raise MemberNotFound(member.id)
    session.execute(
        delete(PasswordReset).where(
            PasswordReset.user_id == member.id, PasswordReset.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    now = utcnow()
    reset = PasswordReset(
        user_id=member.id,
        token_hash=_hash(token),
        created_by_id=issuer.id,
        created_at=now,
        expires_at=now + dt.timedelta(hours=RESET_HOURS),
    )
    session.add(reset)
    session.flush()
    return IssuedReset(reset, token)


def live_reset(session: Session, token: str) -> PasswordReset:
    """The reset of ``token``; raises :class:`LinkUnavailable`."""
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _hash(token)))
    if reset is None:
        raise LinkUnavailable("unknown")
    if reset.used_at is not None:
        raise LinkUnavailable("used")
    if is_expired(reset):
        raise LinkUnavailable("expired")
    return reset


def use_reset(session: Session, token: str, password: str) -> User:
    """Set the member's new password with a reset link; every session of the
    member ends.  Raises :class:`LinkUnavailable`,
    :class:`~assessment.services.passwords.WeakPassword` and
    :class:`~assessment.services.passwords.HashingBusy`."""
    reset = live_reset(session, token)
    user = reset.user
    password_hash = new_password_hash(user.email, password)  # slow: before writing
    _use(session, PasswordReset, PasswordReset.used_at, reset.id)
    store_password_hash(session, user, password_hash)
    return user
