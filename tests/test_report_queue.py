"""The RQ renderer (REPORT_QUEUE=rq) on a real Redis, without workers: one
job per report, no answer text in the job's description, a job abandoned by
a dead worker is enqueued again, a failed one is reported once and then
tried again.  (Workers and servers for real: tests/test_multi_server.py.)

Needs Redis (TEST_QUEUE_REDIS_URL, by default database 13 of the local
server), as tests/test_accounts.py does; fails when it cannot be reached."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import pytest
import redis
from rq.job import Job, JobStatus

from assessment.report.pool import RenderFailed
from assessment.report.queue import QueuedRenderer, alive_key, job_id
from tests.test_render_pool import SECRET, _job

REDIS_URL = os.environ.get("TEST_QUEUE_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def renderer(tmp_path: Path) -> Iterator[QueuedRenderer]:
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    client.flushdb()
    queued = QueuedRenderer(REDIS_URL, tmp_path / "store")
    yield queued
    client.flushdb()
    client.close()
    queued.shutdown()


def _take(renderer: QueuedRenderer, identifier: str, started_seconds_ago: float) -> Job:
    """Do what a worker does when it takes the job: off the queue, started."""
    job = Job.fetch(identifier, connection=renderer.connection)
    renderer.queue.remove(job)
    job.set_status(JobStatus.STARTED)
    job.started_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=started_seconds_ago)
    job.save()
    return job


def test_one_job_per_report_named_after_it_without_answer_text(
    renderer: QueuedRenderer, tmp_path: Path
) -> None:
    target = renderer.store / "a1" / "r3-abc-full-x.pdf"
    first = renderer.submit(_job(target))
    renderer.submit(_job(target))
    assert renderer.running(target) is not None
    identifier = job_id(renderer.store, target)
    assert identifier == "report-a1_r3-abc-full-x"
    assert renderer.queue.job_ids == [identifier]
    job = Job.fetch(identifier, connection=renderer.connection)
    assert SECRET not in (job.description or "")
    assert job.args[1] == "a1/r3-abc-full-x.pdf"  # the worker puts it in its own store
    with pytest.raises(FutureTimeout):
        first.result(timeout=0)
    other = renderer.store / "a1" / "r3-abc-public-x.pdf"
    renderer.submit(_job(other))
    assert len(renderer.queue.job_ids) == 2
    assert renderer.running(renderer.store / "a1" / "r2-abc-full-x.pdf") is None


def test_a_job_abandoned_by_a_dead_worker_is_enqueued_again(
    renderer: QueuedRenderer, caplog: pytest.LogCaptureFixture
) -> None:
    target = renderer.store / "a1" / "r3-abc-full-x.pdf"
    identifier = job_id(renderer.store, target)
    renderer.submit(_job(target))
    _take(renderer, identifier, started_seconds_ago=60)
    assert renderer.queue.job_ids == []
    # still beating: a live render, left alone
    renderer.connection.set(alive_key(identifier), "1", px=5000)
    pending = renderer.running(target)
    assert pending is not None
    with pytest.raises(FutureTimeout):
        pending.result(timeout=0)
    assert renderer.queue.job_ids == []
    # its heartbeat lapsed: the next request enqueues it again, with the same document
    renderer.connection.delete(alive_key(identifier))
    with caplog.at_level(logging.WARNING), pytest.raises(FutureTimeout):
        pending.result(timeout=0)
    assert renderer.queue.job_ids == [identifier]
    again = Job.fetch(identifier, connection=renderer.connection)
    assert again.get_status() == JobStatus.QUEUED
    assert again.args[0].document.title == "Card data"
    assert "abandoned" in caplog.text
    assert SECRET not in caplog.text


def test_a_job_that_just_started_is_not_taken_for_abandoned(renderer: QueuedRenderer) -> None:
    target = renderer.store / "a1" / "r3-abc-full-x.pdf"
    identifier = job_id(renderer.store, target)
    renderer.submit(_job(target))
    _take(renderer, identifier, started_seconds_ago=0)  # no heartbeat yet
    pending = renderer.running(target)
    assert pending is not None
    with pytest.raises(FutureTimeout):
        pending.result(timeout=0)
    assert renderer.queue.job_ids == []


def test_a_waiting_job_missing_from_the_queue_is_enqueued_again(
    renderer: QueuedRenderer,
) -> None:
    target = renderer.store / "a1" / "r3-abc-full-x.pdf"
    identifier = job_id(renderer.store, target)
    pending = renderer.submit(_job(target))
    renderer.connection.delete(renderer.queue.key)  # the queue's list emptied, the job kept
    with pytest.raises(FutureTimeout):
        pending.result(timeout=0)
    assert renderer.queue.job_ids == []  # just enqueued: a worker may be taking it
    job = Job.fetch(identifier, connection=renderer.connection)
    job.enqueued_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=60)
    job.save()
    with pytest.raises(FutureTimeout):
        pending.result(timeout=0)
    assert renderer.queue.job_ids == [identifier]
    renderer.connection.flushdb()  # Redis lost everything: enqueued again too
    with pytest.raises(FutureTimeout):
        pending.result(timeout=0)
    assert renderer.queue.job_ids == [identifier]


def test_a_failed_render_is_reported_once_then_tried_again(renderer: QueuedRenderer) -> None:
    target = renderer.store / "a1" / "r3-abc-full-x.pdf"
    identifier = job_id(renderer.store, target)
    renderer.submit(_job(target))
    job = _take(renderer, identifier, started_seconds_ago=1)
    job.set_status(JobStatus.FAILED)
    pending = renderer.running(target)
    assert pending is not None
    with pytest.raises(RenderFailed, match="failed") as failure:
        pending.result(timeout=0)
    assert SECRET not in str(failure.value)
    assert renderer.running(target) is None  # deleted: the next request enqueues it anew
    renderer.submit(_job(target))
    assert renderer.queue.job_ids == [identifier]
