"""Benchmark the PDF report.

Renders the full demo report (all three programme modules answered, built
from the three seed examples) several times and prints pages, median
seconds, pages per second and memory; then times a cached download through
the web app.  Run:  .venv/bin/python bench/bench_report.py [--renders N]

Results belong in docs/benchmarks.md with the machine they ran on.
"""

from __future__ import annotations

import argparse
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
from assessment.engine.loader import load_bank
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


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def bench_render(document: AssessmentDocument, renders: int) -> dict[str, object]:
    bank = load_bank(DEFAULT_BANK_DIR)
    render_report(bank, document)  # warm-up: fonts, templates
    seconds, memory = [], []
    pages = 0
    for _ in range(renders):
        start = time.perf_counter()
        pdf = render_report(bank, document).pdf
        seconds.append(time.perf_counter() - start)
        memory.append(round(rss_mib(), 1))
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        if len(seconds) % 10 == 0:
            print(f"{len(seconds)} renders, RSS {memory[-1]} MiB", file=sys.stderr, flush=True)
    median = statistics.median(seconds)
    window = max(1, min(10, renders // 4))
    return {
        "pages": pages,
        "renders": renders,
        "median_s": round(median, 3),
        "pages_per_s": round(pages / median, 2),
        "rss_mib_after_each": memory if renders <= 20 else "(omitted, see the summary)",
        "rss_mib_min_max": [min(memory), max(memory)],
        # growth between the first and the last renders, medians of `window` renders each
        "rss_mib_first_window_median": statistics.median(memory[:window]),
        "rss_mib_last_window_median": statistics.median(memory[-window:]),
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
    app = create_app(Config(secret_key="b" * 40, database_url=url, instance_path=folder))
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
    return {
        "first_download_s": round(cold, 3),
        "cached_downloads": downloads,
        "cached_median_ms": round(statistics.median(timings) * 1000, 2),
        "cached_max_ms": round(max(timings) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=int, default=10)
    parser.add_argument("--downloads", type=int, default=50)
    args = parser.parse_args()
    document = full_demo()
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "json_bytes": len(canonical_json(document)),
        "render": bench_render(document, args.renders),
        "download": bench_cached_download(document, args.downloads),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
