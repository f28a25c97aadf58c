"""share uses counted per link, day and kind

One row per use made the record grow with every view of a share link
(1,500 views, 1,500 rows).  ``share_use_days`` holds one row per link, day
(UTC) and kind of use, with the number of uses and the first and last time;
the rows of ``share_uses`` are folded into it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 13:30:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_old = sa.table(
    "share_uses",
    sa.column("id", sa.Integer()),
    sa.column("link_id", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("what", sa.String(20)),
)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def upgrade() -> None:
    days = op.create_table(
        "share_use_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("what", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["share_links.id"],
            name=op.f("fk_share_use_days_link_id_share_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_use_days")),
        sa.UniqueConstraint("link_id", "day", "what", name=op.f("uq_share_use_days_link_id")),
    )
    counts: dict[tuple[int, dt.date, str], int] = {}
    first: dict[tuple[int, dt.date, str], dt.datetime] = {}
    last: dict[tuple[int, dt.date, str], dt.datetime] = {}
    rows = op.get_bind().execute(
        sa.select(_old.c.link_id, _old.c.at, _old.c.what).order_by(_old.c.at, _old.c.id)
    )
    for link_id, at, what in rows:
        moment = _utc(at)
        key = (link_id, moment.date(), what)
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, moment)
        last[key] = moment
    if counts:
        op.bulk_insert(
            days,
            [
                {
                    "link_id": link_id,
                    "day": day,
                    "what": what,
                    "count": count,
                    "first_at": first[(link_id, day, what)],
                    "last_at": last[(link_id, day, what)],
                }
                for (link_id, day, what), count in counts.items()
            ],
        )

    with op.batch_alter_table("share_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_uses_link_id"))
    op.drop_table("share_uses")


def downgrade() -> None:
    """Back to one row per use: a day's first use at its first time, the
    others at its last time (the times in between were not kept)."""
    old = op.create_table(
        "share_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("what", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["share_links.id"],
            name=op.f("fk_share_uses_link_id_share_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_uses")),
    )
    with op.batch_alter_table("share_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_uses_link_id"), ["link_id"], unique=False)
    days = sa.table(
        "share_use_days",
        sa.column("link_id", sa.Integer()),
        sa.column("day", sa.Date()),
        sa.column("what", sa.String(20)),
        sa.column("count", sa.Integer()),
        sa.column("first_at", sa.DateTime(timezone=True)),
        sa.column("last_at", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    query = sa.select(
        days.c.link_id, days.c.what, days.c.count, days.c.first_at, days.c.last_at
    ).order_by(days.c.day, days.c.first_at)
    for link_id, what, count, first_at, last_at in bind.execute(query):
        uses = [{"link_id": link_id, "what": what, "at": first_at}]
        uses += [{"link_id": link_id, "what": what, "at": last_at}] * (count - 1)
        op.bulk_insert(old, uses)
    op.drop_table("share_use_days")
