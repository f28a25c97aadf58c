"""Render the report to PDF with WeasyPrint.

The HTML comes from ``templates/report/report.html`` through a Jinja
environment of its own (autoescaping on, undefined names are errors), so the
report renders the same inside and outside a request.  The stylesheet is
passed as a ``CSS`` object, and every URL goes through
:class:`~assessment.report.fetcher.AssetOnlyURLFetcher`.

Reports are tagged PDF/A-3 files (variant ``pdf/a-3a``) that carry the
canonical JSON of the assessment as an embedded source file; its SHA-256 is
printed on the cover and stored as the attachment's description.  The full
edition also carries the evidence files, within a size limit
(:func:`plan_evidence`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import io
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape
from weasyprint import CSS, HTML, Attachment
from weasyprint.document import Document
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
from assessment.report.i18n import ReportLanguage, report_language, translations
from assessment.report.verify import EMBEDDED_NAME, SHA256_PREFIX

TEMPLATE_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
REPORT_CSS = STATIC_DIR / "css" / "report.css"
#: How a question ends, in the languages and quotation marks of the report.
QUESTION_ENDINGS = ("?", "?\u00bb", '?"', "?\u201d")
PDF_VARIANT = "pdf/a-3a"  # PDF/A-3 allows embedded source files; "a" adds structure tags


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

    @property
    def file_sha256(self) -> str:
        """The SHA-256 of the whole file, as handed out."""
        return hashlib.sha256(self.pdf).hexdigest()


@cache
def _environment(language: str) -> jinja2.Environment:
    """The report's Jinja environment for ``language``: its words come from
    the ``report`` catalogue (:mod:`assessment.report.i18n`)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]  # added by the i18n extension
        translations(language), newstyle=True
    )
    environment.filters["keep_last_words"] = keep_last_words
    environment.filters["labelled"] = labelled
    return environment


def keep_last_words(text: str) -> Markup:
    """``text`` (escaped unless it is markup already) with its last two words
    kept on one line, so that a heading never ends on a line of one word.  A
    span, not a no-break space: the text, the bookmarks and the extracted words
    stay as written.  (WeasyPrint 70 has no ``text-wrap: balance``.)"""
    safe = escape(text)
    head, _space, tail = safe.rstrip().rpartition(" ")
    before, _space, last_but_one = head.rpartition(" ")
    if not last_but_one:
        return safe
    joined = f"{before} " if before else ""
    return Markup(f'{joined}<span class="keep">{last_but_one} {tail}</span>')  # noqa: S704  # the pieces are of the escaped text


def labelled(text: str) -> Markup:
    """``text`` (escaped unless it is markup already) followed by a colon,
    unless it ends in a question mark ("Who is on the watchlist?", not "...?:")."""
    safe = escape(text).rstrip()
    return safe if safe.unescape().endswith(QUESTION_ENDINGS) else safe + ":"


def render_html(context: dict[str, Any]) -> str:
    """The report as an HTML string (autoescaped), in the language of the
    assessment (``context["lang"]``)."""
    template = _environment(context["lang"]).get_template("report/report.html")
    return template.render(**context)


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,-:" else f"\\{ord(ch):x} " for ch in text)
    return f'"{escaped}"'


def page_stylesheet(language: str) -> str:
    """The running header and the page numbers of every page, in ``language``
    (CSS ``content`` cannot be translated in the stylesheet itself)."""
    _ = report_language(language).gettext
    header = _css_string(_("Rights-impact assessment"))
    page, of = _css_string(_("Page ")), _css_string(_(" of "))
    return (
        f"@page {{ @top-right {{ content: {header}; }} "
        f"@bottom-right {{ content: {page} counter(page) {of} counter(pages); }} }}"
    )


def render_report(
    bank: Bank,
    document: AssessmentDocument,
    now: dt.datetime | None = None,
    fetcher: AssetOnlyURLFetcher | None = None,
    edition: str = "full",
    history: Sequence[HistoryEntry] | None = None,
    collect_garbage: bool = True,
    evidence_files: Mapping[str, str] | None = None,
    embed_limit: int = 0,
    comments: Sequence[CommentEntry] | None = None,
    changes: dict[str, Any] | None = None,
) -> RenderedReport:
    """The ``edition`` ("full" or "public") of the report of ``document``, with
    the assessment embedded.  The public edition leaves out, in the text and
    in the embedded data alike, every note and source marked confidential, and
    every comment (``comments`` are the unresolved ones, listed in the full
    edition only).  ``changes``: the comparison with the last issued report,
    for this edition.  ``collect_garbage``: see :func:`render_pdf`.

    ``evidence_files`` maps the SHA-256 of each evidence file of ``document``
    to where it is stored.  The full edition embeds them, each once, as PDF/A-3
    associated files when all are found, match their hashes and together
    take at most ``embed_limit`` bytes; otherwise (and always in the public
    edition) Appendix E lists them without embedding any, and says why."""
    document, context = edition_context(
        bank, document, edition, now=now, history=history, comments=comments, changes=changes
    )
    data = canonical_json(document)
    files = plan_evidence(context["evidence"], document, edition, evidence_files, embed_limit)
    pdf = render_pdf(
        context, fetcher, embedded=data, collect_garbage=collect_garbage, evidence=files
    )
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


@dataclass(frozen=True, slots=True)
class EvidenceAttachment:
    """An evidence file to embed in the PDF."""

    name: str  # the attachment's file name in the PDF
    data: bytes
    sha256: str
    question_id: str


def plan_evidence(
    listing: dict[str, Any],
    document: AssessmentDocument,
    edition: str,
    evidence_files: Mapping[str, str] | None,
    embed_limit: int,
) -> list[EvidenceAttachment]:
    """Decide whether the evidence files are embedded, fill in Appendix E's
    ``listing`` accordingly (the attachment names, ``embedded`` and ``note``)
    and return the files to embed (each distinct file once)."""
    words = report_language(document.language)
    _ = words.gettext
    shown = [e for e in document.evidence if not e.withheld]
    if not shown:
        listing.update(embedded=False, note="")
        return []
    if edition != "full":
        listing.update(
            embedded=False,
            note=_("The public edition does not embed evidence files; the full edition does."),
        )
        return []
    if evidence_files is None or not evidence_files:
        return []  # rendered from an exchange file: the listing's default note says so
    distinct = {e.sha256: e for e in shown}
    total = sum(e.size for e in distinct.values())
    if total > embed_limit:
        listing.update(
            embedded=False,
            note=_(
                "The files are not embedded: together they take %(total)s, more than the "
                "%(limit)s this installation embeds in a report. Each can be checked "
                "against its SHA-256 above."
            )
            % {"total": _mb(total, words), "limit": _mb(embed_limit, words)},
        )
        return []
    attachments: dict[str, EvidenceAttachment] = {}
    for number, (sha256, evidence) in enumerate(sorted(distinct.items()), start=1):
        try:
            data = Path(evidence_files[sha256]).read_bytes()
        except (KeyError, OSError):
            data = b""
        if hashlib.sha256(data).hexdigest() != sha256:
            listing.update(
                embedded=False,
                note=_(
                    "The files are not embedded: a stored file is missing or does not match "
                    "its recorded SHA-256."
                ),
            )
            return []
        name = f"evidence-{number:02d}-{evidence.file_name()}"
        attachments[sha256] = EvidenceAttachment(name, data, sha256, evidence.question_id)
    for row in listing["files"]:
        if row["sha256"] in attachments:
            row["attachment"] = attachments[row["sha256"]].name
    listing.update(
        embedded=True,
        note=_(
            "Each file is embedded in this PDF as an associated file (see the attachments "
            "panel of a PDF reader), named as below; its description holds its SHA-256."
        ),
    )
    return list(attachments.values())


def _mb(size: int, words: ReportLanguage) -> str:
    return words.gettext("%(size)s MB") % {"size": words.number(round(size / 2**20, 1))}


def render_pdf(
    context: dict[str, Any],
    fetcher: AssetOnlyURLFetcher | None = None,
    embedded: bytes | None = None,
    collect_garbage: bool = True,
    evidence: Sequence[EvidenceAttachment] = (),
) -> bytes:
    """The report as PDF bytes; ``embedded`` becomes the PDF/A-3 source file.
    Pass ``fetcher`` to inspect what was requested.  The garbage collector is
    paused while rendering (:func:`collection_paused`); with
    ``collect_garbage=False`` the caller frees the render's garbage itself,
    later (the report workers do, once the PDF is stored and reported)."""
    fetcher = fetcher or AssetOnlyURLFetcher(STATIC_DIR)
    with _RENDER_LOCK, collection_paused(collect=collect_garbage):
        return _render_locked(context, fetcher, embedded, evidence)


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
    context: dict[str, Any],
    fetcher: AssetOnlyURLFetcher,
    embedded: bytes | None,
    evidence: Sequence[EvidenceAttachment] = (),
) -> bytes:
    font_config = _font_config()
    stylesheet = CSS(
        string=REPORT_CSS.read_text(encoding="utf-8"),
        base_url=ASSET_BASE + "css/",
        url_fetcher=fetcher,
        font_config=font_config,
    )
    pages = CSS(
        string=page_stylesheet(context["lang"]), url_fetcher=fetcher, font_config=font_config
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
    for item in evidence:  # WeasyPrint names the media type from the extension
        attachments.append(
            Attachment(
                file_obj=io.BytesIO(item.data),
                url_fetcher=fetcher,
                name=item.name,
                description=f"{SHA256_PREFIX}{item.sha256} evidence for {item.question_id}",
                relationship="Supplement",
            )
        )
    pdf: bytes = html.write_pdf(
        stylesheets=[stylesheet, pages],
        font_config=font_config,
        attachments=attachments,
        pdf_variant=PDF_VARIANT,
        finisher=open_with_bookmarks,
    )
    return pdf


def open_with_bookmarks(document: Document, pdf: Any) -> None:  # pydyf.PDF, untyped
    """Make a PDF viewer open the report with its bookmarks panel shown
    (``/PageMode /UseOutlines`` in the catalog); a WeasyPrint finisher, run
    before the file is written, so the bytes that are signed later include it."""
    pdf.catalog["PageMode"] = "/UseOutlines"
