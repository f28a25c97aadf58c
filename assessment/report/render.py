"""Render the report to PDF with WeasyPrint.

The HTML comes from ``templates/report/report.html`` through a Jinja
environment of its own (autoescaping on, undefined names are errors), so the
report renders the same inside and outside a request.  The stylesheet is
passed as a ``CSS`` object, and every URL goes through
:class:`~assessment.report.fetcher.AssetOnlyURLFetcher`.

Reports are tagged PDF/A-3 files (variant ``pdf/a-3a``) that carry the
canonical JSON of the assessment as an embedded source file; its SHA-256 is
printed on the cover and stored as the attachment's description.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import io
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration

from assessment.config import PROJECT_ROOT
from assessment.engine.bank import Bank
from assessment.engine.document import (
    AssessmentDocument,
    canonical_json,
    public_edition,
    withheld_count,
)
from assessment.report.context import CommentEntry, HistoryEntry, build_report_context
from assessment.report.fetcher import ASSET_BASE, AssetOnlyURLFetcher

TEMPLATE_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
REPORT_CSS = STATIC_DIR / "css" / "report.css"
PDF_VARIANT = "pdf/a-3a"  # PDF/A-3 allows embedded source files; "a" adds structure tags
EMBEDDED_NAME = "assessment.json"
SHA256_PREFIX = "sha256:"


# One font configuration per process: WeasyPrint keeps native Pango objects per
# configuration that are never freed, so a new one per render grows the process
# by about 0.2 MiB each time.  Pango is not thread-safe: renders in one process
# take turns (report workers are separate processes and render in parallel).
_RENDER_LOCK = threading.Lock()


@cache
def _font_config() -> FontConfiguration:
    return FontConfiguration()


@dataclass(frozen=True, slots=True)
class RenderedReport:
    pdf: bytes
    sha256: str  # of the embedded canonical JSON


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


def render_report(
    bank: Bank,
    document: AssessmentDocument,
    now: dt.datetime | None = None,
    fetcher: AssetOnlyURLFetcher | None = None,
    edition: str = "full",
    history: Sequence[HistoryEntry] | None = None,
    collect_garbage: bool = True,
    comments: Sequence[CommentEntry] | None = None,
    changes: dict[str, Any] | None = None,
) -> RenderedReport:
    """The ``edition`` ("full" or "public") of the report of ``document``, with
    the assessment embedded.  The public edition leaves out, in the text and
    in the embedded data alike, every note and source marked confidential, and
    every comment (``comments`` are the unresolved ones, listed in the full
    edition only).  ``changes``: the comparison with the last issued report,
    for this edition.  ``collect_garbage``: see :func:`render_pdf`."""
    document, context = edition_context(
        bank, document, edition, now=now, history=history, comments=comments, changes=changes
    )
    data = canonical_json(document)
    pdf = render_pdf(context, fetcher, embedded=data, collect_garbage=collect_garbage)
    return RenderedReport(pdf, context["export_sha256"])


def edition_context(
    bank: Bank,
    document: AssessmentDocument,
    edition: str,
    now: dt.datetime | None = None,
    history: Sequence[HistoryEntry] | None = None,
    comments: Sequence[CommentEntry] | None = None,
    changes: dict[str, Any] | None = None,
) -> tuple[AssessmentDocument, dict[str, Any]]:
    """The document to embed in the ``edition`` of the report and the context
    its HTML is rendered from (:func:`render_html`): for the public edition,
    without confidential notes and sources and without any comment.  Raises
    ``ValueError`` for an unknown edition."""
    withheld = 0
    if edition == "public":
        withheld = withheld_count(document)
        document = public_edition(document)
        comments = None  # never in the public edition
    elif edition != "full":
        raise ValueError(f"unknown edition {edition!r}")
    context = build_report_context(
        bank, document, now=now, history=history, comments=comments, changes=changes
    )
    context["edition"] = {"name": edition, "withheld": withheld}
    return document, context


def render_pdf(
    context: dict[str, Any],
    fetcher: AssetOnlyURLFetcher | None = None,
    embedded: bytes | None = None,
    collect_garbage: bool = True,
) -> bytes:
    """The report as PDF bytes; ``embedded`` becomes the PDF/A-3 source file.
    Pass ``fetcher`` to inspect what was requested.  The garbage collector is
    paused while rendering (:func:`collection_paused`); with
    ``collect_garbage=False`` the caller frees the render's garbage itself,
    later (the report workers do, once the PDF is stored and reported)."""
    fetcher = fetcher or AssetOnlyURLFetcher(STATIC_DIR)
    with _RENDER_LOCK, collection_paused(collect=collect_garbage):
        return _render_locked(context, fetcher, embedded)


@contextlib.contextmanager
def collection_paused(collect: bool = True) -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then free its
    garbage with one collection (or, with ``collect=False``, leave that one
    collection to the caller).

    WeasyPrint's box tree for a long report is some 200,000 objects held in
    reference cycles.  With automatic collection the collector scans them
    over and over while they are still in use, about a sixth of the render
    (docs/benchmarks.md); a single collection afterwards frees them at once.
    The pause is process-wide; renders are short and the previous state is
    always restored, also when rendering fails.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            if collect:
                gc.collect()


def _render_locked(
    context: dict[str, Any], fetcher: AssetOnlyURLFetcher, embedded: bytes | None
) -> bytes:
    font_config = _font_config()
    stylesheet = CSS(
        string=REPORT_CSS.read_text(encoding="utf-8"),
        base_url=ASSET_BASE + "css/",
        url_fetcher=fetcher,
        font_config=font_config,
    )
    html = HTML(string=render_html(context), base_url=ASSET_BASE, url_fetcher=fetcher)
    attachments = []
    if embedded is not None:
        attachments.append(
            Attachment(
                file_obj=io.BytesIO(embedded),
                url_fetcher=fetcher,
                name=EMBEDDED_NAME,
                description=SHA256_PREFIX + hashlib.sha256(embedded).hexdigest(),
                relationship="Source",
            )
        )
    pdf: bytes = html.write_pdf(
        stylesheets=[stylesheet],
        font_config=font_config,
        attachments=attachments,
        pdf_variant=PDF_VARIANT,
    )
    return pdf
