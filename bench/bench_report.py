"""Benchmark the PDF report.

Uses the full demo report (all three programme modules answered, built from
the three seed examples) and prints JSON with:

* render: one report at a time in this process, as a worker renders it:
  pages, median seconds until the PDF is there and pages per second, the
  collection that frees the render's garbage afterwards (a worker runs it
  after replying) and the figures including it, resident memory;
* pool: the report workers (two processes) rendering ``--pool-jobs``
  reports submitted at once: wall time and pages per second overall;
* pool_memory (with ``--pool-renders N``): N renders through the workers,
  two at a time, with the workers' and this process's memory after each pair;
* download: the first download through the web app (rendered by the
  workers) and the median of ``--downloads`` cached downloads;
* collection (with ``--collection-renders N``): N renders with Python's
  garbage collector paused during the render (as the app does) and N with
  automatic collection, alternating: median seconds, and the time spent in
  collections and their number per render.

Run:  .venv/bin/python bench/bench_report.py [--renders 10] [--pool-jobs 6]
      [--pool-renders 200] [--downloads 50] [--collection-renders 5]

``--pool-jobs 0`` or ``--downloads 0`` leaves that part out.

Results belong in docs/benchmarks.md with the machine they ran on.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from pypdf import PdfReader

from assessment.config import DEFAULT_BANK_DIR, Config
from assessment.demo import EXAMPLES
from assessment.engine.answers import Answer
from assessment.engine.document import AssessmentDocument, canonical_json, load_document
from assessment.engine.loader import load_bank, load_bank_cached
from assessment.report import render as report_render
from assessment.report.pool import RenderJob, ReportRenderer
from assessment.report.render import render_report


def full_demo(bank_dir: Path = DEFAULT_BANK_DIR) -> AssessmentDocument:
    """The camera example, with the location and payment examples' own
    answers added and all three programme types chosen."""
    bank = load_bank(bank_dir)
    documents = [
        load_document((EXAMPLES / n).read_bytes(), bank)
        for n in ("moscow_cameras.json", "location_tracking.json", "card_data_tracing.json")
    ]
    merged: dict[str, Answer] = {}
    for document in reversed(documents):  # the camera answers win on shared questions
        merged.update(document.answers_by_question())
    merged["scope.programme_types"] = Answer(
        "scope.programme_types", ["camera", "location", "payment"]
    )
    return replace(
        documents[0],
        title="Full demo: cameras, location and payment data",
        answers=tuple(merged[k] for k in sorted(merged)),
    )


def rss_mib(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_summary(memory: list[float]) -> dict[str, object]:
    """Min, max and the medians of the first and the last tenth (at most 10)."""
    window = max(1, min(10, len(memory) // 10))
    return {
        "mib_min_max": [round(min(memory), 1), round(max(memory), 1)],
        "mib_first_window_median": round(statistics.median(memory[:window]), 1),
        "mib_last_window_median": round(statistics.median(memory[-window:]), 1),
        "window": window,
    }


def _job(document: AssessmentDocument, target: Path) -> RenderJob:
    bank = load_bank_cached(str(DEFAULT_BANK_DIR))
    return RenderJob(document, "full", (), target, bank.id, bank.version)


def bench_pool(document: AssessmentDocument, jobs: int, pages: int) -> dict[str, object]:
    """``jobs`` reports submitted at once to two workers (after a warm-up
    render in each worker)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-pool-"))
    renderer = ReportRenderer(load_bank_cached(str(DEFAULT_BANK_DIR)), DEFAULT_BANK_DIR, 2)
    try:
        warm = [renderer.submit(_job(document, folder / f"warm{n}.pdf")) for n in range(2)]
        for future in warm:
            future.result()
        start = time.perf_counter()
        futures = [renderer.submit(_job(document, folder / f"{n}.pdf")) for n in range(jobs)]
        for future in futures:
            future.result()
        wall = time.perf_counter() - start
    finally:
        renderer.shutdown()
    return {
        "workers": 2,
        "reports": jobs,
        "wall_s": round(wall, 3),
        "pages_per_s": round(jobs * pages / wall, 2),
    }


def bench_pool_memory(document: AssessmentDocument, renders: int) -> dict[str, object]:
    """``renders`` reports through two workers, two at a time; resident memory
    of the workers (summed) and of this process after each pair."""
    folder = Path(tempfile.mkdtemp(prefix="bench-pool-memory-"))
    renderer = ReportRenderer(load_bank_cached(str(DEFAULT_BANK_DIR)), DEFAULT_BANK_DIR, 2)
    workers, parent = [], []
    try:
        for n in range(0, renders, 2):
            pair = [renderer.submit(_job(document, folder / f"{n + i}.pdf")) for i in range(2)]
            for future in pair:
                future.result()
            for i in range(2):
                (folder / f"{n + i}.pdf").unlink()
            workers.append(sum(rss_mib(pid) for pid in renderer.worker_pids()))
            parent.append(rss_mib())
            if (n + 2) % 20 == 0:
                print(f"{n + 2} renders, workers {workers[-1]:.1f} MiB", file=sys.stderr)
    finally:
        renderer.shutdown()
    return {
        "renders": renders,
        "renders_per_worker_before_replacement": renderer.renders_per_worker,
        "workers_rss": memory_summary(workers),
        "this_process_rss": memory_summary(parent),
    }


def bench_render(document: AssessmentDocument, renders: int) -> dict[str, object]:
    """Renders as a report worker does them: the time until the PDF is there,
    and, apart, the collection that frees the render's garbage afterwards
    (a worker runs it after replying)."""
    bank = load_bank(DEFAULT_BANK_DIR)
    render_report(bank, document)  # warm-up: fonts, templates
    seconds, collection, memory = [], [], []
    pages = 0
    for _ in range(renders):
        start = time.perf_counter()
        pdf = render_report(bank, document, collect_garbage=False).pdf
        rendered = time.perf_counter()
        gc.collect()
        seconds.append(rendered - start)
        collection.append(time.perf_counter() - rendered)
        memory.append(round(rss_mib(), 1))
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        if len(seconds) % 10 == 0:
            print(f"{len(seconds)} renders, RSS {memory[-1]} MiB", file=sys.stderr, flush=True)
    median = statistics.median(seconds)
    with_collection = statistics.median(s + c for s, c in zip(seconds, collection, strict=True))
    return {
        "pages": pages,
        "renders": renders,
        "median_s": round(median, 3),
        "pages_per_s": round(pages / median, 2),
        "median_collection_after_s": round(statistics.median(collection), 3),
        "median_with_collection_s": round(with_collection, 3),
        "pages_per_s_with_collection": round(pages / with_collection, 2),
        "rss_mib_after_each": memory if renders <= 20 else "(omitted, see rss)",
        "rss": memory_summary(memory),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def bench_cached_download(document: AssessmentDocument, downloads: int) -> dict[str, object]:
    from assessment.db import make_engine
    from assessment.migrate import upgrade
    from assessment.services.accounts import create_organisation_with_user
    from assessment.services.assessments import import_document
    from assessment.web import create_app

    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    upgrade(make_engine(url))
    config = Config(
        secret_key="b" * 40, database_url=url, instance_path=folder, report_wait_seconds=300
    )
    app = create_app(config)
    with app.extensions["assessment"]["sessions"]() as session:
        user = create_organisation_with_user(
            session, "Bench", "Bench", "bench@example.org", "bench password 1"
        )
        assessment = import_document(session, user.organisation, document, user)
        session.commit()
        assessment_id = assessment.uuid
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["user_id"] = user.id
    path = f"/assessments/{assessment_id}/report.pdf"
    start = time.perf_counter()
    first = client.get(path)
    cold = time.perf_counter() - start
    assert first.status_code == 200, first.status_code
    timings = []
    for _ in range(downloads):
        start = time.perf_counter()
        response = client.get(path)
        timings.append(time.perf_counter() - start)
        assert response.data == first.data
    app.extensions["assessment"]["renderer"].shutdown()
    return {
        "first_download_s": round(cold, 3),
        "cached_downloads": downloads,
        "cached_median_ms": round(statistics.median(timings) * 1000, 2),
        "cached_max_ms": round(max(timings) * 1000, 2),
    }


def bench_collection(document: AssessmentDocument, renders: int) -> dict[str, object]:
    """Renders with the collector paused (the app's way) and with automatic
    collection, alternating, and the time spent in collections."""
    bank = load_bank(DEFAULT_BANK_DIR)
    render_report(bank, document)  # warm-up
    in_collection = {"seconds": 0.0, "count": 0, "started": 0.0}

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            in_collection["started"] = time.perf_counter()
        else:
            in_collection["seconds"] += time.perf_counter() - in_collection["started"]
            in_collection["count"] += 1

    paused = report_render.collection_paused

    def automatic(collect: bool = True) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    modes = {"paused": paused, "automatic": automatic}
    runs: dict[str, list[tuple[float, float, float]]] = {mode: [] for mode in modes}
    gc.callbacks.append(watch)
    try:
        for _ in range(renders):
            for mode, pause in modes.items():
                report_render.collection_paused = pause  # type: ignore[assignment]
                in_collection.update(seconds=0.0, count=0)
                start = time.perf_counter()
                render_report(bank, document)
                runs[mode].append(
                    (time.perf_counter() - start, in_collection["seconds"], in_collection["count"])
                )
    finally:
        report_render.collection_paused = paused
        gc.callbacks.remove(watch)
    return {
        mode: {
            "median_s": round(statistics.median(r[0] for r in rows), 3),
            "median_collection_s": round(statistics.median(r[1] for r in rows), 3),
            "median_collections": statistics.median(r[2] for r in rows),
        }
        for mode, rows in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=int, default=10)
    parser.add_argument("--downloads", type=int, default=50)
    parser.add_argument("--pool-jobs", type=int, default=6)
    parser.add_argument("--pool-renders", type=int, default=0)
    parser.add_argument("--collection-renders", type=int, default=0)
    args = parser.parse_args()
    document = full_demo()
    render = bench_render(document, args.renders)
    pages = render["pages"]
    assert isinstance(pages, int)
    result: dict[str, object] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "json_bytes": len(canonical_json(document)),
        "render": render,
    }
    if args.pool_jobs:
        result["pool"] = bench_pool(document, args.pool_jobs, pages)
    if args.downloads:
        result["download"] = bench_cached_download(document, args.downloads)
    if args.pool_renders:
        result["pool_memory"] = bench_pool_memory(document, args.pool_renders)
    if args.collection_renders:
        result["collection"] = bench_collection(document, args.collection_renders)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
