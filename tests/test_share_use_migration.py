"""Migration 0006 folds one-row-per-use share records into day rows, and back."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import Engine, MetaData, insert, select

from assessment.migrate import alembic_config, upgrade


def _at(day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=dt.UTC)


OLD_USES = [
    (_at(3, 9, 0), "summary"),
    (_at(3, 9, 5), "pdf (public)"),
    (_at(3, 17, 30), "summary"),
    (_at(3, 23, 59), "summary"),
    (_at(4, 0, 0), "summary"),
]


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def test_uses_become_day_rows_and_back(blank_engine: Engine) -> None:
    upgrade(blank_engine, "0003")
    tables = MetaData()
    tables.reflect(blank_engine)
    now = _at(1, 12, 0)
    with blank_engine.begin() as connection:
        organisation = connection.execute(
            insert(tables.tables["organisations"]).values(name="O", created_at=now)
        ).inserted_primary_key[0]
        assessment = connection.execute(
            insert(tables.tables["assessments"]).values(
                uuid="3f1c9a0e-7b7e-4d0c-9d7a-2f8e6b1c4a55",
                organisation_id=organisation,
                title="T",
                programme="P",
                status="draft",
                bank_id="b",
                bank_version="1",
                language="en",
                revision=1,
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]
        link = connection.execute(
            insert(tables.tables["share_links"]).values(
                assessment_id=assessment,
                token_hash="0" * 64,
                edition="public",
                label="",
                created_at=now,
                expires_at=_at(20, 0, 0),
            )
        ).inserted_primary_key[0]
        connection.execute(
            insert(tables.tables["share_uses"]),
            [{"link_id": link, "at": at, "what": what} for at, what in OLD_USES],
        )

    upgrade(blank_engine, "0006")
    days = MetaData()
    days.reflect(blank_engine)
    assert "share_uses" not in days.tables
    table = days.tables["share_use_days"]
    with blank_engine.connect() as connection:
        rows = connection.execute(
            select(
                table.c.link_id,
                table.c.day,
                table.c.what,
                table.c["count"],
                table.c.first_at,
                table.c.last_at,
            ).order_by(table.c.day, table.c.what)
        ).all()
    assert [(r[0], r[1], r[2], r[3], _utc(r[4]), _utc(r[5])) for r in rows] == [
        (link, dt.date(2026, 5, 3), "pdf (public)", 1, _at(3, 9, 5), _at(3, 9, 5)),
        (link, dt.date(2026, 5, 3), "summary", 3, _at(3, 9, 0), _at(3, 23, 59)),
        (link, dt.date(2026, 5, 4), "summary", 1, _at(4, 0, 0), _at(4, 0, 0)),
    ]

    config = alembic_config()
    with blank_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    back = MetaData()
    back.reflect(blank_engine)
    assert "share_use_days" not in back.tables
    uses = back.tables["share_uses"]
    with blank_engine.connect() as connection:
        restored = connection.execute(select(uses.c.what, uses.c.at).order_by(uses.c.id)).all()
    # The same number of uses per day and kind; times between a day's first and
    # last use were not kept, so those uses come back at the day's last time.
    assert sorted((what, _utc(at)) for what, at in restored) == [
        ("pdf (public)", _at(3, 9, 5)),
        ("summary", _at(3, 9, 0)),
        ("summary", _at(3, 23, 59)),
        ("summary", _at(3, 23, 59)),
        ("summary", _at(4, 0, 0)),
    ]
