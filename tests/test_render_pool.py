"""Reports render in worker processes: a download never holds the web process
while a report renders, two requests share one render, failures are reported
without assessment text."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

from assessment.config import DEFAULT_BANK_DIR, PROJECT_ROOT, Config
from assessment.engine.answers import Answer
from assessment.engine.loader import load_bank_cached
from assessment.models import ReportIssue, ReportRevision, ShareUse
from assessment.report.pool import RenderFailed, RenderJob, ReportRenderer, read_stored
from tests.conftest import Browser
from tests.helpers import make_document

pytestmark = pytest.mark.database_agnostic
BANK = load_bank_cached(str(DEFAULT_BANK_DIR))
SECRET = "Informant Ivanova at the metro depot"


def _job(target: Path, bank_version: str = BANK.version) -> RenderJob:
    document = make_document(
        Answer("scope.programme_types", ["payment"]),
        Answer("desc.purpose", SECRET, note=SECRET),
        title="Card data",
    )
    return RenderJob(document, "full", (), target, BANK.id, bank_version)


@pytest.fixture
def renderer() -> Iterator[ReportRenderer]:
    pool = ReportRenderer(BANK, DEFAULT_BANK_DIR, workers=1, nice=0)
    yield pool
    pool.shutdown()


def test_worker_renders_into_the_cache_shares_one_render_per_target_and_is_replaced(
    tmp_path: Path,
) -> None:
    """One pool for the three promises (each render costs seconds): a render
    lands in the cache, owner-only; two requests for one target share one
    render; and a worker is replaced after its share of renders (here two)."""
    renderer = ReportRenderer(BANK, DEFAULT_BANK_DIR, workers=1, renders_per_worker=2, nice=0)
    try:
        target = tmp_path / "cache" / "report.pdf"
        other_target = tmp_path / "cache" / "other.pdf"
        first = renderer.submit(_job(target))
        again = renderer.submit(_job(target))
        assert again is first
        other = renderer.submit(_job(other_target))
        assert other is not first
        sha256 = first.result(timeout=120)
        stored = read_stored(target)
        assert stored is not None
        assert stored.sha256 == sha256
        assert PdfReader(io.BytesIO(stored.pdf)).attachments["assessment.json"]
        assert (target.parent.stat().st_mode & 0o777) == 0o700
        pids = [renderer.worker_pids()]
        assert len(pids[0]) == 1

        other.result(timeout=120)
        assert read_stored(other_target) is not None
        pids.append(renderer.worker_pids())
        assert pids[1] == pids[0]  # the same worker, within its share

        third = renderer.submit(_job(target))
        assert third is not first  # done: a new request renders anew
        third.result(timeout=120)
        pids.append(renderer.worker_pids())
        assert pids[2] != pids[0]  # a fresh worker after two renders
    finally:
        renderer.shutdown()


OWNER = """
import sys
from assessment.config import DEFAULT_BANK_DIR
from assessment.engine.loader import load_bank_cached
from assessment.report.pool import RenderFailed, ReportRenderer
from tests.test_render_pool import _job
from pathlib import Path

renderer = ReportRenderer(load_bank_cached(str(DEFAULT_BANK_DIR)), DEFAULT_BANK_DIR, workers=1)
try:  # a job the worker refuses at once starts it without the cost of a render
    renderer.submit(_job(Path(sys.argv[1]), bank_version="0.0-none")).result(timeout=120)
except RenderFailed:
    pass
print(renderer.worker_pids()[0], flush=True)
sys.stdin.read()  # until killed
"""


def test_workers_end_when_the_web_process_is_killed(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path / "r.pdf")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=PROJECT_ROOT,
        text=True,
    ) as owner:
        try:
            assert owner.stdout is not None
            worker = int(owner.stdout.readline())
            assert Path(f"/proc/{worker}").exists()
        finally:
            owner.kill()  # SIGKILL: no exit handler runs
    deadline = time.monotonic() + 10
    while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{worker}").exists(), "the worker outlived its web process"


def test_failed_render_raises_and_logs_no_assessment_text(
    renderer: ReportRenderer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "report.pdf"
    with caplog.at_level(logging.DEBUG):
        future = renderer.submit(_job(target, bank_version="0.0-other"))
        with pytest.raises(RenderFailed, match=re.escape("needs surveillance-hria 0.0-other")):
            future.result(timeout=120)
        inline = ReportRenderer(BANK, DEFAULT_BANK_DIR, workers=0)
        with pytest.raises(RenderFailed):
            inline.submit(_job(target, bank_version="0.0-other")).result()
    assert read_stored(target) is None
    assert SECRET not in caplog.text


def test_download_of_a_report_that_fails_to_render_explains_and_logs_no_text(
    app: Flask, browser: Browser, signup, start_assessment, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    import assessment.report.pool as pool

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError(f"layout failed near {SECRET}")

    app.extensions["assessment"]["renderer"] = ReportRenderer(BANK, DEFAULT_BANK_DIR, workers=0)
    monkeypatch.setattr(pool, "render_report", broken)
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    with caplog.at_level(logging.INFO):
        response = browser.get(f"/assessments/{assessment_id}/report.pdf")
    assert response.status_code == 500
    assert "The report could not be made" in response.get_data(as_text=True)
    assert "Your answers are safe" in response.get_data(as_text=True)
    assert "ValueError" in caplog.text
    assert SECRET not in caplog.text


@pytest.fixture
def config(config: Config) -> Config:
    return config.with_overrides(report_workers=1, report_wait_seconds=0)


def _asked_until_answered(
    browser: Browser,
    url: str,
    while_waiting: Callable[[Any], None] = lambda response: None,
    seconds: float = 120,
) -> Any:
    """GETs ``url`` again, as the "being prepared" page's refresh does, while it
    answers 202 (each such answer checked by ``while_waiting``); the first
    other answer.  ``seconds`` only bounds a render that never ends."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = browser.get(url)
        if response.status_code != 202:
            return response
        while_waiting(response)
        time.sleep(0.2)
    raise AssertionError(f"no report after {seconds} s")


def _poll(browser: Browser, url: str) -> bytes:
    response = _asked_until_answered(browser, url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    return bytes(response.data)


def test_download_answers_at_once_and_other_requests_go_on_while_it_renders(
    app: Flask, browser: Browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["camera", "location", "payment"])
    url = f"/assessments/{assessment_id}/report.pdf"

    pending = browser.get(url)
    assert pending.status_code == 202  # answered while the render goes on (checked below)
    page = pending.get_data(as_text=True)
    status = f"/assessments/{assessment_id}/report/status"
    assert f'<meta http-equiv="refresh" content="3; url={status}">' in page
    assert "The report is being prepared" in page
    assert pending.headers["Retry-After"] == "3"
    assert pending.headers["Cache-Control"] == "no-store"
    renderer = app.extensions["assessment"]["renderer"]
    assert renderer.in_progress() == 1

    # a second client works normally while the worker renders
    other = Browser(app.test_client())
    results: list[int] = []
    thread = threading.Thread(target=lambda: results.append(other.get("/login").status_code))
    thread.start()
    thread.join(timeout=5)
    assert results == [200]
    assert renderer.in_progress() == 1, "the render ended before the other request was served"
    assert browser.get(url).status_code == 202
    assert renderer.in_progress() == 1  # the repeated request joined the running render

    pdf = _poll(browser, url)
    assert PdfReader(io.BytesIO(pdf)).attachments["assessment.json"]
    with app.extensions["assessment"]["sessions"]() as session:
        assert session.query(ReportRevision).count() == 1


def test_share_link_use_is_recorded_when_the_pdf_is_served_not_while_preparing(
    app: Flask, browser: Browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    shares = f"/assessments/{assessment_id}/shares"
    created = browser.post(shares, {"days": "7", "edition": "public"}, page=shares)
    match = re.search(r"/s/([A-Za-z0-9_-]{16,})", created.get_data(as_text=True))
    assert match, created.get_data(as_text=True)
    auditor = Browser(app.test_client())
    url = f"/s/{match.group(1)}/report.pdf"
    assert auditor.get(url).status_code == 202
    with app.extensions["assessment"]["sessions"]() as session:
        assert session.query(ShareUse).count() == 0
    _poll(auditor, url)
    with app.extensions["assessment"]["sessions"]() as session:
        assert [use.what for use in session.query(ShareUse)] == ["pdf (public)"]


def _follow_status(browser: Browser, status: str) -> str:
    """Asks ``status`` as the "being prepared" page's refresh does until it
    redirects; the page it redirects to."""

    def still_preparing(response: Any) -> None:
        page = response.get_data(as_text=True)
        assert "The report is being prepared" in page
        assert f'content="3; url={status}"' in page, "it keeps asking the status, not the PDF"

    response = _asked_until_answered(browser, status, still_preparing)
    assert response.status_code == 303, response.status_code
    return str(response.headers["Location"])


def test_being_prepared_moves_on_to_a_ready_page_that_starts_the_download_once(
    app: Flask, browser: Browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    base = f"/assessments/{assessment_id}"
    pending = browser.get(f"{base}/report.pdf?edition=public")
    assert pending.status_code == 202
    status = f"{base}/report/status?edition=public"
    assert f'content="3; url={status}"' in pending.get_data(as_text=True)

    ready = _follow_status(browser, status)
    assert ready == f"{base}/report/ready?edition=public"
    with app.extensions["assessment"]["sessions"]() as session:
        assert session.query(ReportIssue).count() == 0, "asking is not handing out"
    page = browser.get(ready)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "being prepared" not in html
    assert "The report is ready" in html
    # its only refresh is to the PDF, which arrives as a download: the browser stays here
    assert re.findall(r'http-equiv="refresh" content="([^"]+)"', html) == [
        f"0; url={base}/report.pdf?edition=public"
    ]
    assert f'href="{base}/report.pdf?edition=public"' in html
    pdf = browser.get(f"{base}/report.pdf?edition=public")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    with app.extensions["assessment"]["sessions"]() as session:
        assert [issue.edition for issue in session.query(ReportIssue)] == ["public"]
    assert browser.get(status).headers["Location"] == ready  # ready at once from now on


def test_share_link_status_is_not_a_use_and_leads_to_the_ready_page(
    app: Flask, browser: Browser, signup, start_assessment
) -> None:  # type: ignore[no-untyped-def]
    signup(browser)
    assessment_id = start_assessment(browser, ["payment"])
    shares = f"/assessments/{assessment_id}/shares"
    created = browser.post(shares, {"days": "7", "edition": "public"}, page=shares)
    match = re.search(r"/s/([A-Za-z0-9_-]{16,})", created.get_data(as_text=True))
    assert match
    link = f"/s/{match.group(1)}"
    auditor = Browser(app.test_client())
    pending = auditor.get(f"{link}/report.pdf")
    assert pending.status_code == 202
    assert f'content="3; url={link}/report/status"' in pending.get_data(as_text=True)
    ready = _follow_status(auditor, f"{link}/report/status")
    assert ready == f"{link}/report/ready"
    html = auditor.get(ready).get_data(as_text=True)
    assert f'content="0; url={link}/report.pdf"' in html
    with app.extensions["assessment"]["sessions"]() as session:
        assert session.query(ShareUse).count() == 0
    assert auditor.get(f"{link}/report.pdf").status_code == 200
    with app.extensions["assessment"]["sessions"]() as session:
        assert [use.what for use in session.query(ShareUse)] == ["pdf (public)"]

    revoke = re.search(r"/shares/(\d+)/revoke", browser.get(shares).get_data(as_text=True))
    assert revoke
    browser.post(f"{shares}/{revoke.group(1)}/revoke", {})
    assert auditor.get(f"{link}/report/status").status_code == 410
    assert auditor.get(ready).status_code == 410
