"""Server-side sign-in sessions.

The browser's (signed) cookie carries only a random session id; the
database keeps its SHA-256, the user, when the session began and when it was
last used.  Every request looks the id up, so deleting the row signs the
browser out at once: on sign-out, on a password change, on removal of the
member.  A session also ends after ``idle`` without a request and after
``max_age`` in all.  ``last_seen_at`` is written at most once a minute per
session, so that browsing does not turn every request into a write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from assessment.models import User, UserSession, as_utc, utcnow

TOUCH_INTERVAL = dt.timedelta(minutes=1)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(session: Session, user: User) -> str:
    """Record a new session for ``user``; returns the id for the cookie.
    The user's sessions that ended by time are deleted on the way."""
    now = utcnow()
    session_id = secrets.token_urlsafe(32)
    session.add(UserSession(id_hash=_hash(session_id), user=user, created_at=now, last_seen_at=now))
    session.flush()
    return session_id


def purge_expired(session: Session, user: User, idle: dt.timedelta, max_age: dt.timedelta) -> None:
    """Delete ``user``'s sessions that have run out."""
    now = utcnow()
    session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            (UserSession.last_seen_at < now - idle) | (UserSession.created_at < now - max_age),
        )
    )


def load_session(
    session: Session, session_id: str, idle: dt.timedelta, max_age: dt.timedelta
) -> tuple[User, int | None] | None:
    """The user of a live session with id ``session_id``, and the session's
    row id if its ``last_seen_at`` should be brought up to date (see
    :func:`touch_session`); ``None`` if there is no such session or it ran out."""
    record = session.scalar(select(UserSession).where(UserSession.id_hash == _hash(session_id)))
    if record is None:
        return None
    now = utcnow()
    last_seen, created = as_utc(record.last_seen_at), as_utc(record.created_at)
    if now - last_seen > idle or now - created > max_age:
        return None
    return record.user, (record.id if now - last_seen > TOUCH_INTERVAL else None)


def touch_session(session: Session, record_id: int) -> None:
    """Note that session ``record_id`` was used now.  The web layer calls it
    at the end of the request, so that the write is the transaction's last."""
    session.execute(
        update(UserSession).where(UserSession.id == record_id).values(last_seen_at=utcnow())
    )


def end_session(session: Session, session_id: str) -> None:
    """End the session with id ``session_id`` (nothing if there is none)."""
    session.execute(delete(UserSession).where(UserSession.id_hash == _hash(session_id)))


def end_all_sessions(session: Session, user: User) -> None:
    """Sign ``user`` out everywhere, at once."""
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
