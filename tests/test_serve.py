"""The production server: gunicorn with ``gunicorn.conf.py``, started for real,
keeps share-link tokens out of its access log."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

from assessment.config import PROJECT_ROOT
from assessment.db import make_engine, make_session_factory, transaction
from assessment.demo import seed_demo
from assessment.migrate import upgrade
from assessment.services.shares import create_link
from tests.helpers import BANKS

START_LIMIT_SECONDS = 60.0  # a bound on the wait for the port, not a speed expectation


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_LIMIT_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited while starting"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"gunicorn did not listen on port {port}")


def _share_token(database_url: str) -> str:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with transaction(make_session_factory(engine)) as session:
            user, assessment, _ = seed_demo(session, BANKS)
            return create_link(session, assessment, user, 7, "public", "Auditor").token
    finally:
        engine.dispose()


def test_gunicorn_access_log_has_no_share_tokens(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    token = _share_token(database_url)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "REPORT_WORKERS": "0",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    env.pop("BIND", None)
    log, out = tmp_path / "stderr.log", tmp_path / "stdout.log"
    with log.open("ab") as sink, out.open("ab") as stdout:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=sink,
        )
    try:
        _wait_for_port(port, server)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request(
                "GET", f"/s/{token}", headers={"Referer": f"http://127.0.0.1:{port}/s/{token}"}
            )
            response = connection.getresponse()
            body = response.read().decode("utf-8")
        finally:
            connection.close()
        assert response.status == 200
        assert "Download the public edition" in body
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    text = log.read_text(encoding="utf-8")
    for written in (text, out.read_text(encoding="utf-8")):
        assert token not in written
        assert token[:16] not in written
    assert '"GET /s/[token] HTTP/1.1" 200' in text  # the access line is there, redacted
    assert f'"http://127.0.0.1:{port}/s/[token]"' in text  # and so is the referer
