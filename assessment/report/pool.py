"""Rendering reports off the request thread.

A report takes seconds to render.  :class:`ReportRenderer` runs each render
in a pool of worker processes (``concurrent.futures.ProcessPoolExecutor``,
started with ``spawn`` so that no thread or lock of the web process is
inherited), writes the PDF into the report cache and hands back a future.
Request threads only wait on that future, up to a limit, so the web process
keeps serving other requests while a report renders: the rendering holds
another process's CPU and interpreter lock, not the web server's.

WeasyPrint and Pango leak a little native memory with every render (about
0.2 MiB; see docs/benchmarks.md), so a pool is retired after
``renders_per_worker`` renders per worker: it finishes what it has and exits,
and the next job starts a fresh pool.  Memory stays flat however long the
web process runs.

Two requests for the same report share one render.  With ``workers=0`` the
render runs in the calling thread (the CLI and most tests); the result is the
same file in the same place.

A job that names signing files (every report the tool hands out) is signed
in the worker too, once: the cache holds the signed file, so the same bytes
are served every time.

A worker frees a render's garbage (see ``collection_paused`` in
``assessment/report/render.py``) just after it has replied, so the download
does not wait for it.

Worker processes load the question banks themselves (a bank does not pickle)
from the same folder as the web process: the current bank and every archived
version (``questions/archive/<version>/``).  A job names the bank id and
version it needs and fails if the worker has no such version.

Renderers run at a lower CPU priority than the request threads
(:func:`lower_priority`, ``nice`` 10): when a render and a request compete
for a core, the request wins, so background renders (reports queued when an
assessment is submitted, approved or issued, and the idle sweep,
``flask --app app render-idle``) do not slow the pages down.

This pool is the one-machine renderer.  With ``REPORT_QUEUE=rq`` the web
processes hand renders to RQ workers instead (:mod:`assessment.report.queue`,
``flask --app app worker``), which write into the same kind of store (a
folder every server reaches); both have the interface of :class:`Renderer`.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from assessment.engine.bank import Bank
from assessment.engine.banks import BankSet, UnknownBankVersion, load_banks_cached
from assessment.engine.document import AssessmentDocument
from assessment.report.context import CommentEntry, HistoryEntry
from assessment.report.render import RenderedReport, render_report
from assessment.report.signing import SigningFiles, sign_report

LOG = logging.getLogger(__name__)
PARENT_CHECK_SECONDS = 1.0
COLLECT_DELAY_SECONDS = 0.02  # long enough for a worker to send its reply
NICE_INCREMENT = 10  # renderers yield the CPU to request threads


class RenderFailed(RuntimeError):
    """A report could not be rendered; the message names the assessment, not
    its content."""


@dataclass(frozen=True, slots=True)
class RenderJob:
    """Everything a worker needs to render one report into ``target``."""

    document: AssessmentDocument
    edition: str
    history: tuple[HistoryEntry, ...] | None
    target: Path  # the PDF goes here, its SHA-256 next to it (suffix .sha256)
    bank_id: str
    bank_version: str
    evidence_files: tuple[tuple[str, str], ...] = ()  # (sha256, path) of each evidence file
    embed_limit: int = 0  # the full edition embeds them if together at most this many bytes
    signing: SigningFiles | None = None  # sign the PDF with this key before storing it
    comments: tuple[CommentEntry, ...] | None = None  # unresolved; full edition only
    changes: dict[str, Any] | None = None  # since the last issued report, for this edition


def sha256_path(target: Path) -> Path:
    return target.with_suffix(".sha256")


def read_stored(target: Path) -> RenderedReport | None:
    """The report stored at ``target``, or ``None`` if there is none."""
    try:
        sha256 = sha256_path(target).read_text(encoding="ascii").strip()
        return RenderedReport(target.read_bytes(), sha256)
    except FileNotFoundError:
        return None


def temporary_path(path: Path) -> Path:
    """Where ``path`` is written before it is moved into place: a dot file
    named after the writing process and thread (see :func:`is_temporary`)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def is_temporary(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(".tmp")


def store(target: Path, report: RenderedReport) -> None:
    """Write ``report`` to ``target`` atomically and owner-only: a reader sees
    the whole file or none (the hash is moved into place first, the PDF last).

    Both files are written to temporaries before either is moved.  If
    anything fails (a full disk, a read-only cache), the temporaries are
    removed and no hash is left without its PDF; the ``OSError`` is raised.
    """
    target.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the cache
    target.parent.mkdir(mode=0o700, exist_ok=True)  # one assessment's reports
    files = ((sha256_path(target), report.sha256.encode()), (target, report.pdf))
    temporaries = [temporary_path(path) for path, _data in files]
    moved: list[Path] = []
    try:
        for temporary, (_path, data) in zip(temporaries, files, strict=True):
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        for temporary, (path, _data) in zip(temporaries, files, strict=True):
            os.replace(temporary, path)
            moved.append(path)
    except OSError:
        for temporary in temporaries:
            remove_quietly(temporary)
        if moved and not target.exists():  # the hash arrived, its PDF did not
            remove_quietly(moved[0])
        raise


def remove_quietly(path: Path) -> None:
    """Delete ``path`` if it can be deleted (a read-only cache cannot be cleaned)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _as_set(banks: BankSet | Bank) -> BankSet:
    return banks if isinstance(banks, BankSet) else BankSet.of(banks)


def run_job(job: RenderJob, banks: BankSet | Bank, collect_garbage: bool = True) -> str:
    """Render ``job`` with the bank version it names, from ``banks`` (or the
    one bank given), sign it if the job says so, and store it; returns the
    SHA-256 of the embedded data.
    With ``collect_garbage=False`` the render's garbage is left for the
    caller to collect."""
    try:
        bank = _as_set(banks).get(job.bank_id, job.bank_version)
    except UnknownBankVersion as error:
        installed = ", ".join(error.installed) or "none"
        raise RenderFailed(
            f"the report needs {job.bank_id} {job.bank_version}, which is not installed here "
            f"(installed: {installed})"
        ) from None
    report = render_report(
        bank,
        job.document,
        edition=job.edition,
        history=job.history,
        collect_garbage=collect_garbage,
        evidence_files=dict(job.evidence_files),
        embed_limit=job.embed_limit,
        comments=job.comments,
        changes=job.changes,
    )
    if job.signing is not None:
        report = RenderedReport(sign_report(report.pdf, job.signing), report.sha256)
    store(job.target, report)
    return report.sha256


def collect_after_reply(delay: float = COLLECT_DELAY_SECONDS) -> threading.Timer:
    """Free a render's garbage ``delay`` seconds from now, in a thread of its
    own, so that the worker first hands its reply back and the download does
    not wait for the collection (about 0.1 s for the full report).  If the
    next job has started by then, it waits for the collection as it would
    have before."""
    timer = threading.Timer(delay, gc.collect)
    timer.daemon = True  # an exiting worker need not free anything
    timer.start()
    return timer


_worker_bank_dir: str | None = None


def lower_priority(increment: int = NICE_INCREMENT) -> None:
    """Lower this process's CPU priority by ``increment`` (``nice``); where
    that is not allowed, the process keeps its priority."""
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: no os.nice here
        os.nice(increment)


def _start_worker(bank_dir: str, parent_pid: int, nice: int = NICE_INCREMENT) -> None:
    global _worker_bank_dir
    _worker_bank_dir = bank_dir
    lower_priority(nice)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    load_banks_cached(bank_dir)
    watcher = threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True)
    watcher.start()


def _exit_with_parent(parent_pid: int) -> None:
    """End this worker once the web process is gone (killed without running
    its exit handlers, e.g. by SIGTERM), instead of lingering as an orphan."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _run_in_worker(job: RenderJob) -> str:
    if _worker_bank_dir is None:
        raise RenderFailed("the report worker was started without a question bank")
    try:
        return run_job(job, load_banks_cached(_worker_bank_dir), collect_garbage=False)
    finally:
        collect_after_reply()


class Pending(Protocol):
    """A render that was asked for: :meth:`result` waits up to ``timeout``
    seconds for the SHA-256 of its embedded data (raising
    ``concurrent.futures.TimeoutError`` when it is not done by then, or
    :class:`RenderFailed`).  A ``concurrent.futures.Future`` is one."""

    def result(self, timeout: float | None = None) -> str: ...


class Renderer(Protocol):
    """What the web processes render reports with: this module's
    :class:`ReportRenderer` (one machine) or
    :class:`assessment.report.queue.QueuedRenderer` (RQ workers)."""

    def submit(self, job: RenderJob) -> Pending: ...

    def running(self, target: Path) -> Pending | None: ...

    def shutdown(self) -> None: ...


class ReportRenderer:
    """Renders reports into the cache, in ``workers`` processes (0: in the
    calling thread).  Thread-safe; the pool starts on the first job.

    ``banks`` are the versions loaded from ``bank_dir`` (renders in the
    calling thread use them; workers load their own from ``bank_dir``); a
    single bank is taken as the only version."""

    def __init__(
        self,
        banks: BankSet | Bank,
        bank_dir: Path,
        workers: int,
        renders_per_worker: int = 50,
        nice: int = NICE_INCREMENT,
    ) -> None:
        if workers < 0 or renders_per_worker < 1:
            raise ValueError("workers must be 0 or more, renders_per_worker 1 or more")
        self.workers = workers
        self.nice = nice  # how much lower the workers' CPU priority is than this process's
        self.renders_per_worker = renders_per_worker
        self._submitted_to_pool = 0
        self._exit_hook = False
        self._banks = _as_set(banks)
        self._bank_dir = str(bank_dir)
        self._lock = threading.RLock()  # a done-callback may run inside submit
        self._running: dict[Path, Future[str]] = {}
        self._executor: ProcessPoolExecutor | None = None

    def submit(self, job: RenderJob) -> Future[str]:
        """A future for the render of ``job``: the SHA-256 of its embedded
        data once ``job.target`` is written, or :class:`RenderFailed`.  A job
        for a target already being rendered gets the same future."""
        if self.workers == 0:
            return self._run_here(job)
        with self._lock:
            self._running = {k: f for k, f in self._running.items() if not f.done()}
            future = self._running.get(job.target)
            if future is None:
                future = self._submit_to_pool(job)
                self._running[job.target] = future
            return future

    def running(self, target: Path) -> Future[str] | None:
        """The future of the render of ``target`` if one is queued or running."""
        with self._lock:
            future = self._running.get(target)
            return None if future is None or future.done() else future

    def in_progress(self) -> int:
        """How many renders are queued or running in the pool."""
        with self._lock:
            return sum(1 for future in self._running.values() if not future.done())

    def _run_here(self, job: RenderJob) -> Future[str]:
        future: Future[str] = Future()
        try:
            future.set_result(run_job(job, self._banks))
        except Exception as error:  # handed to the caller through the future
            future.set_exception(_failure(job, error))
        return future

    def _submit_to_pool(self, job: RenderJob) -> Future[str]:
        if self._submitted_to_pool >= self.workers * self.renders_per_worker:
            self._retire_pool()
        for attempt in (1, 2):
            executor = self._pool()
            try:
                inner = executor.submit(_run_in_worker, job)
                self._submitted_to_pool += 1
                break
            except BrokenProcessPool:  # a worker died; start a new pool once
                self._executor = None
                if attempt == 2:
                    raise
        outer: Future[str] = Future()

        def settle(done: Future[str]) -> None:
            if done.cancelled():  # the pool was shut down before the job ran
                outer.set_exception(RenderFailed("rendering was cancelled: the server is stopping"))
                return
            error = done.exception()
            if error is None:
                outer.set_result(done.result())
                return
            if isinstance(error, BrokenProcessPool):
                with self._lock:
                    if self._executor is executor:
                        self._executor = None
            outer.set_exception(_failure(job, error))

        inner.add_done_callback(settle)
        return outer

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._submitted_to_pool = 0
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self._bank_dir, os.getpid(), self.nice),
            )
            if not self._exit_hook:
                atexit.register(self.shutdown)
                self._exit_hook = True
        return self._executor

    def _retire_pool(self) -> None:
        """Let the current pool finish its jobs and exit; the next job starts
        a new one."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    def worker_pids(self) -> list[int]:
        """Process ids of the current pool's workers (for measurements)."""
        with self._lock:
            processes = getattr(self._executor, "_processes", None) or {}
            return sorted(processes)

    def shutdown(self) -> None:
        """Stop the workers; renders still queued are cancelled."""
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None


def _failure(job: RenderJob, error: BaseException) -> RenderFailed:
    if isinstance(error, RenderFailed):
        return error
    # the type only: messages of rendering errors may quote assessment text
    LOG.error(
        "rendering the %s report of assessment %s failed: %s",
        job.edition,
        job.document.uuid,
        type(error).__name__,
    )
    return RenderFailed(f"the {job.edition} report of assessment {job.document.uuid} failed")
