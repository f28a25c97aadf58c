"""Gunicorn settings for serving the app in production (``make serve``, or
``gunicorn --config gunicorn.conf.py app:app``).

Gunicorn listens on the loopback interface by default: put a reverse proxy
that terminates HTTPS in front of it (and set ``SECURE_COOKIES=1``).  Settings
read from the environment: ``BIND`` (an address, e.g. ``unix:/run/ria.sock``)
or ``PORT`` (default 8000, on 127.0.0.1), and ``WEB_CONCURRENCY`` (worker
processes, default 2).  Both logs go to stderr with share-link tokens
redacted (see ``assessment/serve.py``).
"""

import os

bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or '8000'}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
worker_class = "gthread"
threads = 4
# A download waits at most REPORT_WAIT_SECONDS (default 1) for a report before
# answering "being prepared"; 60 s is far above any request the app makes.
timeout = 60
graceful_timeout = 30
keepalive = 5
# Each worker process starts its own pool of report renderers when the first
# report is needed; one renderer per worker keeps two workers within two cores.
os.environ.setdefault("REPORT_WORKERS", "1")
# Not preloaded: each worker builds the app (and its renderer pool) after the fork.
preload_app = False

logger_class = "assessment.serve.RedactingLogger"
accesslog = "-"
errorlog = "-"
loglevel = "info"
# No control socket (gunicorn 25 and later): nothing here uses gunicornc, and
# several servers on one host would otherwise share $HOME/.gunicorn/gunicorn.ctl.
control_socket_disable = True
