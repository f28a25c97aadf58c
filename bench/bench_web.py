"""Web benchmark: the application's pages against the floor, side by side in one run.

What it measures (issue 14's table), for the application and for the floor
(``bench/floor_app.py``: a bare Flask app under the same gunicorn settings,
rendering a Jinja template of the same size as the application's page,
without database work):

* GET a wizard section, POST a section save, GET the review page and GET the
  dashboard of an organisation with one assessment per client: the median
  latency with one client (p50) and the 95th percentile with ``--clients``
  clients at once (p95);
* the dashboard of an organisation with 10 assessments and of one with
  ``--large`` (default 1,000): p50 with one client;
* then (the "downloads" part) section saves alone and while ``--downloaders``
  (default 10) further clients download uncached PDF reports: the saves' p95
  with downloads over their p95 alone (issue 14's goal: at most 1.5), and the
  longest single request of a download, in server time (goal: about one
  second, ``REPORT_WAIT_SECONDS``).  ``--only pages`` or ``--only downloads``
  runs one part.

How:

1. Prepares a fresh database (SQLite in a temporary folder, or the
   PostgreSQL database at ``--database-url``; see bench/load_and_fault.py),
   and, through the application's services, an organisation with one member
   and one imported assessment (``moscow_cameras.json``) per client, and two
   organisations of one member with 10 and ``--large`` assessments.  Each
   import stores its summary, as ``flask import`` does.
2. Starts the application under gunicorn (the repository's
   ``gunicorn.conf.py``: two workers of four threads) on a loopback port,
   signs every client in (each from its own loopback address), fetches each
   page once and starts the floor, under the same settings, with pages of the
   sizes found.
3. ``--rounds`` times: the application, then the floor (A B A B ...); for
   each request kind, a warm-up, ``--requests`` requests from one client,
   then ``--each`` requests from each of ``--clients`` clients started
   together.  Clients are httpx clients with keep-alive connections.  A save
   changes one text answer of the client's own assessment, with the revision
   the page was loaded at, and must be answered 302.
4. The downloads part (the floor is stopped first): after two warm-up saves
   per client, ``--rounds`` times A then B.  A: each of the ``--clients``
   clients makes ``--saves`` saves (as above) at once.  B: the same while
   each downloader, a member of another organisation with an assessment of
   its own, loops: it deletes its assessment's folder from the report store
   (``<instance>/report-cache/<uuid>``; REPORT_QUEUE and REPORT_STORE_DIR are
   unset, so the app renders in its in-process pool), GETs ``report.pdf``,
   and while that answers 202 "being prepared" waits ``--poll`` seconds
   (default 3, the page's own meta refresh and Retry-After) and GETs the
   status URL, as a browser with JavaScript off does; on its 303 it opens
   the "ready" page and GETs ``report.pdf`` (200, application/pdf).  The
   saves start once every downloader's first request is answered; when they
   end, the downloads under way are finished, so that no render runs into
   the next A.  Each report request's server time comes from gunicorn's
   access log (``%(D)s``, set with GUNICORN_CMD_ARGS); the client-side time
   is printed too.
5. Prints, per kind, the median over the rounds of app and floor figures and
   their ratio, then the dashboard at 10 and at ``--large``; then the saves'
   p50 and p95 alone and with downloads (medians over the rounds), their p95
   ratio, the PDFs received per round and the longest download request, with
   the machine; ``--json PATH`` also writes them (the downloads under
   ``"downloads"``).

``--quick`` is a smoke test of the script (two short rounds, 50 assessments
as the large organisation, 3 saves per client in the downloads part): its
figures mean nothing.  The figures of a full
run belong in docs/benchmarks.md with the machine they ran on::

    .venv/bin/python bench/bench_web.py                 # full run, SQLite
    .venv/bin/python bench/bench_web.py --quick         # does it work?
    .venv/bin/python bench/bench_web.py --only downloads  # saves and downloads only
    .venv/bin/python bench/bench_web.py --database postgresql --reset \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

All traffic stays on the loopback interface, and both servers are stopped
at the end.  The clients run in this process and share the machine's cores
with the servers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from load_and_fault import (  # first: it puts this checkout first on the import path
    PROJECT_ROOT,
    Server,
    form_with,
    free_port,
    percentile,
    prepare_database,
)

from assessment.config import DEFAULT_BANK_DIR
from assessment.db import make_session_factory, transaction
from assessment.demo import DEMO_FILE
from assessment.engine.banks import load_banks, load_exchange
from assessment.forms import field_name
from assessment.services.accounts import add_user, create_organisation_with_user
from assessment.services.assessments import import_document
from assessment.services.summaries import refresh_summary

#: The section whose page is opened and saved, and the text answer a save changes.
SECTION, QUESTION = "description.purpose", "desc.purpose"
KINDS = ("section", "save", "review", "dashboard")
SIZES = ("dashboard-10", "dashboard-large")
PARTS = ("pages", "downloads")
#: The "being prepared" page's own refresh (and Retry-After): a browser asks again after 3 s.
BROWSER_POLL_SECONDS = 3.0
#: A download gives up after this many status requests (an error, not a hang).
MAX_POLLS = 400
#: gunicorn's access log, for the app only: each request's own server time (microseconds).
ACCESS_LOG_ARGS = "--access-logformat='bench-timing %(m)s %(U)s %(s)s %(D)s'"
TIMING_LINE = re.compile(r"bench-timing (\S+) (\S+) (\d+) (\d+)")
REQUEST_TIMEOUT = 90.0
EMAIL_DOMAIN = "bench.example.org"


# --------------------------------------------------------------------------
# Set-up


@dataclass(frozen=True, slots=True)
class Member:
    email: str
    assessment: str | None  # the uuid of the member's own assessment


@dataclass(frozen=True, slots=True)
class Setup:
    password: str
    members: list[Member]  # of the organisation with one assessment per member
    ten: Member  # the member of the organisation with 10 assessments
    large: Member  # the member of the organisation with --large assessments
    downloaders: list[Member]  # of an organisation with one assessment per downloader


def populate(
    url: str, database: str, reset: bool, clients: int, large: int, downloaders: int
) -> Setup:
    """The four organisations, made through the application's services."""
    engine = prepare_database(database, url, reset)
    banks = load_banks(DEFAULT_BANK_DIR)
    document = load_exchange(DEMO_FILE.read_bytes(), banks)
    password = secrets.token_urlsafe(24)
    sessions = make_session_factory(engine)

    def organisation(name: str, count: int, members: int) -> list[Member]:
        with transaction(sessions) as session:
            owner = create_organisation_with_user(
                session, name, "Owner", f"owner-{name}@{EMAIL_DOMAIN}", password
            )
            users = [owner] + [
                add_user(
                    session, owner.organisation, f"m{i}", f"m{i}-{name}@{EMAIL_DOMAIN}", password
                )
                for i in range(1, members)
            ]
            ids = []
            for _ in range(count):
                imported = import_document(session, owner.organisation, document, owner)
                session.flush()
                refresh_summary(session, imported, banks)
                ids.append(imported.uuid)
            return [Member(u.email, ids[i] if i < len(ids) else None) for i, u in enumerate(users)]

    try:
        members = organisation("clients", clients, clients)
        ten = organisation("ten", 10, 1)[0]
        many = organisation("large", large, 1)[0]
        fetching = organisation("downloaders", downloaders, downloaders) if downloaders else []
    finally:
        engine.dispose()
    return Setup(password, members, ten, many, fetching)


# --------------------------------------------------------------------------
# Clients


@dataclass(slots=True)
class Client:
    """One signed-in member's browser (httpx, keep-alive) and its requests."""

    member: Member
    http: httpx.Client
    revision: int = 0
    save_fields: list[tuple[str, str]] = field(default_factory=list)
    saves: int = 0
    errors: list[str] = field(default_factory=list)

    def sign_in(self, password: str) -> None:
        page = self.http.get("/login")
        form = form_with(page.text, "password")
        if form is None:
            raise RuntimeError("the sign-in page has no password field")
        fields = [(n, v) for n, v in form.fields if n not in ("email", "password")]
        fields += [("email", self.member.email), ("password", password)]
        reply = self.http.post("/login", data=dict(fields))
        if reply.status_code not in (302, 303):
            raise RuntimeError(f"sign-in of {self.member.email} answered {reply.status_code}")

    def load_form(self, path: str) -> None:
        """Read the section's form (CSRF token, fields, revision) for the saves."""
        page = self.http.get(path)
        form = form_with(page.text, field_name(QUESTION))
        if page.status_code != 200 or form is None:
            raise RuntimeError(f"{path} answered {page.status_code} without the section form")
        self.save_fields = [(n, v) for n, v in form.fields if n not in ("action",)]
        self.revision = int(dict(form.fields)["base_revision"])

    def timed(self, method: str, path: str, **kwargs: Any) -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        reply = self.http.request(method, path, **kwargs)
        reply.read()
        return time.perf_counter() - started, reply


@dataclass(frozen=True, slots=True)
class Target:
    """The application or the floor: how to make each kind of request."""

    name: str
    path: Callable[[str, Client], str]
    method: Callable[[str], str]
    body: Callable[[str, Client], dict[str, Any]]
    check: Callable[[str, Client, httpx.Response], str | None]  # an error, or None


def _app_path(kind: str, client: Client) -> str:
    assessment = client.member.assessment
    if kind in ("section", "save"):
        return f"/assessments/{assessment}/sections/{SECTION}"
    if kind == "review":
        return f"/assessments/{assessment}/review"
    return "/"


def _app_body(kind: str, client: Client) -> dict[str, Any]:
    if kind != "save":
        return {}
    client.saves += 1
    fields = [
        (n, v) for n, v in client.save_fields if n not in ("base_revision", field_name(QUESTION))
    ]
    fields += [
        ("base_revision", str(client.revision)),
        (field_name(QUESTION), f"Purpose as saved by the benchmark, save {client.saves}"),
        ("action", "continue"),
    ]
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return {"data": data}


def _app_check(kind: str, client: Client, reply: httpx.Response) -> str | None:
    expected = 302 if kind == "save" else 200
    if reply.status_code != expected:
        if kind == "save":
            client.load_form(_app_path("section", client))  # in step again
        return f"{kind}: HTTP {reply.status_code}"
    if kind == "save":
        client.revision += 1  # the only writer of its own assessment
    return None


def _floor_check(kind: str, client: Client, reply: httpx.Response) -> str | None:
    expected = 302 if kind == "save" else 200
    return None if reply.status_code == expected else f"floor {kind}: HTTP {reply.status_code}"


APP = Target(
    "app",
    _app_path,
    lambda kind: "POST" if kind == "save" else "GET",
    _app_body,
    _app_check,
)
FLOOR = Target(
    "floor",
    lambda kind, client: "/floor/save" if kind == "save" else f"/floor/{kind}",
    lambda kind: "POST" if kind == "save" else "GET",
    lambda kind, client: {"data": dict(client.save_fields)} if kind == "save" else {},
    _floor_check,
)


def _one_request(target: Target, kind: str, client: Client) -> float:
    seconds, reply = client.timed(
        target.method(kind), target.path(kind, client), **target.body(kind, client)
    )
    error = target.check(kind, client, reply)
    if error:
        client.errors.append(error)
    return seconds


def one_client(target: Target, kind: str, client: Client, requests: int) -> float:
    """p50 in milliseconds of ``requests`` requests, one at a time (after a warm-up)."""
    for _ in range(3):
        _one_request(target, kind, client)
    times = [_one_request(target, kind, client) for _ in range(requests)]
    return statistics.median(times) * 1000


def many_clients(target: Target, kind: str, clients: list[Client], each: int) -> float:
    """p95 in milliseconds of ``each`` requests from every client, all started together."""
    return percentile(concurrent_times(target, kind, clients, each), 0.95) * 1000


def concurrent_times(target: Target, kind: str, clients: list[Client], each: int) -> list[float]:
    """The seconds of ``each`` requests from every client, all started together."""
    times: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(len(clients))

    def run(client: Client) -> None:
        start.wait()
        mine = [_one_request(target, kind, client) for _ in range(each)]
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def _http(port: int, source: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        transport=httpx.HTTPTransport(local_address=source),
        timeout=REQUEST_TIMEOUT,
        follow_redirects=False,
    )


# --------------------------------------------------------------------------
# Downloads


@dataclass(slots=True)
class Downloader:
    """A signed-in member fetching the PDF report of their own assessment, again
    and again, each time uncached, as a browser with JavaScript off does."""

    client: Client
    store: Path  # the assessment's folder in the report store
    poll: float  # seconds between two status requests
    held: list[float] = field(default_factory=list)  # each request's seconds, at the client
    downloads: int = 0  # PDFs received

    def _get(self, path: str) -> httpx.Response:
        seconds, reply = self.client.timed("GET", path)
        self.held.append(seconds)
        return reply

    def download(self, started: threading.Event) -> None:
        """One uncached download: GET report.pdf; while it answers 202 "being
        prepared", wait ``poll`` and ask the status URL (as the page's meta
        refresh does); on its 303, open the "ready" page and GET report.pdf.
        Sets ``started`` once the first request is answered."""
        shutil.rmtree(self.store, ignore_errors=True)  # every rendered file of the assessment
        base = f"/assessments/{self.client.member.assessment}"
        reply = self._get(f"{base}/report.pdf")
        started.set()
        for _ in range(MAX_POLLS):
            if reply.status_code == 200 and reply.headers.get("content-type", "").startswith(
                "application/pdf"
            ):
                self.downloads += 1
                return
            if reply.status_code == 202:
                time.sleep(self.poll)  # the browser waiting for its refresh
                reply = self._get(f"{base}/report/status")
            elif reply.status_code == 303 and reply.headers.get("location"):
                ready = self._get(reply.headers["location"])
                if ready.status_code != 200:
                    break
                reply = self._get(f"{base}/report.pdf")
            else:
                break
        self.client.errors.append(f"download: HTTP {reply.status_code}")

    def loop(self, stop: threading.Event, started: threading.Event) -> None:
        """Download until ``stop``; the download under way always finishes, so
        that no render is left running when this returns."""
        try:
            while not stop.is_set():
                self.download(started)
        except httpx.HTTPError as error:
            self.client.errors.append(f"download: {type(error).__name__}")
        finally:
            started.set()


@dataclass(slots=True)
class DownloadRound:
    alone: list[float]  # seconds of each save without downloads
    downloading: list[float]  # ... and while the downloaders download
    downloads: int  # PDFs received during the saves (and the downloads under way then)


def saves_with_downloads(
    savers: list[Client], downloaders: list[Downloader], saves: int
) -> tuple[list[float], int]:
    """The saves' seconds while every downloader loops, and the PDFs received
    meanwhile: the saves start once each downloader's first request is
    answered, and the downloads under way when the saves end are finished
    (and counted) before this returns, so that no render is left running."""
    stop = threading.Event()
    before = sum(d.downloads for d in downloaders)
    started = [threading.Event() for _ in downloaders]
    threads = [
        threading.Thread(target=d.loop, args=(stop, event))
        for d, event in zip(downloaders, started, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        for event in started:
            event.wait(REQUEST_TIMEOUT)
        times = concurrent_times(APP, "save", savers, saves)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return times, sum(d.downloads for d in downloaders) - before


def server_times(log: Path) -> dict[str, list[float]]:
    """Each report request's own server time in seconds (gunicorn's access log,
    ``ACCESS_LOG_ARGS``), by kind: the PDF answered "being prepared" (202,
    after waiting for the render) or served (200), its status and its "ready"
    page."""
    held: dict[str, list[float]] = {"report.pdf 202": [], "report.pdf 200": []}
    held |= {"report.pdf other": [], "status": [], "ready": []}
    for match in TIMING_LINE.finditer(log.read_text(encoding="utf-8", errors="replace")):
        path, status, micro = match.group(2), match.group(3), int(match.group(4))
        name = path.rsplit("/", 1)[-1]
        if name == "report.pdf":
            name = f"report.pdf {status if status in ('200', '202') else 'other'}"
        if name in held:
            held[name].append(micro / 1e6)
    return held


def run_downloads(
    args: argparse.Namespace, savers: list[Client], downloaders: list[Downloader]
) -> list[DownloadRound]:
    """``--rounds`` times: the saves alone (A), then with the downloads (B)."""
    for client in savers:  # a warm-up
        for _ in range(2):
            _one_request(APP, "save", client)
    rounds = []
    for number in range(1, args.rounds + 1):
        alone = concurrent_times(APP, "save", savers, args.saves)
        print(f"round {number}: saves alone done", flush=True)
        downloading, count = saves_with_downloads(savers, downloaders, args.saves)
        print(f"round {number}: saves with downloads done ({count} PDFs)", flush=True)
        rounds.append(DownloadRound(alone, downloading, count))
    return rounds


def _downloads_summary(
    args: argparse.Namespace,
    rounds: list[DownloadRound],
    downloaders: list[Downloader],
    log: Path,
) -> dict[str, Any]:
    def median_of(share: float, side: str) -> float:
        return statistics.median(percentile(getattr(r, side), share) for r in rounds) * 1000

    alone95, with95 = median_of(0.95, "alone"), median_of(0.95, "downloading")
    held = server_times(log)
    every = [s for seconds in held.values() for s in seconds]
    at_client = [s for d in downloaders for s in d.held]
    return {
        "savers": len(rounds[0].alone) // args.saves if rounds else 0,
        "saves_each": args.saves,
        "downloaders": len(downloaders),
        "poll_seconds": args.poll,
        "saves_p50_alone_ms": round(median_of(0.50, "alone"), 2),
        "saves_p50_with_downloads_ms": round(median_of(0.50, "downloading"), 2),
        "saves_p95_alone_ms": round(alone95, 2),
        "saves_p95_with_downloads_ms": round(with95, 2),
        "p95_ratio": _ratio(with95, alone95),
        "pdfs_per_round": [r.downloads for r in rounds],
        "report_requests": {kind: len(seconds) for kind, seconds in held.items()},
        "longest_request_server_s": {
            kind: round(max(seconds), 3) if seconds else None for kind, seconds in held.items()
        },
        "longest_request_s": round(max(every), 3) if every else None,
        "longest_request_at_client_s": round(max(at_client), 3) if at_client else None,
    }


# --------------------------------------------------------------------------
# The run


@dataclass(slots=True)
class Figures:
    """Per round: p50 (one client) and p95 (many clients) of each kind, per target."""

    p50: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    p95: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def add(self, table: str, target: str, kind: str, value: float) -> None:
        figures = self.p50 if table == "p50" else self.p95
        figures.setdefault(target, {}).setdefault(kind, []).append(value)

    def median(self, table: str, target: str, kind: str) -> float:
        figures = self.p50 if table == "p50" else self.p95
        return statistics.median(figures[target][kind])


def _environment(folder: Path, url: str, port: int, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(folder / "instance"),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PORT": str(port),
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), str(PROJECT_ROOT / "bench")]),
        **extra,
    }
    for name in ("BIND", "WEB_CONCURRENCY", "REPORT_WORKERS", "GUNICORN_CMD_ARGS"):
        env.pop(name, None)  # gunicorn.conf.py's own settings: 2 workers x 4 threads
    for name in ("REPORT_QUEUE", "REPORT_STORE_DIR", "REPORT_WAIT_SECONDS"):
        env.pop(name, None)  # the in-process render pool, its store under the instance, 1 s
    env.update(extra)
    return env


def _page_sizes(clients: list[Client], ten: Client, large: Client) -> dict[str, int]:
    first = clients[0]
    sizes = {}
    for kind in ("section", "review", "dashboard"):
        reply = first.http.get(_app_path(kind, first))
        if reply.status_code != 200:
            raise RuntimeError(f"the app's {kind} page answered {reply.status_code}")
        sizes[kind] = len(reply.content)
    for kind, client in (("dashboard-10", ten), ("dashboard-large", large)):
        sizes[kind] = len(client.http.get("/").content)
    return sizes


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    parts = PARTS if args.only is None else (args.only,)
    large = args.large if "pages" in parts else 0
    fetching = args.downloaders if "downloads" in parts else 0
    print(
        f"Preparing {args.database}: {args.clients} + 10 + {large} + {fetching} assessments ...",
        flush=True,
    )
    setup = populate(url, args.database, args.reset, args.clients, large, fetching)
    app_port = free_port()
    app_log = folder / "app.log"
    app_env = _environment(folder, url, app_port, GUNICORN_CMD_ARGS=ACCESS_LOG_ARGS)
    app_server = Server(app_port, app_env, app_log)
    floor_server: Server | None = None
    everyone: list[Client] = []
    summary: dict[str, Any] = {}
    try:
        app_server.start()
        print(f"app: gunicorn (pid {app_server.pid}) on 127.0.0.1:{app_port}", flush=True)
        clients = [
            Client(m, _http(app_port, f"127.0.1.{i + 1}")) for i, m in enumerate(setup.members)
        ]
        everyone = list(clients)
        for client in clients:
            client.sign_in(setup.password)
            client.load_form(_app_path("section", client))
        if "pages" in parts:
            floor_server = _floor_server(folder, url)
            summary["pages"] = run_pages(args, setup, clients, app_port, floor_server, everyone)
            floor_server.stop()
            floor_server = None
        if "downloads" in parts:
            store = Path(app_env["INSTANCE_PATH"]) / "report-cache"  # config.report_cache_dir
            downloaders = [
                Downloader(
                    Client(m, _http(app_port, f"127.0.5.{i + 1}")),
                    store / str(m.assessment),
                    args.poll,
                )
                for i, m in enumerate(setup.downloaders)
            ]
            everyone += [d.client for d in downloaders]
            for downloader in downloaders:
                downloader.client.sign_in(setup.password)
            rounds = run_downloads(args, clients, downloaders)
            summary["downloads"] = _downloads_summary(args, rounds, downloaders, app_log)
        errors = [e for c in everyone for e in c.errors]
    finally:
        for client in everyone:
            client.http.close()
        app_server.stop()
        if floor_server is not None:
            floor_server.stop()
    return _summary(args, summary, errors)


def _floor_server(folder: Path, url: str) -> Server:
    port = free_port()
    return Server(
        port, _environment(folder, url, port), folder / "floor.log", target="floor_app:app"
    )


def run_pages(
    args: argparse.Namespace,
    setup: Setup,
    clients: list[Client],
    app_port: int,
    floor_server: Server,
    everyone: list[Client],
) -> dict[str, Any]:
    """Issue 14's table: the app's pages and the floor's, alternating."""
    ten = Client(setup.ten, _http(app_port, "127.0.2.1"))
    large = Client(setup.large, _http(app_port, "127.0.2.2"))
    everyone += [ten, large]
    for client in (ten, large):
        client.sign_in(setup.password)
    sizes = _page_sizes(clients, ten, large)
    print("page sizes (bytes): " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    floor_server.env["FLOOR_SIZES"] = json.dumps(sizes)
    floor_server.start()
    floor_port = floor_server.port
    print(f"floor: gunicorn (pid {floor_server.pid}) on 127.0.0.1:{floor_port}", flush=True)
    floor_clients = [
        Client(c.member, _http(floor_port, f"127.0.3.{i + 1}"), save_fields=c.save_fields)
        for i, c in enumerate(clients)
    ]
    floor_ten = Client(setup.ten, _http(floor_port, "127.0.4.1"))
    floor_large = Client(setup.large, _http(floor_port, "127.0.4.2"))
    everyone += [*floor_clients, floor_ten, floor_large]
    figures = Figures()
    sides = ((APP, clients, ten, large), (FLOOR, floor_clients, floor_ten, floor_large))
    for number in range(1, args.rounds + 1):
        for target, group, small, big in sides:
            for kind in KINDS:
                p50 = one_client(target, kind, group[0], args.requests)
                figures.add("p50", target.name, kind, p50)
                p95 = many_clients(target, kind, group, args.each)
                figures.add("p95", target.name, kind, p95)
            for kind, client in (("dashboard-10", small), ("dashboard-large", big)):
                # the app: "/" of the client's organisation; the floor: a page of its size
                p50 = one_client(target, kind, client, args.requests)
                figures.add("p50", target.name, kind, p50)
            print(f"round {number}: {target.name} done", flush=True)
    return _pages_summary(args, figures, sizes)


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("inf")


def _summary(args: argparse.Namespace, parts: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    """The machine and the settings, the pages' figures (as before) and the downloads'."""
    return {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "database": args.database,
        "quick": args.quick,
        "rounds": args.rounds,
        "clients": args.clients,
        **parts.get("pages", {}),
        **({"downloads": parts["downloads"]} if "downloads" in parts else {}),
        "errors": sorted(set(errors)),
        "error_count": len(errors),
    }


def _pages_summary(
    args: argparse.Namespace, figures: Figures, sizes: dict[str, int]
) -> dict[str, Any]:
    rows = {}
    for kind in KINDS:
        app50, floor50 = figures.median("p50", "app", kind), figures.median("p50", "floor", kind)
        app95, floor95 = figures.median("p95", "app", kind), figures.median("p95", "floor", kind)
        rows[kind] = {
            "p50_app_ms": round(app50, 2),
            "p50_floor_ms": round(floor50, 2),
            "p50_ratio": _ratio(app50, floor50),
            "p95_app_ms": round(app95, 2),
            "p95_floor_ms": round(floor95, 2),
            "p95_ratio": _ratio(app95, floor95),
        }
    small = figures.median("p50", "app", "dashboard-10")
    big = figures.median("p50", "app", "dashboard-large")
    floor_big = figures.median("p50", "floor", "dashboard-large")
    return {
        "requests_one_client": args.requests,
        "requests_each_client": args.each,
        "page_bytes": sizes,
        "requests": rows,
        "dashboard_sizes": {
            "assessments": [10, args.large],
            "p50_app_ms": [round(small, 2), round(big, 2)],
            "p50_floor_ms": [
                round(figures.median("p50", "floor", "dashboard-10"), 2),
                round(floor_big, 2),
            ],
            "large_over_10": _ratio(big, small),
            "large_over_floor": _ratio(big, floor_big),
        },
    }


def print_summary(summary: dict[str, Any]) -> None:
    machine = summary["machine"]
    print(
        f"\n{machine['platform']}, {machine['cpus']} CPUs, Python {machine['python']}, "
        f"{summary['database']}; {summary['rounds']} rounds (A B alternating)"
        + ("  [--quick: a smoke test, not a measurement]" if summary["quick"] else "")
    )
    if "requests" in summary:
        _print_pages(summary)
    if "downloads" in summary:
        _print_downloads(summary["downloads"])
    if summary["error_count"]:
        print(f"\n{summary['error_count']} unexpected replies: {', '.join(summary['errors'])}")


def _print_downloads(figures: dict[str, Any]) -> None:
    longest = figures["longest_request_server_s"]
    print(
        f"\nsaves ({figures['savers']} clients x {figures['saves_each']}) while "
        f"{figures['downloaders']} clients download uncached reports "
        f"(status every {figures['poll_seconds']:g} s; PDFs per round: "
        f"{', '.join(str(n) for n in figures['pdfs_per_round'])}):"
    )
    print(
        f"saves p95: alone {figures['saves_p95_alone_ms']:.0f} ms, with downloads "
        f"{figures['saves_p95_with_downloads_ms']:.0f} ms: {figures['p95_ratio']}x (goal <= 1.5); "
        f"p50 {figures['saves_p50_alone_ms']:.0f} / {figures['saves_p50_with_downloads_ms']:.0f} ms"
    )
    print(
        f"longest single download request (server time): {figures['longest_request_s']} s "
        f"(goal: about 1 s, REPORT_WAIT_SECONDS); report.pdf being prepared "
        f"{longest['report.pdf 202']} s, served {longest['report.pdf 200']} s, "
        f"other answers {longest['report.pdf other']} s, "
        f"status {longest['status']} s, ready {longest['ready']} s; at the client "
        f"{figures['longest_request_at_client_s']} s"
    )


def _print_pages(summary: dict[str, Any]) -> None:
    clients = summary["clients"]
    print(f"\n| request | 1 client p50, app / floor | {clients} clients p95, app / floor |")
    print("|---|---|---|")
    for kind, row in summary["requests"].items():
        print(
            f"| {kind} ({summary['page_bytes'].get(kind, 0) // 1000} KB) | "
            f"{row['p50_app_ms']:.1f} / {row['p50_floor_ms']:.1f} ms ({row['p50_ratio']}x) | "
            f"{row['p95_app_ms']:.0f} / {row['p95_floor_ms']:.0f} ms ({row['p95_ratio']}x) |"
        )
    sizes = summary["dashboard_sizes"]
    small, big = sizes["assessments"]
    print(
        f"\ndashboard, 1 client p50: {small} assessments {sizes['p50_app_ms'][0]:.1f} ms, "
        f"{big} assessments {sizes['p50_app_ms'][1]:.1f} ms "
        f"({sizes['large_over_10']}x the 10; {sizes['large_over_floor']}x its floor, "
        f"{sizes['p50_floor_ms'][1]:.1f} ms)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", help="PostgreSQL: postgresql+psycopg://...")
    parser.add_argument("--reset", action="store_true", help="drop the PostgreSQL schema first")
    parser.add_argument("--quick", action="store_true", help="a short smoke test of the script")
    parser.add_argument("--rounds", type=int, help="app-floor rounds (default 4; quick 2)")
    parser.add_argument("--requests", type=int, help="one client's requests (200; quick 10)")
    parser.add_argument("--each", type=int, help="requests per client at once (20; quick 2)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--large", type=int, help="the large organisation (1000; quick 50)")
    parser.add_argument("--downloaders", type=int, default=10, help="clients fetching reports")
    parser.add_argument("--saves", type=int, help="saves per client, downloads part (20; quick 3)")
    parser.add_argument(
        "--poll",
        type=float,
        default=BROWSER_POLL_SECONDS,
        help="seconds between a download's status requests (3, as the page refreshes)",
    )
    parser.add_argument("--only", choices=PARTS, help="run one part: the pages or the downloads")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    defaults = {
        "rounds": (4, 2),
        "requests": (200, 10),
        "each": (20, 2),
        "large": (1000, 50),
        "saves": (20, 3),
    }
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if (args.database == "postgresql") != bool(args.database_url):
        parser.error("--database-url is needed with --database postgresql, and only then")
    if not 1 <= args.clients <= 250 or args.rounds < 1 or args.requests < 1 or args.each < 1:
        parser.error("1-250 clients, and at least one round and one request")
    if not 1 <= args.downloaders <= 250 or args.saves < 1 or args.poll < 0:
        parser.error("1-250 downloaders, at least one save, and a poll of 0 s or more")
    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    try:
        summary = run(args, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print_summary(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 1 if summary["error_count"] else 0


if __name__ == "__main__":
    sys.exit(main())
