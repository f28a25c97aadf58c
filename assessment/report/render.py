"""Render the report context to PDF with WeasyPrint.

The HTML comes from ``templates/report/report.html`` through a Jinja
environment of its own (autoescaping on, undefined names are errors), so the
report renders the same inside and outside a request.  The stylesheet is
passed as a ``CSS`` object, and every URL goes through
:class:`~assessment.report.fetcher.AssetOnlyURLFetcher`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from assessment.config import PROJECT_ROOT
from assessment.report.fetcher import ASSET_BASE, AssetOnlyURLFetcher

TEMPLATE_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
REPORT_CSS = STATIC_DIR / "css" / "report.css"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(context: dict[str, Any]) -> str:
    """The report as an HTML string (autoescaped)."""
    return _environment().get_template("report/report.html").render(**context)


def render_pdf(context: dict[str, Any], fetcher: AssetOnlyURLFetcher | None = None) -> bytes:
    """The report as PDF bytes.  Pass ``fetcher`` to inspect what was requested."""
    fetcher = fetcher or AssetOnlyURLFetcher(STATIC_DIR)
    font_config = FontConfiguration()
    stylesheet = CSS(
        string=REPORT_CSS.read_text(encoding="utf-8"),
        base_url=ASSET_BASE + "css/",
        url_fetcher=fetcher,
        font_config=font_config,
    )
    html = HTML(string=render_html(context), base_url=ASSET_BASE, url_fetcher=fetcher)
    pdf: bytes = html.write_pdf(stylesheets=[stylesheet], font_config=font_config)
    return pdf


def asset_dir() -> Path:
    return STATIC_DIR
