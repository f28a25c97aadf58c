"""Read-only share links for auditors.

A link is a random 256-bit token; only its SHA-256 is stored, so the
database never holds a usable link.  Links expire, can be revoked by any
member of the owning organisation, and every use is counted: per link, day
(UTC) and kind of use, with the first and last time (:func:`record_use`), so
the record of a link read thousands of times stays a few rows long.

Revoking and using a link are each one atomic step on the link's row, so a
use that races a revocation is either counted (and served) before it, or
refused; a use is never counted after the revocation time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from assessment.engine.document import EDITIONS
from assessment.models import Assessment, ShareLink, ShareUse, User, as_utc, utcnow

MAX_DAYS = 90
USE_LABELS = {
    "summary": _l("Summary viewed"),
    "pdf (full)": _l("PDF downloaded (full edition)"),
    "pdf (public)": _l("PDF downloaded (public edition)"),
}


class ShareLinkError(ValueError):
    """A share-link request that cannot be carried out; the message is for the user."""


class ShareLinkUnavailable(LookupError):
    """The token is unknown, expired or revoked; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class NewLink:
    link: ShareLink
    token: str  # shown once; never stored


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_link(
    session: Session, assessment: Assessment, user: User, days: int, edition: str, label: str = ""
) -> NewLink:
    """A new link to ``assessment`` valid for ``days`` days.  Raises
    :class:`ShareLinkError` for a period outside 1-90 days or an unknown edition."""
    if not 1 <= days <= MAX_DAYS:
        raise ShareLinkError(_("Choose a validity between 1 and %(max)s days.", max=MAX_DAYS))
    if edition not in EDITIONS:
        raise ShareLinkError(_("Choose the full or the public edition."))
    token = secrets.token_urlsafe(32)
    link = ShareLink(
        token_hash=token_hash(token),
        edition=edition,
        label=label.strip()[:200],
        created_by_id=user.id,
        expires_at=utcnow() + dt.timedelta(days=days),
    )
    link.assessment = assessment
    session.add(link)
    session.flush()
    return NewLink(link, token)


def links_of(session: Session, assessment: Assessment) -> list[ShareLink]:
    return list(
        session.scalars(
            select(ShareLink)
            .where(ShareLink.assessment_id == assessment.id)
            .order_by(ShareLink.id.desc())
        )
    )


def revoke_link(session: Session, assessment: Assessment, link_id: int) -> ShareLink:
    """Revoke link ``link_id`` of ``assessment``.  Raises ``LookupError`` if
    the assessment has no such link."""
    link = session.get(ShareLink, link_id)
    if link is None or link.assessment_id != assessment.id:
        raise LookupError(link_id)
    _take_for_writing(session, link)
    if link.revoked_at is None:  # of several revocations at once, the first sets the time
        link.revoked_at = utcnow()
        session.flush()
    return link


def _take_for_writing(session: Session, link: ShareLink) -> None:
    """Make this transaction the only one that can change ``link`` (revoke
    it or record a use) until it ends, and read it again as last committed.
    A no-op UPDATE locks the row on PostgreSQL and takes the write lock on
    SQLite; a second writer waits."""
    session.execute(
        update(ShareLink)
        .where(ShareLink.id == link.id)
        .values(revoked_at=ShareLink.revoked_at)
        .execution_options(synchronize_session=False)
    )
    session.refresh(link)


def is_live(link: ShareLink, now: dt.datetime | None = None) -> bool:
    moment = now or utcnow()
    return link.revoked_at is None and as_utc(link.expires_at) > moment


def record_use(session: Session, link: ShareLink, what: str) -> None:
    """Count one use of ``link`` (``what``: "summary" or "pdf (<edition>)")
    in today's row for that kind, if the link is still live now, as one step
    with the check: a revocation at the same moment either comes after this
    use or makes it refused.  Raises :class:`ShareLinkUnavailable`
    ("revoked" or "expired").

    The count is one statement (``INSERT ... ON CONFLICT DO UPDATE SET count =
    count + 1``), so uses made at the same moment are all counted and no row
    is doubled.
    """
    _take_for_writing(session, link)
    if link.revoked_at is not None:
        raise ShareLinkUnavailable("revoked")
    now = utcnow()
    if as_utc(link.expires_at) <= now:
        raise ShareLinkUnavailable("expired")
    insert = (
        postgresql.insert(ShareUse)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(ShareUse)  # the only other database the app runs on
    )
    statement = insert.on_conflict_do_update(
        index_elements=[ShareUse.link_id, ShareUse.day, ShareUse.what],
        set_={"count": ShareUse.count + 1, "last_at": insert.excluded.last_at},
    ).values(link_id=link.id, day=now.date(), what=what, count=1, first_at=now, last_at=now)
    session.execute(statement)


def use_label(what: str) -> str:
    """What a use was, in words for the manage page."""
    label = USE_LABELS.get(what)
    return str(label) if label is not None else what


def live_link(session: Session, token: str) -> ShareLink:
    """The live link for ``token``, no use recorded.  Raises
    :class:`ShareLinkUnavailable` ("unknown", "expired" or "revoked")."""
    link = session.scalar(select(ShareLink).where(ShareLink.token_hash == token_hash(token)))
    if link is None:
        raise ShareLinkUnavailable("unknown")
    if link.revoked_at is not None:
        raise ShareLinkUnavailable("revoked")
    if as_utc(link.expires_at) <= utcnow():
        raise ShareLinkUnavailable("expired")
    return link
