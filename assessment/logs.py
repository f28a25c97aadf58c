"""What the logs may carry.

Share-link tokens (and the tokens of invitation and password-reset links)
are working links, so they are redacted from every log line
that can hold a URL: the application's log, the development server's access log
(both through :class:`RedactShareTokens`) and gunicorn's access log (through
:class:`assessment.serve.RedactingLogger`).  The token pattern lives here only.
"""

from __future__ import annotations

import logging
import re

# Share links (/s/), invitations (/invite/) and password resets (/reset/).
SHARE_TOKEN = re.compile(r"/(s|invite|reset)/[A-Za-z0-9_-]{16,}")
REDACTED_PATH = r"/\1/[token]"


def redact_share_tokens(text: str) -> str:
    """``text`` with every token of a share, invitation or password-reset
    link replaced by a placeholder."""
    return SHARE_TOKEN.sub(REDACTED_PATH, text)


class RedactShareTokens(logging.Filter):
    """Replaces share-link tokens in log lines (access log, error log) with
    a placeholder: a token in a log would be a working link."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if SHARE_TOKEN.search(message):
            record.msg = redact_share_tokens(message)
            record.args = ()
        return True
