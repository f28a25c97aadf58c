"""Gunicorn's logger for this app (named by ``gunicorn.conf.py``).

Gunicorn writes its own access log, outside Flask's logging, so the filter
that keeps share-link tokens out of the application's log does not see it.
:class:`RedactingLogger` redacts the tokens from every access-log field (the
request line, the path, the referer, any header or environ field a custom
format may name) and from gunicorn's error log, with the same pattern as the
rest of the app (:mod:`assessment.logs`).  Its access log goes to stderr when
``accesslog`` is ``"-"``, next to the error log, leaving stdout free.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from gunicorn.glogging import Logger

from assessment.logs import RedactShareTokens, redact_share_tokens


class RedactingLogger(Logger):  # type: ignore[misc]  # gunicorn publishes no type information
    """Gunicorn's logger with share-link tokens redacted."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactShareTokens) for f in log.filters):
                log.addFilter(RedactShareTokens())
        if cfg.accesslog == "-":
            for handler in self.access_log.handlers:
                if type(handler) is logging.StreamHandler:
                    handler.setStream(sys.stderr)

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """The access-log fields, each with share-link tokens redacted."""
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {
            name: redact_share_tokens(value) if isinstance(value, str) else value
            for name, value in atoms.items()
        }
