"""A WeasyPrint URL fetcher that can read nothing but the app's bundled assets.

Report HTML and CSS are given ``ASSET_BASE`` as their base URL, so the
report's own stylesheet and fonts resolve to ``ASSET_BASE + "fonts/..."``.
Every other URL (``file:``, ``http(s):`` elsewhere, ``data:``, anything with
``..``) is refused without any I/O; the fetcher never opens a network
connection, so there is nothing to redirect.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

# ".invalid" is reserved (RFC 2606): the name can never resolve to a real host.
ASSET_BASE = "https://report-assets.invalid/"
ALLOWED_SUFFIXES = frozenset({".css", ".ttf", ".otf", ".woff", ".woff2", ".svg", ".png"})


class RefusedURL(ValueError):
    """A URL outside the app's assets; WeasyPrint logs it and renders without it."""


class AssetOnlyURLFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """Serves files below ``asset_dir`` for ``ASSET_BASE`` URLs; refuses all else.

    ``requested`` records every URL WeasyPrint asked for, ``refused`` those it
    did not get, so tests can prove nothing outside the assets was fetched.
    """

    def __init__(self, asset_dir: Path) -> None:
        super().__init__(allowed_protocols=("https",), allow_redirects=False, fail_on_errors=False)
        self.asset_dir = asset_dir.resolve()
        self.requested: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        self.requested.append(url)
        path = self._asset_path(url)
        if path is None:
            self.refused.append(url)
            raise RefusedURL("only the report's own assets may be loaded")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )

    def _asset_path(self, url: str) -> Path | None:
        if not url.startswith(ASSET_BASE):
            return None
        relative = url[len(ASSET_BASE) :]
        if any(mark in relative for mark in ("?", "#", "%", "\\")) or ".." in relative:
            return None
        path = (self.asset_dir / relative).resolve()
        if not path.is_relative_to(self.asset_dir) or path.suffix.lower() not in ALLOWED_SUFFIXES:
            return None
        return path if path.is_file() else None
