"""Rendered reports are cached by revision, edition and template fingerprint."""

from __future__ import annotations

import stat

import pytest
from flask import Flask

import assessment.report.pool as pool
import assessment.services.reports as reports
from tests.conftest import Browser


@pytest.fixture
def render_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = pool.render_report

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("edition", "full"))
        return original(*args, **kwargs)

    monkeypatch.setattr(pool, "render_report", counting)
    return calls


def test_unchanged_assessment_is_served_from_cache(
    app: Flask, browser: Browser, signup, start_assessment, render_calls, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    url = f"/assessments/{assessment_id}/report.pdf"
    first = browser.get(url).data
    second = browser.get(url).data
    assert second == first
    assert render_calls == ["full"]
    browser.get(url + "?edition=public")
    assert render_calls == ["full", "public"]

    cache_dir = app.extensions["assessment"]["config"].report_cache_dir
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in cache_dir.iterdir())

    section = f"/assessments/{assessment_id}/sections/scoping.programme"
    browser.post(
        section,
        {
            "q-scope.operator": "Changed",
            "q-scope.programme_types": ["payment"],
            "action": "continue",
        },
        page=section,
    )
    changed = browser.get(url).data
    assert changed != first
    assert render_calls == ["full", "public", "full"]

    monkeypatch.setattr(reports, "template_fingerprint", lambda: "new-template")
    browser.get(url)
    assert render_calls == ["full", "public", "full", "full"]


def test_cache_hit_still_records_the_issued_revision(
    app: Flask, browser: Browser, signup, start_assessment, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from assessment.models import ReportRevision

    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    url = f"/assessments/{assessment_id}/report.pdf"
    pdf = browser.get(url).data
    with app.extensions["assessment"]["sessions"]() as session:
        session.query(ReportRevision).delete()
        session.commit()
    assert browser.get(url).data == pdf
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    assert app.test_cli_runner().invoke(args=["verify", str(path)]).exit_code == 0
