"""The result in the web app: the review page shows the engine's findings
(the report's figures), and the dashboard shows each assessment's result,
narrowed by search and filters, never another organisation's."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from assessment.db import transaction
from assessment.demo import DEMO_EMAIL, DEMO_FILE, DEMO_PASSWORD, EXAMPLES
from assessment.engine.banks import load_exchange
from assessment.engine.document import AssessmentDocument
from assessment.engine.scoring import (
    RECOMMENDATION_LABELS,
    RISK_LABELS,
    VERDICT_LABELS,
    ScoringResult,
    score,
)
from assessment.models import Organisation, User
from assessment.services.assessments import import_document
from tests.conftest import Browser
from tests.helpers import BANKS
from tests.html_text import read_page, table

JUNCTION = EXAMPLES / "junction_cctv.json"
LOCATION = EXAMPLES / "location_tracking.json"
CARDS = EXAMPLES / "card_data_tracing.json"


def _exchange(path: Any, **changes: Any) -> bytes:
    """The exchange file at ``path``; ``title`` changes the title, and
    ``answers`` (question id -> value) replaces or adds answers."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if "title" in changes:
        data["assessment"]["title"] = changes["title"]
    for question_id, value in changes.get("answers", {}).items():
        data["answers"] = [a for a in data["answers"] if a["question"] != question_id]
        data["answers"].append(
            {
                "question": question_id,
                "value": value,
                "note": "",
                "source": "",
                "confidence": None,
                "confidential": False,
            }
        )
    return json.dumps(data).encode()


def _import(app: Flask, organisation_name: str, exchange: bytes) -> str:
    """Import ``exchange`` into the named organisation; returns the new id."""
    with transaction(app.extensions["assessment"]["sessions"]) as session:
        organisation = session.scalars(
            select(Organisation).where(Organisation.name == organisation_name)
        ).one()
        user = session.scalars(select(User).where(User.organisation_id == organisation.id)).first()
        return import_document(session, organisation, load_exchange(exchange, BANKS), user).uuid


def _expected(exchange: bytes) -> tuple[AssessmentDocument, ScoringResult]:
    """The engine's result for ``exchange``, worked out here without the app."""
    document = load_exchange(exchange, BANKS)
    bank = BANKS.get(document.bank_id, document.bank_version)
    values = document.answer_values()
    return document, score(bank, values, document.confidences(), document.language)


@pytest.fixture
def demo(app: Flask) -> Browser:
    """The demo organisation (the Moscow cameras), signed in."""
    app.test_cli_runner().invoke(args=["seed-demo"])
    browser = Browser(app.test_client())
    response = browser.post(
        "/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, page="/login"
    )
    assert response.status_code == 302
    return browser


# An unknown answer about vulnerable groups leaves the junction's level open
# between I and II, and a planned measure gives it an action plan.
UNCERTAIN_JUNCTION = {
    "title": "Junction with an open question",
    "answers": {
        "rights.vulnerable_groups": ["unknown"],
        "safe.actions": [
            {
                "measure": "Signs at every approach",
                "addresses": "privacy",
                "owner": "Transport office",
                "due": "2026-06-30",
                "status": "planned",
            }
        ],
    },
}


@pytest.mark.parametrize("case", ["demo", "junction", "uncertain junction"])
def test_review_page_shows_the_engines_result(app: Flask, demo: Browser, case: str) -> None:
    if case == "demo":
        exchange = DEMO_FILE.read_bytes()
        assessment_id = load_exchange(exchange, BANKS).uuid
    else:
        exchange = _exchange(JUNCTION, **(UNCERTAIN_JUNCTION if case != "junction" else {}))
        assessment_id = _import(app, "Demo Human Rights Group", exchange)
    document, expected = _expected(exchange)
    bank = BANKS.get(document.bank_id, document.bank_version)

    response = demo.get(f"/assessments/{assessment_id}/review")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    texts, tables = read_page(html)

    # The summary comes first: before the first answer.
    assert html.index('id="impact-level"') < html.index('id="answers"')
    assert texts["impact-level"] == expected.impact_numeral
    assert texts["recommendation"] == RECOMMENDATION_LABELS[expected.recommendation]
    low, high = expected.range_numerals
    if low == high:
        assert texts["impact-range"].startswith(f"{low} whatever")
    else:
        assert texts["impact-range"].startswith(f"{low}-{high}: {low} on the known answers only")
    assert texts["completeness"].startswith(f"{expected.completeness}%")

    steps = table(tables, "limitation-test").rows
    assert len(steps) == len(expected.steps) == len(bank.steps)
    for row, finding in zip(steps, expected.steps, strict=True):
        assert row[0].startswith(bank.step(finding.step_id).label.get_text("en"))
        verdict = VERDICT_LABELS[finding.verdict]
        if finding.presumed:
            verdict += " (burden of proof on the state)"
        assert row[1].endswith(verdict), (row, finding.verdict)

    rights = table(tables, "rights").rows
    codes = {}
    for number, (row, finding) in enumerate(zip(rights, expected.rights, strict=True), 1):
        assert f"R{number} {bank.right(finding.right_id).label.get_text('en')}" == row[0]
        if finding.counted:
            codes[finding.right_id] = f"R{number}"
            assert row[1].startswith(RISK_LABELS[finding.inherent] + " ")
            assert row[2].startswith(RISK_LABELS[finding.residual] + " ")
            assert row[3] == finding.confidence

    # The heat maps: a table with words in every cell, the rights by code.
    for caption, kind in (
        ("Inherent risk (before safeguards)", "inherent"),
        ("Residual risk (after safeguards)", "residual"),
    ):
        heatmap = table(tables, caption)
        assert heatmap.header_rows[0][1:] == [
            "Likelihood 1 Negligible",
            "Likelihood 2 Limited",
            "Likelihood 3 Significant",
            "Likelihood 4 Maximum",
        ]
        for finding in expected.rights:
            if not finding.counted:
                continue
            severity = finding.severity if kind == "inherent" else finding.residual_severity
            likelihood = finding.likelihood if kind == "inherent" else finding.residual_likelihood
            row = heatmap.rows[4 - severity]
            assert row[0].startswith(f"Severity {severity}")
            assert codes[finding.right_id] in re.findall(r"R\d+", row[likelihood]), caption
        assert all(
            cell.split(" R")[0] in RISK_LABELS.values() for row in heatmap.rows for cell in row[1:]
        )

    gaps = html.split('id="gaps"', 1)[1].split('id="action-plan"', 1)[0]
    if expected.unknown_decisive:
        assert "Unknown answers that decide the level" in gaps
        for question_id in expected.unknown_decisive:
            assert bank.question(question_id).text.get_text("en") in gaps
    else:
        assert "No unknown answer decides the level." in gaps
    if case == "uncertain junction":
        assert expected.unknown_decisive == ("rights.vulnerable_groups",)
        assert table(tables, "action-plan").rows == [
            [
                "Signs at every approach",
                "Privacy and data protection",
                "Transport office",
                "2026-06-30",
                "Planned",
            ]
        ]


def test_review_answers_are_compact_with_notes_and_sources(app: Flask, demo: Browser) -> None:
    document = load_exchange(DEMO_FILE.read_bytes(), BANKS)
    bank = BANKS.get(document.bank_id, document.bank_version)
    html = demo.get(f"/assessments/{document.uuid}/review").get_data(as_text=True)
    answers = html.split('id="answers"', 1)[1]
    sections = re.findall(r'<details class="review-section"( open)?>', answers)
    assert len(sections) >= 10
    assert not any(sections), "a complete section starts closed"
    noted = next(a for a in document.answers if a.note and a.source and not a.confidential)
    assert str(json.dumps(noted.note))[1:-1].split("(")[0][:40] in answers.replace("&#39;", "'")
    assert noted.source[:40] in answers.replace("&#39;", "'")
    title = bank.section(bank.question(noted.question_id).section_id).title.get_text("en")
    assert f'<span class="section-title">{title}</span>' in answers


def test_review_opens_sections_with_missing_required_answers(
    browser: Browser, signup: Callable[..., Browser], start_assessment: Callable[..., str]
) -> None:
    signup(browser)
    assessment_id = start_assessment(browser, ["camera"])
    html = browser.get(f"/assessments/{assessment_id}/review").get_data(as_text=True)
    texts, _ = read_page(html)
    assert "required missing" in html
    assert '<details class="review-section" open>' in html
    assert "Provisional" in html
    assert texts["impact-level"] in ("I", "II", "III", "IV")


def _dashboard_titles(browser: Browser, query: str = "") -> list[str]:
    response = browser.get("/" + query)
    assert response.status_code == 200
    _, tables = read_page(response.get_data(as_text=True))
    listing = [t for t in tables if t.header_rows and t.header_rows[0][0] == "Title"]
    return [row[0] for row in listing[0].rows] if listing else []


@pytest.fixture
def two_organisations(
    app: Flask, demo: Browser, make_browser: Callable[[], Browser], signup: Callable[..., Browser]
) -> dict[str, Any]:
    """The demo organisation with three assessments, and another organisation
    with two of its own, one on the same programme as the demo's junction."""
    junction = _import(app, "Demo Human Rights Group", JUNCTION.read_bytes())
    _import(app, "Demo Human Rights Group", LOCATION.read_bytes())
    other = signup(make_browser(), email="lena@example.org", organisation="Other Watch")
    _import(app, "Other Watch", _exchange(JUNCTION, title="Other Watch junction"))
    _import(app, "Other Watch", _exchange(CARDS, title="Other Watch cards"))
    titles = {
        name: load_exchange(path.read_bytes(), BANKS).title
        for name, path in (("moscow", DEMO_FILE), ("junction", JUNCTION), ("location", LOCATION))
    }
    return {"demo": demo, "other": other, "titles": titles, "junction_id": junction}


def test_dashboard_shows_each_result(two_organisations: dict[str, Any]) -> None:
    demo, titles = two_organisations["demo"], two_organisations["titles"]
    html = demo.get("/").get_data(as_text=True)
    _, tables = read_page(html)
    listing = next(t for t in tables if t.header_rows and t.header_rows[0][0] == "Title")
    assert listing.header_rows[0][:8] == [
        "Title",
        "Programme",
        "Status",
        "Impact level",
        "Recommendation",
        "Progress",
        "Reassessment due",
        "Last change",
    ]
    rows = {row[0]: row for row in listing.rows}
    assert set(rows) == set(titles.values())
    for name, path in (("moscow", DEMO_FILE), ("junction", JUNCTION), ("location", LOCATION)):
        _, expected = _expected(path.read_bytes())
        row = rows[titles[name]]
        assert row[2] == "Draft"
        assert row[3] == expected.impact_numeral
        assert row[4] == RECOMMENDATION_LABELS[expected.recommendation]
        assert row[6] == "Not set"  # no reassessment date until the issue workflow sets one


def test_dashboard_search_and_filters_narrow_the_list(two_organisations: dict[str, Any]) -> None:
    demo, titles = two_organisations["demo"], two_organisations["titles"]
    everything = set(titles.values())
    assert set(_dashboard_titles(demo, "?q=")) == everything
    assert _dashboard_titles(demo, "?q=JUNCTION") == [titles["junction"]]  # case does not matter
    assert _dashboard_titles(demo, "?q=Social+Monitoring") == [titles["location"]]  # programme
    assert _dashboard_titles(demo, "?q=100%25") == []  # % is text, not a wildcard
    assert _dashboard_titles(demo, "?level=1") == [titles["junction"]]
    assert set(_dashboard_titles(demo, "?level=4")) == {titles["moscow"], titles["location"]}
    assert set(_dashboard_titles(demo, "?recommendation=suspend")) == {
        titles["moscow"],
        titles["location"],
    }
    assert set(_dashboard_titles(demo, "?type=camera")) == {titles["moscow"], titles["junction"]}
    assert _dashboard_titles(demo, "?type=location&level=4&status=draft") == [titles["location"]]
    assert _dashboard_titles(demo, "?status=in_review") == []
    assert "No assessment matches" in demo.last_html
    # the whole form, as a browser sends it with nothing chosen
    assert set(_dashboard_titles(demo, "?q=&status=&level=&recommendation=&type=")) == everything


def test_dashboard_refuses_bad_filters_clearly_and_keeps_the_search(
    two_organisations: dict[str, Any],
) -> None:
    demo, titles = two_organisations["demo"], two_organisations["titles"]
    assert _dashboard_titles(demo, "?q=junc&level=9") == [titles["junction"]]
    html = demo.last_html
    assert "Not a valid choice" in html
    assert 'value="junc"' in html
    everything = _dashboard_titles(demo)
    assert _dashboard_titles(demo, "?q=" + "x" * 201) == everything
    assert "Field cannot be longer than 200 characters" in demo.last_html
    assert 'value="' + "x" * 201 + '"' in demo.last_html


def test_dashboard_never_lists_another_organisations_assessments(
    two_organisations: dict[str, Any],
) -> None:
    demo, other = two_organisations["demo"], two_organisations["other"]
    for query in ("", "?q=Other+Watch", "?type=payment", "?level=4", "?q=junction"):
        assert not any("Other Watch" in t for t in _dashboard_titles(demo, query)), query
    assert set(_dashboard_titles(other)) == {"Other Watch junction", "Other Watch cards"}
    assert _dashboard_titles(other, "?q=moscow") == []
    response = other.get(f"/assessments/{two_organisations['junction_id']}/review")
    assert response.status_code == 404


def test_each_assessment_is_scored_once_per_request(
    two_organisations: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One call to the engine's score() for the review page; the dashboard
    scores only the assessments without a summary (here the three imported
    ones, once) and after that none."""
    from assessment.engine import summary
    from assessment.report import context

    calls: list[str] = []

    def counting_score(*args: Any, **kwargs: Any) -> ScoringResult:
        calls.append("score")
        return score(*args, **kwargs)

    monkeypatch.setattr(summary, "score", counting_score)
    monkeypatch.setattr(context, "score", counting_score)
    demo = two_organisations["demo"]
    assert demo.get(f"/assessments/{two_organisations['junction_id']}/review").status_code == 200
    assert len(calls) == 1
    calls.clear()
    assert len(_dashboard_titles(demo)) == 3
    assert len(calls) == 2  # the demo's own summary was stored when it was seeded
    calls.clear()
    assert len(_dashboard_titles(demo)) == 3
    assert calls == []


def test_share_summary_shows_the_same_result_as_the_review_page(app: Flask, demo: Browser) -> None:
    """The confidence given to each answer counts: without it, this scenario
    would read III instead of II (as the auditor's summary once did)."""
    exchange = (EXAMPLES / "gps_suspect_court_order.json").read_bytes()
    _, expected = _expected(exchange)
    document = load_exchange(exchange, BANKS)
    bank = BANKS.get(document.bank_id, document.bank_version)
    unweighted = score(bank, document.answer_values(), language=document.language)
    assert (expected.impact_numeral, unweighted.impact_numeral) == ("II", "III")

    assessment_id = _import(app, "Demo Human Rights Group", exchange)
    review, _ = read_page(demo.get(f"/assessments/{assessment_id}/review").get_data(as_text=True))
    assert review["impact-level"] == "II"
    manage = f"/assessments/{assessment_id}/shares"
    created = demo.post(manage, {"days": "7", "edition": "full"}, page=manage)
    link = re.search(
        r'class="share-url" type="text" readonly value="http://localhost(/s/[A-Za-z0-9_-]+)"',
        created.get_data(as_text=True),
    )
    assert link
    summary = Browser(app.test_client()).get(link.group(1)).get_data(as_text=True)
    assert "<dt>Overall impact level</dt><dd><strong>II</strong></dd>" in summary
    assert f"<strong>{RECOMMENDATION_LABELS[expected.recommendation]}</strong>" in summary
