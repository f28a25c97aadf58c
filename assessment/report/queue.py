"""Rendering reports in RQ workers, for several app servers.

With ``REPORT_QUEUE=rq`` (and ``REDIS_URL``) the app processes do not render
reports themselves: :class:`QueuedRenderer` enqueues each render on the RQ
queue ``reports`` and the workers (``flask --app app worker``, see
:func:`run_worker`) render and sign it into the report store, a folder every
app server and worker reaches (``REPORT_STORE_DIR``).  A request then finds
the PDF in the store, whichever server it reaches.

- One job per report: the job id is the report's key in the store (its
  assessment, revision, template, signer, edition and extras), and a job is
  enqueued only while no job of that id is waiting or running (``unique``).
- A job whoever waits for notices the PDF appear in the store (polling every
  :data:`POLL_SECONDS`), so the waiting needs nothing from the worker but the
  file.
- Nothing is lost when a worker dies mid-render (killed, its machine gone):
  the render keeps a heartbeat key in Redis alive (every
  :data:`HEARTBEAT_SECONDS`, lasting :data:`ALIVE_SECONDS`); a job that has
  started but whose heartbeat has lapsed is abandoned, and the next request
  for the report deletes it and enqueues it again (with the same document,
  taken from the abandoned job); so does a job recorded as waiting that is no
  longer on the queue, or a job that is gone altogether.  A job that failed (the render raised) is
  reported to one request as :class:`~assessment.report.pool.RenderFailed`
  and deleted, so the next request tries again.
- Workers fork a process per job (RQ's default), so each render's native
  memory leak (see :mod:`assessment.report.pool`) ends with it; the question
  banks are loaded once, in the worker, before the forks.  Workers run at
  lower CPU priority (``nice`` 10).
- Job descriptions name the report key only: answer text never reaches
  Redis's job listings or the worker's log (the job's data does reach Redis,
  pickled, as it reaches the renderer processes of the pool).

This module imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from pathlib import Path

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus, get_current_job

from assessment.engine.banks import BankSet
from assessment.report.pool import (
    NICE_INCREMENT,
    RenderFailed,
    RenderJob,
    lower_priority,
    read_stored,
    run_job,
)
from assessment.report.signing import SigningFiles

LOG = logging.getLogger(__name__)
QUEUE_NAME = "reports"
POLL_SECONDS = 0.1  # a waiting request looks for the PDF this often
HEARTBEAT_SECONDS = 1.0  # a render renews its heartbeat this often
ALIVE_SECONDS = 5.0  # and a heartbeat lasts this long: a render silent longer is abandoned
JOB_TIMEOUT_SECONDS = 600  # RQ stops a render after this long (a report takes seconds)
FAILURE_TTL_SECONDS = 3600  # a failed job is kept this long for one request to report it
_FINISHED = (JobStatus.FINISHED,)
_ENDED = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


def job_id(store: Path, target: Path) -> str:
    """The RQ job id of the render into ``target`` (a path in ``store``):
    ``report-<assessment uuid>_<file name without .pdf>``."""
    relative = target.relative_to(store).with_suffix("").as_posix()
    return "report-" + re.sub(r"[^A-Za-z0-9_-]", "_", relative)


def alive_key(identifier: str) -> str:
    """The Redis key a running render keeps alive (see :func:`heartbeat`)."""
    return f"ria:render-alive:{identifier}"


@contextlib.contextmanager
def heartbeat(connection: Redis, identifier: str) -> Iterator[None]:
    """Keep :func:`alive_key` of ``identifier`` set while the block runs."""
    key = alive_key(identifier)
    stop = threading.Event()

    def beat() -> None:
        while True:
            with contextlib.suppress(Exception):  # a Redis hiccup: the next beat tries again
                connection.set(key, "1", px=int(ALIVE_SECONDS * 1000))
            if stop.wait(HEARTBEAT_SECONDS):
                return

    connection.set(key, "1", px=int(ALIVE_SECONDS * 1000))
    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        with contextlib.suppress(Exception):
            connection.delete(key)


@dataclass(slots=True)
class _WorkerSetup:
    banks: BankSet
    store: Path
    signing: SigningFiles | None


_setup: _WorkerSetup | None = None


def configure_worker(banks: BankSet, store: Path, signing: SigningFiles | None) -> None:
    """Give this worker process its question banks, its report store and the
    key it signs with (the same as every app server's)."""
    global _setup
    _setup = _WorkerSetup(banks, store, signing)


def render_queued(job: RenderJob, name: str) -> str:
    """The RQ job: render ``job`` into ``name`` in this worker's store,
    signed with this worker's key, with a heartbeat; returns the SHA-256 of
    the embedded data.  Errors name the assessment, not its content."""
    if _setup is None:
        raise RenderFailed("the report worker was started without a question bank")
    target = _setup.store / name
    signing = _setup.signing if job.signing is not None else None
    current = get_current_job()
    guard = (
        heartbeat(current.connection, current.id)
        if current is not None
        else contextlib.nullcontext()
    )
    with guard:
        try:
            return run_job(replace(job, target=target, signing=signing), _setup.banks)
        except RenderFailed:
            raise
        except Exception as error:
            # the type only: messages of rendering errors may quote assessment text
            LOG.error(
                "rendering the %s report of assessment %s failed: %s",
                job.edition,
                job.document.uuid,
                type(error).__name__,
            )
            raise RenderFailed(
                f"the {job.edition} report of assessment {job.document.uuid} failed"
            ) from None


class QueuedRender:
    """A render handed to the workers; :meth:`result` waits for its PDF in
    the store (see :class:`~assessment.report.pool.Pending`)."""

    def __init__(self, renderer: QueuedRenderer, job: RenderJob) -> None:
        self._renderer = renderer
        self._job = job

    def result(self, timeout: float | None = None) -> str:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            report = read_stored(self._job.target)
            if report is not None:
                return report.sha256
            self._renderer.keep_going(self._job)
            report = read_stored(self._job.target)  # it may have arrived meanwhile
            if report is not None:
                return report.sha256
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise FutureTimeout()
            time.sleep(POLL_SECONDS if left is None else min(POLL_SECONDS, left))


class QueuedRenderer:
    """Renders reports through RQ workers into ``store``; thread-safe (each
    call uses the Redis connection pool).  The interface of
    :class:`~assessment.report.pool.Renderer`."""

    def __init__(self, redis_url: str, store: Path) -> None:
        self.store = store
        self.connection = Redis.from_url(redis_url)
        self.queue = Queue(QUEUE_NAME, connection=self.connection)

    def submit(self, job: RenderJob) -> QueuedRender:
        """Enqueue the render of ``job`` unless a job for its target is
        waiting or running already."""
        self._enqueue(job)
        return QueuedRender(self, job)

    def running(self, target: Path) -> QueuedRender | None:
        """The render of ``target`` if a job for it is waiting, running or
        has ended without the PDF (to be reported or enqueued again)."""
        found = self._fetch(job_id(self.store, target))
        if found is None or found.get_status(refresh=False) in _FINISHED:
            return None
        try:
            job = found.args[0]
        except Exception:  # unreadable (another version's pickle): render it anew
            return None
        if not isinstance(job, RenderJob):
            return None
        return QueuedRender(self, replace(job, target=target))

    def keep_going(self, job: RenderJob) -> None:
        """See that the render of ``job`` is waiting or running: enqueue it
        again when its job is gone or abandoned; raise
        :class:`~assessment.report.pool.RenderFailed` (once, deleting the job)
        when it failed."""
        identifier = job_id(self.store, job.target)
        found = self._fetch(identifier)
        if found is None:
            self._enqueue(job)
            return
        status = found.get_status(refresh=False)
        if status in _ENDED:
            found.delete()
            raise RenderFailed(f"the {job.edition} report of assessment {job.document.uuid} failed")
        lost = ""
        if status == JobStatus.STARTED and self._abandoned(found):
            lost = "abandoned by its worker"
        elif status == JobStatus.QUEUED and self._off_the_queue(found):
            lost = "missing from the queue"
        if lost:
            LOG.warning("the render %s was %s; enqueued again", identifier, lost)
        if status in _FINISHED or lost:
            found.delete()
            self._enqueue(job)

    def _abandoned(self, found: Job) -> bool:
        """Whether a started job's render has stopped beating (and had time to start)."""
        if self.connection.exists(alive_key(found.id)):
            return False
        return _older_than(found.started_at, ALIVE_SECONDS)

    def _off_the_queue(self, found: Job) -> bool:
        """Whether a job recorded as waiting (for a while) is on neither the
        queue nor the list a worker moves the job it takes to (RQ's
        "intermediate" queue) and still waiting once both were looked at: a
        worker that takes it moves it between the lists and marks it started
        in one step."""
        if not _older_than(found.enqueued_at, ALIVE_SECONDS):
            return False
        for key in (self.queue.key, self.queue.intermediate_queue_key):
            if self.connection.lpos(key, found.id) is not None:
                return False
        return found.get_status(refresh=True) == JobStatus.QUEUED

    def _fetch(self, identifier: str) -> Job | None:
        try:
            return Job.fetch(identifier, connection=self.connection)
        except NoSuchJobError:
            return None

    def _enqueue(self, job: RenderJob) -> None:
        identifier = job_id(self.store, job.target)
        name = job.target.relative_to(self.store).as_posix()
        with contextlib.suppress(DuplicateJobError):  # waiting or running already
            self.queue.enqueue_call(
                render_queued,
                args=(replace(job, target=Path(name)), name),
                job_id=identifier,
                unique=True,
                timeout=JOB_TIMEOUT_SECONDS,
                result_ttl=0,
                failure_ttl=FAILURE_TTL_SECONDS,
                description=f"report {identifier}",
            )

    def in_progress(self) -> int:
        """How many renders are waiting or running."""
        started = self.queue.started_job_registry.count
        return len(self.queue) + int(started)

    def shutdown(self) -> None:
        self.connection.close()


def _older_than(moment: dt.datetime | None, seconds: float) -> bool:
    """Whether ``moment`` (RQ's times are naive UTC) is more than ``seconds`` ago."""
    if moment is None:
        return True
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (dt.datetime.now(dt.UTC) - moment).total_seconds() > seconds


def run_worker(
    redis_url: str,
    banks: BankSet,
    store: Path,
    signing: SigningFiles | None,
    burst: bool = False,
    nice: int = NICE_INCREMENT,
) -> None:
    """Work the ``reports`` queue at CPU priority lowered by ``nice`` until
    stopped (or, with ``burst``, until it is empty), rendering into ``store``
    with ``banks`` (loaded once, here) and signing with ``signing``."""
    lower_priority(nice)
    configure_worker(banks, store, signing)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    connection = Redis.from_url(redis_url)
    worker = Worker([Queue(QUEUE_NAME, connection=connection)], connection=connection)
    worker.work(burst=burst, logging_level="INFO")
