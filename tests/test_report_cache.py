"""Rendered reports are cached, signed, by revision, edition, template fingerprint and
signing certificate."""

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
    folder = cache_dir / assessment_id
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert len(list(folder.iterdir())) == 4  # two editions, each a PDF and its hash
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in folder.iterdir())
    first_revision = {f.name.split("-")[0] for f in folder.iterdir()}

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
    # the earlier revision's reports can never be served again: gone from the cache
    kept = sorted(f.name for f in folder.iterdir())
    assert len(kept) == 2
    assert not {name.split("-")[0] for name in kept} & first_revision

    monkeypatch.setattr(reports, "template_fingerprint", lambda: "newtemplate")
    browser.get(url)
    assert render_calls == ["full", "public", "full", "full"]
    assert all("-newtemplate-" in f.name for f in folder.iterdir())


def test_cache_hit_still_records_the_issued_revision(
    app: Flask, browser: Browser, signup, start_assessment, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import delete, func, select

    from assessment.models import ReportIssue, ReportRevision

    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    url = f"/assessments/{assessment_id}/report.pdf"
    pdf = browser.get(url).data
    sessions = app.extensions["assessment"]["sessions"]
    with sessions() as session:
        session.execute(delete(ReportRevision))
        session.execute(delete(ReportIssue))
        session.commit()
    assert browser.get(url).data == pdf  # the same signed bytes, from the cache
    with sessions() as session:
        for model in (ReportRevision, ReportIssue):
            assert session.scalar(select(func.count()).select_from(model)) == 1
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    assert app.test_cli_runner().invoke(args=["verify", str(path)]).exit_code == 0
