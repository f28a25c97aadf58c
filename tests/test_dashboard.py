"""The dashboard at any size: a page at a time, sorted by a column heading's
link, filtered in the database on summaries kept per revision; the summary
follows every change of the answers, and the number of SQL statements a
dashboard page costs does not grow with the organisation.  A section save
reads the answers once, in one query, after the assessment is taken for
writing, and works out visibility once for the answers as found and once
for the answers as saved (shared with the summary's scoring).  Counted,
not timed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask
from sqlalchemy import Engine, event, select, text, update
from sqlalchemy.orm import Session

from assessment.db import transaction
from assessment.demo import EXAMPLES
from assessment.engine.banks import load_exchange
from assessment.engine.document import AssessmentDocument
from assessment.engine.progress import Visibility, resolve
from assessment.engine.scoring import IMPACT_NUMERALS, METHOD_VERSION, ScoringResult, score
from assessment.engine.summary import summarise
from assessment.forms import field_name
from assessment.migrate import alembic_config, upgrade
from assessment.models import Assessment, AssessmentSummary, Organisation, User
from assessment.services.assessments import import_document
from assessment.services.summaries import refresh_summary
from tests.conftest import Browser
from tests.helpers import BANKS
from tests.html_text import read_page

JUNCTION = load_exchange((EXAMPLES / "junction_cctv.json").read_bytes(), BANKS)  # I, camera
LOCATION = load_exchange((EXAMPLES / "location_tracking.json").read_bytes(), BANKS)  # IV


@dataclasses.dataclass
class Team:
    """An organisation with a signed-in owner, and ways to add assessments."""

    app: Flask
    browser: Browser

    @contextmanager
    def session(self) -> Iterator[Session]:
        with transaction(self.app.extensions["assessment"]["sessions"]) as session:
            yield session

    def add(self, document: AssessmentDocument, *titles: str, summarise: bool = True) -> list[str]:
        """Import ``document`` once per title; with ``summarise``, as the
        import command does (the summary stored at once).  Returns the ids."""
        with self.session() as session:
            organisation = session.scalars(select(Organisation)).one()
            user = session.scalars(select(User)).first()
            ids = []
            for title in titles:
                copy = dataclasses.replace(document, title=title)
                assessment = import_document(session, organisation, copy, user)
                if summarise:
                    session.flush()
                    refresh_summary(session, assessment, BANKS)
                ids.append(assessment.uuid)
            return ids

    def set(self, assessment_id: str, **values: Any) -> None:
        with self.session() as session:
            session.execute(
                update(Assessment).where(Assessment.uuid == assessment_id).values(**values)
            )

    @property
    def engine(self) -> Engine:
        engine: Engine = self.app.extensions["assessment"]["engine"]
        return engine


@pytest.fixture
def team(app: Flask, browser: Browser, signup: Callable[..., Browser]) -> Team:
    signup(browser)
    return Team(app, browser)


def _listing(browser: Browser, url: str) -> list[list[str]]:
    response = browser.get(url)
    assert response.status_code == 200
    _, tables = read_page(response.get_data(as_text=True))
    found = [t for t in tables if t.header_rows and t.header_rows[0][0] == "Title"]
    return found[0].rows if found else []


def _titles(browser: Browser, url: str) -> list[str]:
    return [row[0] for row in _listing(browser, url)]


def _link(page: str, rel_or_label: str) -> str | None:
    """The href of the link with ``rel`` (prev/next) or the heading ``label``."""
    match = re.search(rf'<a href="([^"]+)" rel="{rel_or_label}">', page) or re.search(
        rf'<a href="([^"]+)">{rel_or_label}</a>', page
    )
    return html.unescape(match.group(1)) if match else None


def test_pages_keep_the_search_filters_and_order(team: Team) -> None:
    browser = team.browser
    team.add(JUNCTION, *(f"Junction {n:02}" for n in range(30)))
    team.add(LOCATION, "Location 0", "Location 1", "Location 2")

    first = _titles(browser, "/?q=junction&level=1&sort=title")
    assert first == [f"Junction {n:02}" for n in range(25)]
    page = browser.last_html
    assert "Page 1 of 2 (30 assessments)" in page
    assert _link(page, "prev") is None
    following = _link(page, "next")
    assert following is not None
    assert re.fullmatch(
        r"/\?(?=.*q=junction)(?=.*level=1)(?=.*sort=title)(?=.*page=2).*", following
    )
    assert _titles(browser, following) == [f"Junction {n:02}" for n in range(25, 30)]
    assert _link(browser.last_html, "next") is None
    assert _titles(browser, _link(browser.last_html, "prev") or "") == first

    # the order the other way round, its second page
    assert _titles(browser, "/?level=1&sort=-title&page=2") == [
        f"Junction {n:02}" for n in (4, 3, 2, 1, 0)
    ]
    # past the last page: the last; not a number: the first
    assert _titles(browser, "/?q=junction&page=99") == _titles(browser, "/?q=junction&page=2")
    assert len(_titles(browser, "/?page=x")) == 25
    # the filters, in the database: 3 of 33, one page without page links
    for query in ("level=4", "recommendation=suspend", "type=location", "q=location&status=draft"):
        assert _titles(browser, f"/?{query}&sort=title") == [
            "Location 0",
            "Location 1",
            "Location 2",
        ], query
        assert 'rel="next"' not in browser.last_html
    assert _titles(browser, "/?type=camera&level=4") == []
    assert "No assessment matches" in browser.last_html
    # the search form keeps the order
    assert '<input type="hidden" name="sort" value="title">' in browser.get(
        "/?sort=title"
    ).get_data(as_text=True)


def test_column_headings_sort_both_ways(team: Team) -> None:
    browser = team.browser
    junction, location, third = team.add(JUNCTION, "B junction", "C junction", "A junction")
    team.set(location, status="in_review", reassess_by=dt.date(2030, 1, 1))
    team.set(third, status="issued", reassess_by=dt.date(2029, 1, 1))
    (deep,) = team.add(LOCATION, "D location")
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for days, assessment_id in enumerate((junction, location, third, deep)):
        team.set(assessment_id, updated_at=base + dt.timedelta(days=days))

    assert _titles(browser, "/") == ["D location", "A junction", "C junction", "B junction"]
    default = _titles(browser, "/")
    assert _titles(browser, "/?sort=bogus") == default  # an unknown order: the default
    assert _titles(browser, "/?sort=updated") == [
        "B junction",
        "C junction",
        "A junction",
        "D location",
    ]
    assert _titles(browser, "/?sort=title") == [
        "A junction",
        "B junction",
        "C junction",
        "D location",
    ]
    assert _titles(browser, "/?sort=-level")[0] == "D location"
    assert _titles(browser, "/?sort=level")[-1] == "D location"
    # the workflow's order, not the alphabet's
    assert _titles(browser, "/?sort=status") == [
        "D location",
        "B junction",
        "C junction",
        "A junction",
    ]
    # without a date: last, either way
    assert _titles(browser, "/?sort=reassessment") == [
        "A junction", "C junction", "D location", "B junction"
    ]  # fmt: skip
    assert _titles(browser, "/?sort=-reassessment")[:2] == ["C junction", "A junction"]

    page = browser.get("/?q=junction&sort=title").get_data(as_text=True)
    assert '<th scope="col" aria-sort="ascending"><a href="' in page
    title_link = _link(page, "Title")
    assert title_link is not None
    assert "sort=-title" in title_link
    assert "q=junction" in title_link
    assert _titles(browser, title_link) == ["C junction", "B junction", "A junction"]
    level_link = _link(browser.last_html, "Impact level")
    assert level_link is not None
    assert "sort=-level" in level_link
    assert "q=junction" in level_link
    assert "page=" not in level_link  # a new order starts at the first page


def _review_level(browser: Browser, assessment_id: str) -> str:
    found, _ = read_page(browser.get(f"/assessments/{assessment_id}/review").get_data(as_text=True))
    return found["impact-level"]


@pytest.fixture
def score_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of the engine's score() made to work out a summary."""
    from assessment.engine import summary

    calls: list[str] = []

    def counting_score(*args: Any, **kwargs: Any) -> ScoringResult:
        calls.append("score")
        return score(*args, **kwargs)

    monkeypatch.setattr(summary, "score", counting_score)
    return calls


def test_each_rows_links_lead_to_its_own_assessment(team: Team) -> None:
    ids = dict(zip(("Junction", "Metro"), team.add(JUNCTION, "Junction", "Metro"), strict=True))
    page = team.browser.get("/").get_data(as_text=True)
    for title, assessment_id in ids.items():
        assert f'<a href="/assessments/{assessment_id}/review">{title}</a>' in page
        assert page.count(f'href="/assessments/{assessment_id}/report.pdf"') == 1
    assert "00000000-0000" not in page


def test_a_saved_answer_that_changes_the_level_shows_on_the_dashboard(
    team: Team, score_calls: list[str]
) -> None:
    browser = team.browser
    (assessment_id,) = team.add(JUNCTION, "Junction")
    score_calls.clear()
    assert _listing(browser, "/")[0][3] == "I"
    assert score_calls == []  # read from the kept summary

    url = f"/assessments/{assessment_id}/sections/limitation.legality"
    saved = browser.post(url, {field_name("lim.legal_basis"): "no"}, page=url)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert score_calls == ["score"]  # the save worked the summary out, once
    score_calls.clear()
    row = _listing(browser, "/")[0]
    assert score_calls == []
    assert row[3] == IMPACT_NUMERALS[4] == _review_level(browser, assessment_id)
    assert row[4] == "Suspend the programme"
    assert _titles(browser, "/?level=4") == ["Junction"]
    assert _titles(browser, "/?level=1") == []
    with team.session() as session:
        stored = session.scalars(select(AssessmentSummary)).one()
        assessment = session.scalars(select(Assessment)).one()
        assert (stored.revision, stored.impact_level) == (assessment.revision, 4)


def test_a_stale_or_missing_summary_is_worked_out_again_for_that_row_only(
    team: Team, score_calls: list[str]
) -> None:
    browser = team.browser
    kept = team.add(JUNCTION, "Kept 1", "Kept 2", "Stale")
    (missing,) = team.add(LOCATION, "Missing", summarise=False)
    with team.session() as session:
        session.execute(
            update(AssessmentSummary)
            .where(AssessmentSummary.assessment_id == select(Assessment.id).where(
                Assessment.uuid == kept[2]).scalar_subquery())
            .values(method_version="0", impact_level=3)
        )  # fmt: skip
    score_calls.clear()
    # the stale level III must not be found by a filter, nor the missing one's be left out
    assert _titles(browser, "/?level=3") == []
    assert sorted(_titles(browser, "/?level=1")) == ["Kept 1", "Kept 2", "Stale"]
    assert _titles(browser, "/?level=4") == ["Missing"]
    assert len(score_calls) == 2  # the stale one and the missing one, once each
    score_calls.clear()
    assert len(_titles(browser, "/")) == 4
    assert score_calls == []
    with team.session() as session:
        methods = session.scalars(select(AssessmentSummary.method_version)).all()
        assert methods == [METHOD_VERSION] * 4
        assert missing in session.scalars(select(Assessment.uuid)).all()


def test_workflow_steps_and_evidence_carry_the_summary_on(
    team: Team, score_calls: list[str]
) -> None:
    (assessment_id,) = team.add(JUNCTION, "Junction")
    submit = f"/assessments/{assessment_id}/submit"
    response = team.browser.post(submit, {}, page=submit)
    assert response.status_code == 302, response.get_data(as_text=True)
    score_calls.clear()
    assert _listing(team.browser, "/")[0][2] == "In review"
    assert score_calls == []


def _statements(engine: Engine, action: Callable[[], Any]) -> int:
    count = 0

    def counting(*_args: Any) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counting)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", counting)
    return count


def test_the_dashboard_costs_as_many_statements_for_60_assessments_as_for_5(team: Team) -> None:
    browser = team.browser
    team.add(JUNCTION, *(f"J{n}" for n in range(3)))
    team.add(LOCATION, "L0", "L1")
    browser.get("/")  # sign-in bookkeeping and the like happen once
    small = _statements(team.engine, lambda: browser.get("/?sort=level"))
    team.add(JUNCTION, *(f"J{n}" for n in range(3, 30)))
    team.add(LOCATION, *(f"L{n}" for n in range(2, 30)))
    large = _statements(team.engine, lambda: browser.get("/?sort=level"))
    assert len(_titles(browser, "/?sort=level")) == 25
    assert large == small
    assert small <= 10


def test_the_default_order_is_read_from_an_index_a_page_at_a_time(team: Team) -> None:
    """Latest change first, the dashboard's default, needs no sort of the whole
    organisation: on SQLite the page query walks ix_assessments_organisation_updated."""
    team.add(JUNCTION, *(f"J{n}" for n in range(30)))
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        seen.append((statement, parameters))

    event.listen(team.engine, "before_cursor_execute", keep)
    try:
        assert len(_titles(team.browser, "/")) == 25
    finally:
        event.remove(team.engine, "before_cursor_execute", keep)
    indexes = {index["name"] for index in sa.inspect(team.engine).get_indexes("assessments")}
    assert "ix_assessments_organisation_updated" in indexes
    (page_query,) = [
        (statement, parameters)
        for statement, parameters in seen
        if statement.startswith("SELECT assessments.id, assessments.uuid") and "LIMIT" in statement
    ]
    if team.engine.dialect.name != "sqlite":
        return  # PostgreSQL's planner chooses by the table's size: the index is there
    with team.engine.connect() as connection:
        plan = " / ".join(
            str(row[-1])
            for row in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + page_query[0], page_query[1]
            )
        )
    assert "ix_assessments_organisation_updated" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


COLUMNS = (
    "impact_level",
    "level_low",
    "level_high",
    "recommendation",
    "answered",
    "applicable",
    "percent",
    "programme_types",
    "method_version",
)


def test_migration_0014_fills_the_summaries_of_existing_assessments(blank_engine: Engine) -> None:
    upgrade(blank_engine, "0012")
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    answers = sa.table(
        "answers",
        sa.column("assessment_id", sa.Integer),
        sa.column("question_id", sa.String),
        sa.column("value", sa.JSON),
        sa.column("note", sa.Text),
        sa.column("source", sa.Text),
        sa.column("confidence", sa.String),
        sa.column("confidential", sa.Boolean),
        sa.column("revision", sa.Integer),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    with blank_engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organisations (id, name, created_at) VALUES (1, 'O', :now)"),
            {"now": now},
        )
        for number, (document, version) in enumerate(
            (
                (JUNCTION, JUNCTION.bank_version),
                (LOCATION, LOCATION.bank_version),
                (JUNCTION, "0.1"),
            ),
            start=1,
        ):
            connection.execute(
                text(
                    "INSERT INTO assessments (id, uuid, organisation_id, title, programme, status,"
                    " bank_id, bank_version, language, revision, created_at, updated_at,"
                    " round_start_revision)"
                    " VALUES (:id, :uuid, 1, 'T', 'P', 'draft', :bank, :version, 'en', 7,"
                    " :now, :now, 0)"
                ),
                {
                    "id": number,
                    "uuid": f"00000000-0000-0000-0000-00000000000{number}",
                    "bank": document.bank_id,
                    "version": version,
                    "now": now,
                },
            )
            connection.execute(
                answers.insert(),
                [
                    {
                        "assessment_id": number,
                        "question_id": a.question_id,
                        "value": a.value,
                        "note": a.note,
                        "source": a.source,
                        "confidence": a.confidence.value if a.confidence else None,
                        "confidential": a.confidential,
                        "revision": 7,
                        "updated_at": now,
                    }
                    for a in document.answers
                ],
            )
    upgrade(blank_engine, "0014")
    with blank_engine.connect() as connection:
        summaries = sa.table(
            "assessment_summaries", *(sa.column(c) for c in ("assessment_id", "revision", *COLUMNS))
        )
        rows = connection.execute(sa.select(summaries).order_by(summaries.c.assessment_id)).all()
    expected: list[tuple[Any, ...]] = []
    for number, document in ((1, JUNCTION), (2, LOCATION)):  # 3: bank version 0.1 not installed
        summary = summarise(BANKS.get(document.bank_id, document.bank_version), document)
        values = summary.stored_values()
        expected.append((number, 7, *(values[name] for name in COLUMNS)))
    assert [tuple(r) for r in rows] == expected
    assert [r.impact_level for r in rows] == [1, 4]
    with blank_engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0012")
    assert "assessment_summaries" not in sa.inspect(blank_engine).get_table_names()


LEGALITY = "limitation.legality"


def _record(
    team: Team, monkeypatch: pytest.MonkeyPatch, action: Callable[[], Any]
) -> tuple[list[str], int, Any]:
    """The SQL statements ``action`` runs, the times it works out visibility, its result."""
    from assessment.engine import summary
    from assessment.services import assessments

    resolved = 0

    def counting(*args: Any, **kwargs: Any) -> Visibility:
        nonlocal resolved
        resolved += 1
        return resolve(*args, **kwargs)

    monkeypatch.setattr(assessments, "resolve", counting)
    monkeypatch.setattr(summary, "resolve", counting)
    statements: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(team.engine, "before_cursor_execute", keep)
    try:
        result = action()
    finally:
        event.remove(team.engine, "before_cursor_execute", keep)
    return statements, resolved, result


def _reads(statements: list[str], table: str) -> int:
    return sum(1 for s in statements if s.startswith("SELECT") and f" FROM {table} " in f"{s} ")


def test_a_save_reads_the_answers_once_and_works_out_visibility_once_per_answer_set(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    (assessment_id,) = team.add(JUNCTION, "Junction")
    url = f"/assessments/{assessment_id}/sections/{LEGALITY}"
    team.browser.get(url)
    statements, resolved, reply = _record(
        team, monkeypatch, lambda: team.browser.post(url, {field_name("lim.legal_basis"): "no"})
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)
    assert _reads(statements, "answers") == 1
    assert _reads(statements, "assessments") == 2  # found, then read again once taken
    assert statements.index(next(s for s in statements if s.startswith("UPDATE assessments"))) < (
        statements.index(next(s for s in statements if " FROM answers " in f"{s} "))
    )  # the answers are read after the assessment is taken for writing
    assert resolved == 2  # the answers as found, the answers as saved (and their summary)
    assert sum(1 for s in statements if "assessment_summaries" in s) == 1

    # the same page again, nothing changed: no second visibility, no summary written
    team.browser.get(url)
    form = {field_name("lim.legal_basis"): "no"}
    statements, resolved, reply = _record(team, monkeypatch, lambda: team.browser.post(url, form))
    assert reply.status_code == 302
    assert _reads(statements, "answers") == 1
    assert resolved == 1
    assert not any("assessment_summaries" in s for s in statements)
