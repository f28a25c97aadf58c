"""Rendered reports are cached, signed, by revision, edition, template fingerprint and
signing certificate."""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


@pytest.mark.database_agnostic
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


# --- a full or read-only cache leaves nothing behind --------------------------------------


def _cache_folder(app: Flask, assessment_id: str) -> Path:
    return app.extensions["assessment"]["config"].report_cache_dir / assessment_id


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def disk_full(monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], None]:
    """Switch a full disk on or off for the report cache: a write of more than
    a few bytes stores half of them, then fails with ENOSPC."""
    real_fdopen = pool.os.fdopen
    full = {"on": False}

    class HalfWritten:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> HalfWritten:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            if full["on"] and len(data) > 100:
                self.handle.write(data[: len(data) // 2])
                self.handle.flush()
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return int(self.handle.write(data))

    monkeypatch.setattr(pool.os, "fdopen", lambda fd, mode: HalfWritten(real_fdopen(fd, mode)))
    return lambda on: full.update(on=on)


@pytest.mark.database_agnostic
def test_full_cache_leaves_no_partial_or_orphan_files(
    app: Flask, browser: Browser, signup, start_assessment, disk_full
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    url = f"/assessments/{assessment_id}/report.pdf"
    reports.signing_files(app.extensions["assessment"]["config"])  # the key first
    disk_full(True)
    failed = browser.get(url)
    assert failed.status_code == 500
    assert "The report could not be made" in failed.get_data(as_text=True)
    assert _names(_cache_folder(app, assessment_id)) == []  # no *.tmp, no lone .sha256
    disk_full(False)
    served = browser.get(url)
    assert served.status_code == 200
    assert [n.rsplit(".", 1)[1] for n in _names(_cache_folder(app, assessment_id))] == [
        "pdf",
        "sha256",
    ]


@pytest.mark.database_agnostic
def test_read_only_cache_gets_the_failure_page(
    app: Flask, browser: Browser, signup, start_assessment, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])

    def read_only(*args: Any, **kwargs: Any) -> int:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    reports.signing_files(app.extensions["assessment"]["config"])  # the key is made beforehand

    monkeypatch.setattr(pool.os, "open", read_only)
    failed = browser.get(f"/assessments/{assessment_id}/report.pdf")
    assert failed.status_code == 500
    assert "The report could not be made" in failed.get_data(as_text=True)
    assert _names(_cache_folder(app, assessment_id)) == []


@pytest.mark.database_agnostic
def test_clean_up_removes_stale_temporaries_and_orphans(
    app: Flask, browser: Browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    """Left by a crash (a killed worker, a power cut): temporaries and files
    without their partner.  Old ones are removed when the assessment's next
    report is made; young ones may be a write in progress and are kept."""
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    url = f"/assessments/{assessment_id}/report.pdf"
    assert browser.get(url).status_code == 200
    folder = _cache_folder(app, assessment_id)
    full = next(n for n in _names(folder) if n.endswith(".pdf"))
    prefix = full[: full.index("full-")]  # the rest names the comments and the base report
    old = time.time() - reports.ORPHAN_SECONDS - 60
    stale = {
        f".{prefix}full.pdf.4242.1.tmp": old,  # a half-written PDF
        f".{prefix}full.sha256.4242.1.tmp": old,
        f"{prefix}x.sha256": old,  # a hash whose PDF never arrived
        f"{prefix}y.pdf": old,  # a PDF without its hash
    }
    young = {f".{prefix}full.pdf.4242.2.tmp": time.time(), f"{prefix}z.sha256": time.time()}
    for name, mtime in {**stale, **young}.items():
        (folder / name).write_bytes(b"partial")
        os.utime(folder / name, (mtime, mtime))
    assert browser.get(url + "?edition=public").status_code == 200  # a render: then the clean-up
    names = _names(folder)
    assert not set(stale) & set(names)
    assert set(young) <= set(names)
    assert full in names
    assert any(n.startswith(f"{prefix}public-") and n.endswith(".pdf") for n in names)
