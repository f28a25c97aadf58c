"""Reports ready before anyone asks: a submission, an approval and an issue
hand both editions to the renderers at once (after the step is committed);
`flask render-idle` renders what has not changed for a while; renderers run
at a lower CPU priority than the web process; a download stops waiting for
its render one second after the request began, by default."""

# ruff: noqa: F811  (the fixture `team`, imported from tests/test_workflow.py)

from __future__ import annotations

import datetime as dt
import os
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
from flask import Flask, g
from sqlalchemy import select, update

from assessment.config import DEFAULT_BANK_DIR, Config
from assessment.db import transaction
from assessment.engine.document import load_document
from assessment.models import Assessment, Organisation, User
from assessment.report.pool import RenderFailed, RenderJob, ReportRenderer, read_stored
from assessment.services.assessments import get_by_uuid, import_document
from tests.helpers import BANK, BANKS
from tests.test_workflow import (
    ACTIONS,
    EXAMPLE,
    Team,
    team,  # noqa: F401  (the fixture)
)


@pytest.fixture
def config(config: Config) -> Config:
    return config.with_overrides(report_background=True)


class RecordingRenderer:
    """Stands in for the renderers: records each job handed over, renders nothing."""

    def __init__(self) -> None:
        self.jobs: list[RenderJob] = []

    def submit(self, job: RenderJob) -> Future[str]:
        self.jobs.append(job)
        future: Future[str] = Future()
        future.set_result("not rendered")
        return future

    def running(self, target: Path) -> Future[str] | None:
        return None

    def shutdown(self) -> None:
        pass


class RefusingRenderer(RecordingRenderer):
    """A renderer that must not be needed."""

    def submit(self, job: RenderJob) -> Future[str]:
        raise AssertionError("the report should have been in the store already")


def _step(team: Team, action: str, role: str, assessment_id: str) -> None:
    path, form, *_rest = ACTIONS[action]
    url = f"/assessments/{assessment_id}/{path}"
    reply = team.browsers[role].post(url, form, page=url)
    assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]


def test_submit_approve_and_issue_queue_both_editions_of_the_new_revision(
    app: Flask, team: Team
) -> None:
    recorder = RecordingRenderer()
    app.extensions["assessment"]["renderer"] = recorder
    assessment_id = team.assessment_in("draft")
    steps = [
        ("submit", "editor"),
        ("request_changes", "reviewer"),
        ("submit", "editor"),
        ("approve", "reviewer2"),
        ("issue", "owner"),
        ("reassess", "owner"),
    ]
    queued: list[tuple[str, int, list[str]]] = []
    for action, role in steps:
        before = len(recorder.jobs)
        _step(team, action, role, assessment_id)
        _status, revision, _events = team.stored(assessment_id)
        jobs = recorder.jobs[before:]
        assert {job.document.revision for job in jobs} <= {revision}  # committed, current
        queued.append((action, revision, sorted(job.edition for job in jobs)))
    both = ["full", "public"]
    assert [(action, editions) for action, _revision, editions in queued] == [
        ("submit", both),
        ("request_changes", []),  # back to a draft: nobody is about to download it
        ("submit", both),
        ("approve", both),
        ("issue", both),
        ("reassess", []),
    ]
    for job in recorder.jobs:
        assert job.target.is_relative_to(app.extensions["assessment"]["config"].report_cache_dir)
        assert job.signing is not None  # the stored file is the signed one handed out
        assert job.document.status in {"in_review", "approved", "issued"}


def test_without_background_rendering_nothing_is_queued(app: Flask, team: Team) -> None:
    config = app.extensions["assessment"]["config"]
    app.extensions["assessment"]["config"] = config.with_overrides(report_background=False)
    recorder = RecordingRenderer()
    app.extensions["assessment"]["renderer"] = recorder
    _step(team, "submit", "editor", team.assessment_in("draft"))
    assert recorder.jobs == []


class UnreachableRenderer(RecordingRenderer):
    """The queue's Redis is down."""

    def running(self, target: Path) -> Future[str] | None:
        raise ConnectionError("Redis is unreachable")


def test_a_step_is_taken_even_when_its_reports_cannot_be_queued(
    app: Flask, team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    app.extensions["assessment"]["renderer"] = UnreachableRenderer()
    assessment_id = team.assessment_in("draft")
    _step(team, "submit", "editor", assessment_id)
    status, _revision, _events = team.stored(assessment_id)
    assert status == "in_review"
    assert f"the reports of assessment {assessment_id} were not queued: ConnectionError" in (
        caplog.text
    )
    assert "unreachable" not in caplog.text  # the type only, never a message


@pytest.mark.database_agnostic  # its subject is the store's files (the step: test_workflow)
def test_a_submitted_report_is_in_the_store_before_the_download(app: Flask, team: Team) -> None:
    """With workers=0 the background render runs at once; the download that
    follows is served from the store without rendering."""
    assessment_id = team.assessment_in("draft")
    _step(team, "submit", "editor", assessment_id)
    store = app.extensions["assessment"]["config"].report_cache_dir / assessment_id
    _status, revision, _events = team.stored(assessment_id)
    pdfs = sorted(path.name for path in store.glob(f"r{revision}-*.pdf"))
    assert len(pdfs) == 2
    assert {name.split("-")[3] for name in pdfs} == {"full", "public"}
    app.extensions["assessment"]["renderer"] = RefusingRenderer()
    for edition in ("full", "public"):
        reply = team.browsers["reviewer"].get(
            f"/assessments/{assessment_id}/report.pdf?edition={edition}"
        )
        assert reply.status_code == 200
        assert reply.data.startswith(b"%PDF-")
        stored = [p for p in store.glob(f"r{revision}-*-{edition}-*.pdf")]
        assert [reply.data] == [p.read_bytes() for p in stored]


def _import(app: Flask, title: str, changed: dt.datetime) -> str:
    sessions = app.extensions["assessment"]["sessions"]
    document = load_document(EXAMPLE.read_bytes(), BANK)
    with transaction(sessions) as session:
        organisation = session.scalars(select(Organisation)).one()
        user = session.scalars(select(User)).first()
        assessment = import_document(session, organisation, document, user)
        assessment.title = title
        session.flush()
        session.execute(
            update(Assessment).where(Assessment.id == assessment.id).values(updated_at=changed)
        )
        return assessment.uuid


def test_render_idle_renders_what_has_not_changed_for_a_while(app: Flask, team: Team) -> None:
    now = dt.datetime.now(dt.UTC)
    idle = _import(app, "Idle", now - dt.timedelta(hours=2))
    busy = _import(app, "Busy", now - dt.timedelta(minutes=5))
    ancient = _import(app, "Ancient", now - dt.timedelta(days=90))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["render-idle", "--minutes", "60"])
    assert result.exit_code == 0, result.output
    assert "Rendered 2 reports; 0 failed." in result.output
    store = app.extensions["assessment"]["config"].report_cache_dir
    with app.extensions["assessment"]["sessions"]() as session:
        revision = get_by_uuid(session, idle).revision
    assert len(list((store / idle).glob(f"r{revision}-*.pdf"))) == 2
    assert all(read_stored(path) for path in (store / idle).glob("*.pdf"))
    assert not (store / busy).exists()
    assert not (store / ancient).exists()
    again = runner.invoke(args=["render-idle", "--minutes", "60"])
    assert "Rendered 0 reports; 0 failed." in again.output  # already in the store


def test_renderer_processes_run_at_lower_priority(tmp_path: Path) -> None:
    from tests.test_render_pool import _job

    renderer = ReportRenderer(BANKS, DEFAULT_BANK_DIR, workers=1)
    try:
        # a job for a bank version nobody has fails at once, after the worker started
        with pytest.raises(RenderFailed, match="not installed"):
            renderer.submit(_job(tmp_path / "x.pdf", bank_version="0.0.1")).result(timeout=120)
        (pid,) = renderer.worker_pids()
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, pid) >= min(mine + 10, 19)
        assert os.getpriority(os.PRIO_PROCESS, pid) > mine or mine == 19
    finally:
        renderer.shutdown()


def test_the_apps_renderers_take_their_priority_from_the_configuration(config: Config) -> None:
    from assessment.web import create_app

    for nice in (0, 7):
        app = create_app(config.with_overrides(report_nice=nice), banks=BANKS)
        try:
            assert app.extensions["assessment"]["renderer"].nice == nice
        finally:
            app.extensions["assessment"]["renderer"].shutdown()
            app.extensions["assessment"]["engine"].dispose()
    assert Config(secret_key="k" * 40, database_url="sqlite://").report_nice == 10


class NeverDoneRenderer(RecordingRenderer):
    """Takes each job and never finishes it; records how long each download waited."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float | None] = []

    def submit(self, job: RenderJob) -> Future[str]:
        self.jobs.append(job)
        renderer = self

        class Unfinished(Future[str]):
            def result(self, timeout: float | None = None) -> str:
                renderer.waits.append(timeout)
                return super().result(timeout=0)  # not done: TimeoutError at once

        return Unfinished()


class Clock:
    """Stands for the ``time`` module: the real clocks, ``ahead`` seconds on."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead

    def time(self) -> float:
        return time.time() + self.ahead


def test_a_download_holds_its_thread_at_most_the_wait_and_a_status_check_not_at_all(
    app: Flask, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait for the render ends REPORT_WAIT_SECONDS after the request
    began: the time spent before it (reading the assessment for its render
    job, finding the signing key) is taken from the wait."""
    import assessment.services.reports as reports

    renderer = NeverDoneRenderer()
    app.extensions["assessment"]["renderer"] = renderer
    config = app.extensions["assessment"]["config"]
    app.extensions["assessment"]["config"] = config.with_overrides(report_wait_seconds=0.5)
    reading = reports._job_at_one_revision
    clock = Clock()  # the reports service's clock, moved on by hand: no waiting here
    monkeypatch.setattr(reports, "time", clock)

    def slow_reading(*args, **kwargs):  # type: ignore[no-untyped-def]
        clock.ahead += 0.6  # longer than the whole wait
        return reading(*args, **kwargs)

    monkeypatch.setattr(reports, "_job_at_one_revision", slow_reading)
    assessment_id = team.assessment_in("draft")
    reply = team.browsers["editor"].get(f"/assessments/{assessment_id}/report.pdf")
    assert reply.status_code == 202  # "being prepared"
    assert len(renderer.jobs) == 1
    assert renderer.waits == [0.0]  # nothing of the wait was left for the render

    monkeypatch.setattr(reports, "_job_at_one_revision", reading)
    clock.ahead = 0.0
    # What the request did before asking for the report counts too.
    import assessment.views.common as common

    finding_the_key = common.signing_files

    def slow_key(*args, **kwargs):  # type: ignore[no-untyped-def]
        g.started -= 0.6  # as if the request had begun that much earlier
        return finding_the_key(*args, **kwargs)

    monkeypatch.setattr(common, "signing_files", slow_key)
    renderer.waits.clear()
    reply = team.browsers["editor"].get(f"/assessments/{assessment_id}/report.pdf")
    assert reply.status_code == 202
    assert renderer.waits == [0.0]
    monkeypatch.setattr(common, "signing_files", finding_the_key)

    app.extensions["assessment"]["config"] = config.with_overrides(report_wait_seconds=30)
    renderer.waits.clear()
    reply = team.browsers["editor"].get(f"/assessments/{assessment_id}/report.pdf?edition=public")
    assert reply.status_code == 202
    (waited,) = renderer.waits
    assert waited is not None
    assert 0 < waited <= 30

    # The "being prepared" page's own checks answer at once: it asks again by itself.
    renderer.waits.clear()
    status = team.browsers["editor"].get(f"/assessments/{assessment_id}/report/status")
    assert status.status_code == 202
    assert renderer.waits == [0.0]
